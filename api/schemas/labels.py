"""What a scanned code names."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from api.schemas.base import ResponseModel


class ScanMatchOut(ResponseModel):
    kind: str = Field(description="unit, box, batch, bin, depot, ticket or reservation.")
    key: str = Field(description="The serial, box or batch number, bin, depot code or id it names.")
    part_number: str | None = Field(description="A unit's part (several parts may share a serial).")
    count: int = Field(description="Units (and bulk batch rows) in a box or batch; 0 otherwise.")
    detail: str = Field(description="A depot's name, a bin's depot, a reservation's depot.")
    href: str = Field(description="The API address that shows it.")


class ScanOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "HDD260005001",
                    "matches": [
                        {
                            "kind": "unit",
                            "key": "HDD260005001",
                            "part_number": "HDD-SAS-1T2-10K",
                            "count": 0,
                            "detail": "",
                            "href": "/api/v1/stock/units/HDD260005001?part_number=HDD-SAS-1T2-10K",
                        }
                    ],
                }
            ]
        }
    )

    code: str
    matches: list[ScanMatchOut]
