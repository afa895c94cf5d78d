"""The planning job's bulk reads and writes (a part of `Store`): the issue history of every depot and
part, and the replacement of every stored demand forecast. Hundreds of thousands of rows go through the
driver in multi-row statements, not as one Piccolo object each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

FORECAST_COLUMNS = (
    "depot", "part", "demand_class", "method", "per_week", "adi", "cv2", "demand_weeks", "history_weeks",
    "service_level", "lead_time_days", "reorder_level", "target_level", "computed_at",
)  # fmt: skip
"""The columns of a stored forecast, in the order `replace_forecasts` takes its rows' values."""

FORECASTS_PER_INSERT = 500
"""Rows per INSERT: 14 values each stays under SQLite's 32,766 parameters."""

ISSUE_HISTORY = (
    "SELECT r.depot, r.part, r.closed_at, r.quantity, c.tier FROM reservation r "
    "JOIN ticket t ON t.id = r.ticket JOIN customer c ON c.id = t.customer "
    "WHERE r.status = 'issued' AND r.closed_at >= {}"
)


class PlanningData:
    """Bulk reads and writes of the planning job (a mixin of `Store`, whose ``_execute`` and ``run`` run
    them)."""

    async def _execute(self, sql: str, *args: object) -> Sequence[Mapping[str, Any]]:
        raise NotImplementedError

    async def run(self, sql: str, *args: object) -> Sequence[Mapping[str, Any]]:
        raise NotImplementedError

    async def issue_history(self, since: datetime) -> Sequence[Mapping[str, Any]]:
        """Every reservation issued since ``since``: depot and part ids, when, how many, and the tier of
        the ticket's customer."""
        return await self._execute(ISSUE_HISTORY, since)

    async def replace_forecasts(self, rows: Sequence[Sequence[object]]) -> None:
        """Delete every stored forecast and insert ``rows`` (values in `FORECAST_COLUMNS` order), in the
        open write transaction."""
        await self.run("DELETE FROM demand_forecast")
        placeholders = "(" + ", ".join(["{}"] * len(FORECAST_COLUMNS)) + ")"
        insert = f"INSERT INTO demand_forecast ({', '.join(FORECAST_COLUMNS)}) VALUES "
        for start in range(0, len(rows), FORECASTS_PER_INSERT):
            chunk = rows[start : start + FORECASTS_PER_INSERT]
            await self.run(
                insert + ", ".join([placeholders] * len(chunk)), *[value for row in chunk for value in row]
            )
