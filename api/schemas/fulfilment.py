"""How reserved parts reach their sites, collections by the customer, and the dispatcher's attention list."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from api.schemas.base import Instant, RequestModel, ResponseModel
from inventory.tickets import AttentionItem, PartWay, TicketFulfilment

HOW = {
    "van": "delivered by a courier van",
    "engineer": "brought by the engineer",
    "collection": "collected at the depot by the customer",
    None: "not arranged yet",
}
"""Each way to the site in words."""
STATUS = {
    "active": "on its way",
    "issued": "handed over",
    "released": "released",
    "expired": "expired",
    "preempted": "taken for a more urgent ticket",
}
"""Each reservation status in words, as the customer reads it."""


class PartWayOut(ResponseModel):
    reservation: int
    part_number: str
    quantity: int
    depot: str
    status: str = Field(description="The reservation's status: active, issued, released, expired, preempted.")
    status_text: str = Field(description="The status in words.")
    way: str | None = Field(description="`van`, `engineer`, `collection`, or null while none is committed.")
    how: str = Field(description="The way in words.")
    carrier: str | None = Field(description="The van's or engineer's code (staff only).")
    plan: int | None = Field(description="The committed plan that carries the part (staff only).")
    stop: str | None = Field(description="Its stop in that plan (staff only).")
    eta: datetime = Field(
        description="When the part is at the site: the committed plan's (or the collection's) time once a "
        "way is committed, else the reservation's sourcing estimate."
    )
    eta_committed: bool

    @classmethod
    def of(cls, part: PartWay, *, staff: bool) -> PartWayOut:
        return cls(
            reservation=part.reservation,
            part_number=part.part_number,
            quantity=part.quantity,
            depot=part.depot,
            status=part.status,
            status_text=STATUS.get(part.status, part.status),
            way=part.way,
            how=HOW[part.way],
            carrier=part.carrier if staff else None,
            plan=part.plan if staff else None,
            stop=part.stop if staff else None,
            eta=part.eta,
            eta_committed=part.eta_committed,
        )


class VisitOut(ResponseModel):
    eta: datetime = Field(description="When the engineer is on site, as the committed dispatch plan says.")
    engineer: str | None = Field(description="The engineer's code (staff only).")
    plan: int | None = Field(description="The committed dispatch plan (staff only).")


class TicketFulfilmentOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ticket": 60,
                    "at_risk": True,
                    "predicted_late_seconds": 2400,
                    "parts": [
                        {
                            "reservation": 59,
                            "part_number": "HDD-SAS-1T2-10K",
                            "quantity": 1,
                            "depot": "PEK-C",
                            "status": "active",
                            "status_text": "on its way",
                            "way": "van",
                            "how": "delivered by a courier van",
                            "carrier": "PEK-V1",
                            "plan": 12,
                            "stop": "U59",
                            "eta": "2026-12-07T05:58:00Z",
                            "eta_committed": True,
                        }
                    ],
                    "visit": None,
                }
            ]
        }
    )

    ticket: int
    at_risk: bool = Field(description="A committed ETA falls after the due time it has to keep.")
    predicted_late_seconds: int = Field(description="By how much, at worst (0 while not at risk).")
    parts: list[PartWayOut]
    visit: VisitOut | None = Field(description="The engineer's committed visit, if any.")

    @classmethod
    def of(cls, fulfilment: TicketFulfilment, *, staff: bool) -> TicketFulfilmentOut:
        visit = None
        if fulfilment.visit_eta is not None:
            visit = VisitOut(
                eta=fulfilment.visit_eta,
                engineer=fulfilment.visit_by if staff else None,
                plan=fulfilment.visit_plan if staff else None,
            )
        return cls(
            ticket=fulfilment.ticket,
            at_risk=fulfilment.at_risk,
            predicted_late_seconds=fulfilment.predicted_late_seconds,
            parts=[PartWayOut.of(part, staff=staff) for part in fulfilment.parts],
            visit=visit,
        )


class CollectionIn(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"at": "2026-12-07T15:00:00+08:00"}]})

    at: Instant = Field(description="When the customer collects the part at the depot.")


class AttentionOut(ResponseModel):
    id: int
    ticket: int
    reservation: int | None
    reason: str = Field(
        description=(
            "What happened: `preempted`, the part went to a more urgent ticket; `stop_failed`, a committed "
            "stop for the ticket failed (the note says why) and the next re-plan plans it again."
        )
    )
    note: str
    plan: int | None = Field(description="The committed plan that lost the part, if one carried it.")
    stop: str | None
    raised_by: str
    raised_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, item: AttentionItem) -> AttentionOut:
        return cls.model_validate(item, from_attributes=True)
