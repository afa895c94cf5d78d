"""The board's timeline, list twin and map data from a plan, without a database: where travel, waits
and stops fall on the day's hours, and how late, at-risk, pinned and new stops are told apart in words."""

from __future__ import annotations

import gettext
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from api.pages.dispatch import BoardBuilder
from inventory.stock import DepotRecord
from presentation import Presenter
from routing import COMMITTED, DRAFT, PlanView, RouteView, StopView
from routing.board import DepotPlan, StopDetails

CHINA = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 8)
DEPOT = DepotRecord("PEK-C", "Beijing central warehouse", "central", 39.9, 116.4, "Asia/Shanghai")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(DAY, time(hour, minute), CHINA)


def stop(
    key: str, arrive: datetime, start: datetime, leave: datetime, due_by: datetime, **extra: object
) -> StopView:
    fields: dict = {
        "key": key,
        "kind": "delivery",
        "ticket": 7,
        "reservation": 9,
        "inspection": None,
        "site": "BJ-DC1",
        "site_id": 1,
        "depot": "PEK-C",
        "place": "BJ-DC1",
        "latitude": 40.0,
        "longitude": 116.5,
        "eta": arrive,
        "start_at": start,
        "departure_at": leave,
        "due_from": at(9),
        "due_by": due_by,
        "late_seconds": 0,
        "pinned": False,
        "window_start": None,
        "window_end": None,
        "deadline": None,
        "deadline_hard": False,
        "lateness_weight": 1,
        "service_seconds": 600,
        "weight_g": 0,
        "volume_ml": 0,
        "skills": (),
        "pickup_of": None,
        "optional": False,
        "prize": 0,
        "unassigned_reason": None,
    }
    return StopView(**(fields | extra))


def board(
    status: str, *, pinned: frozenset[str] = frozenset(), new: frozenset[str] = frozenset()
) -> BoardBuilder:
    first = stop("T1@PEK-C", at(9), at(9, 30), at(9, 40), at(18))  # waits half an hour for its window
    late = stop("T2@PEK-C", at(10, 20), at(10, 20), at(10, 30), at(10), late_seconds=1200)
    risky = stop("T3@PEK-C", at(11), at(11), at(11, 10), at(11, 20))
    waiting = stop("T4@PEK-C", None, None, None, at(18), unassigned_reason="fleet_full")
    route = RouteView("VAN-PEK-C-1", "PEK-C", at(8), at(12), 3600, 42_000, (first, late, risky))
    plan = PlanView(
        5, "nbd", DAY, ("PEK-C",), status, None, at(0), 0, 0, {}, "dispatcher", at(7), None, None,
        (route,), (waiting,),
    )  # fmt: skip
    details = {
        key: StopDetails("Zhonghe Bank Beijing data centre", "Asia/Shanghai", "HDD-SAS-1T2-10K", "ZHB")
        for key in ("T1@PEK-C", "T2@PEK-C", "T3@PEK-C", "T4@PEK-C")
    }
    say = Presenter("en", gettext.NullTranslations(), datetime(2026, 12, 7, 12, tzinfo=UTC))
    return BoardBuilder(say, DEPOT, DAY, DepotPlan(plan, 1, details), pinned, new)


RESOURCES = [
    ("VAN-PEK-C-1", "VAN-PEK-C-1", "900 kg", time(8), time(18)),
    ("VAN-PEK-C-2", "VAN-PEK-C-2", "", time(8), time(18)),
]
COLOURS = {"VAN-PEK-C-1": 0, "VAN-PEK-C-2": 1}


def test_the_timeline_places_travel_waits_and_stops_on_the_days_hours() -> None:
    builder = board(DRAFT)
    rows, _waiting = builder.rows(COLOURS)
    timeline = builder.timeline(RESOURCES, COLOURS, rows)
    assert timeline.zone == "Beijing time"
    assert [label for _left, label in timeline.ticks] == [f"{hour:02d}:00" for hour in range(8, 19)]
    van, idle = timeline.rows
    assert van.shift == (0.0, 100.0)
    assert van.shift_text == "08:00\N{EN DASH}18:00"
    assert van.summary == "Stops: 3, 42 km, travelling 1 h"
    assert idle.bars == []
    assert idle.summary == "No stops"
    kinds = [(bar.kind, bar.left, bar.width) for bar in van.bars]
    # 8:00-18:00 is the axis: an hour is 10 %. The route's line is the travel beneath the stops.
    assert van.route is not None
    assert (van.route.left, van.route.width) == (0.0, 40.0)  # 8:00 to 12:00
    assert van.route.detail == "Leaves the depot at 08:00, back at 12:00 (the drive back: 50 min)"
    assert kinds == [
        ("wait", 10.0, 5.0),  # 9:00 to 9:30
        ("stop", 15.0, 1.667),
        ("stop", 23.333, 1.667),
        ("stop", 30.0, 1.667),
    ]
    assert idle.route is None
    first, late, risky = (bar for bar in van.bars if bar.kind == "stop")
    assert [bar.text for bar in (first, late, risky)] == ["1", "2", "3"]
    assert first.flags == ()
    assert late.flags == ("late",)
    assert "Late by 20 min" in late.detail
    assert risky.flags == ("at-risk",)
    assert "09:30\N{EN DASH}09:40 (Beijing time)" in first.detail
    assert first.detail.endswith("· Travel 1 h")
    assert late.detail.endswith("· Travel 40 min")
    html = first.html
    assert 'data-stop-key="T1@PEK-C"' in html
    assert 'style="left:15.0%;width:1.667%"' in html


def test_the_list_twin_says_each_stop_in_words() -> None:
    builder = board(DRAFT, pinned=frozenset({"T1@PEK-C"}), new=frozenset({"T3@PEK-C"}))
    rows, waiting = builder.rows(COLOURS)
    first, late, risky = rows
    assert (first.number, first.resource, first.colour, first.zone) == (1, "VAN-PEK-C-1", 0, "Beijing time")
    assert (first.eta.text, first.start.text, first.departure.text) == ("09:00", "09:30", "09:40")
    assert first.due_by.iso == at(18).isoformat()
    assert builder.status(first) == "On time, Pinned"
    assert builder.status(late) == "Late by 20 min"
    assert builder.status(risky) == "At risk, New"
    (unassigned,) = waiting
    assert unassigned.state == "unassigned"
    assert unassigned.reason == "Every van or engineer who could make it is full with other stops"
    assert not unassigned.pinned


def test_a_committed_plan_pins_every_stop_and_draws_solid_routes() -> None:
    builder = board(COMMITTED)
    rows, waiting = builder.rows(COLOURS)
    assert all(row.pinned for row in rows)
    data = builder.map_data(rows, waiting, COLOURS, dashed=set())
    assert [depot["code"] for depot in data["depots"]] == ["PEK-C"]
    assert data["routes"] == [
        {
            "key": "VAN-PEK-C-1",
            "label": "VAN-PEK-C-1",
            "depot": "PEK-C",
            "stops": ["T1@PEK-C", "T2@PEK-C", "T3@PEK-C"],
            "colour": 0,
            "dashed": False,
            "status": "Committed",
        }
    ]
    states = {stop["key"]: (stop["state"], stop["status"]) for stop in data["stops"]}
    assert states["T2@PEK-C"] == ("late", "Late by 20 min, Pinned")
    assert states["T4@PEK-C"][0] == "unassigned"
    assert data["stops"][0]["label"].startswith("1 · VAN-PEK-C-1 · Delivery · Zhonghe Bank")
