"""Random sequences of stock operations never break the ledger: checked after every step.

Hypothesis drives the real services on a real (SQLite) database: receipts, duplicate serials, delivery
notes booked again, transfers by quantity and by serial, receiving transfers whole or in parts, status
changes and bulk adjustments. After each step the consistency check must find nothing, and an operation
that failed must have written nothing.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from api.domain_context import DomainContext
from inventory.errors import DomainError
from inventory.stock import adjustments, receipts, transfers
from inventory.stock.catalogue import create_depot, create_part
from inventory.stock.consistency import check_consistency
from inventory.stock.model import ReceiptLine, ReceivedUnit, UnitStatus
from inventory.stock.records import DepotRecord, PartRecord
from inventory.stock.tables import Movement
from tests.conftest import test_settings

DEPOTS = ("A", "B", "C")
SERIALIZED = ("DISK", "PSU")
BULK = "CABLE"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
STATUS_TARGETS = (
    UnitStatus.QUARANTINED,
    UnitStatus.DEFECTIVE,
    UnitStatus.AVAILABLE,
    UnitStatus.RETURNED_TO_VENDOR,
)

depots = st.sampled_from(DEPOTS)


class StockMachine(RuleBasedStateMachine):
    template: Path
    workdir: Path
    examples = 0

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.serials: dict[str, list[str]] = {part: [] for part in SERIALIZED}
        self.pending: list[int] = []
        self.counter = 0
        self.notes: list[str] = []

    def run(self, coroutine):
        return self.runner.run(self._in_domain(coroutine))

    async def _in_domain(self, coroutine):
        with self.domain.entered():
            return await coroutine

    @initialize()
    def fresh_database(self) -> None:
        StockMachine.examples += 1
        path = self.workdir / f"example-{StockMachine.examples}.sqlite3"
        shutil.copyfile(self.template, path)
        self.domain = DomainContext.from_settings(test_settings(f"sqlite:///{path}"))

        async def catalogue() -> None:
            for code in DEPOTS:
                await create_depot(DepotRecord(code, code, "central", 30.0, 120.0, "Asia/Shanghai"), now=NOW)
            for number in (*SERIALIZED, BULK):
                record = PartRecord(number, number, "c", number != BULK, False, 1, 1.0, 1.0)
                await create_part(record, now=NOW)

        self.run(catalogue())

    def attempt(self, coroutine) -> bool:
        """Run an operation; if the domain refuses it, nothing may have been written."""
        before = self.run(Movement.count().run())
        try:
            self.run(coroutine)
        except DomainError:
            assert self.run(Movement.count().run()) == before
            return False
        return True

    @rule(depot=depots, part=st.sampled_from(SERIALIZED), count=st.integers(1, 3), reuse=st.booleans())
    def receive_units(self, depot: str, part: str, count: int, reuse: bool) -> None:
        names = []
        for _ in range(count):
            self.counter += 1
            names.append(f"S{self.counter:05d}")
        if reuse and self.serials[part]:
            names[-1] = self.serials[part][0]
        line = ReceiptLine(part, None, None, tuple(ReceivedUnit(s, f"BOX-{s}", "B1") for s in names))
        received = self._receive(depot, line, f"DN-{self.counter}")
        assert received != (reuse and len(self.serials[part]) > 0)
        if received:
            self.serials[part].extend(names)

    @rule(depot=depots, quantity=st.integers(1, 20), batch=st.sampled_from(("L1", "L2")))
    def receive_bulk(self, depot: str, quantity: int, batch: str) -> None:
        self.counter += 1
        assert self._receive(depot, ReceiptLine(BULK, quantity, batch, ()), f"DN-{self.counter}")

    @precondition(lambda self: self.notes)
    @rule(data=st.data(), depot=depots, quantity=st.integers(1, 20))
    def receive_a_delivery_note_again(self, data: st.DataObject, depot: str, quantity: int) -> None:
        note = data.draw(st.sampled_from(self.notes))
        typed = data.draw(st.sampled_from((note, note.lower(), f" {note} ")))
        assert not self._receive(depot, ReceiptLine(BULK, quantity, "L1", ()), typed)

    def _receive(self, depot: str, line: ReceiptLine, note: str) -> bool:
        received = self.attempt(
            receipts.receive_stock(
                depot=depot, supplier="s", reference=note, lines=[line], actor="t", now=NOW
            )
        )
        if received:
            self.notes.append(note)
        return received

    @rule(
        part=st.sampled_from((*SERIALIZED, BULK)),
        source=depots,
        destination=depots,
        quantity=st.integers(1, 4),
    )
    def transfer_quantity(self, part: str, source: str, destination: str, quantity: int) -> None:
        self._dispatch(part, source, destination, quantity, None)

    @precondition(lambda self: any(self.serials.values()))
    @rule(data=st.data(), source=depots, destination=depots)
    def transfer_serial(self, data: st.DataObject, source: str, destination: str) -> None:
        part = data.draw(st.sampled_from([p for p in SERIALIZED if self.serials[p]]))
        serial = data.draw(st.sampled_from(self.serials[part]))
        self._dispatch(part, source, destination, None, [serial])

    def _dispatch(self, part: str, source: str, target: str, quantity: int | None, serials: list[str] | None):
        outcome: list[int] = []

        async def send() -> None:
            record = await transfers.dispatch_transfer(
                part_number=part,
                from_depot=source,
                to_depot=target,
                quantity=quantity,
                serials=serials,
                reason="",
                actor="t",
                now=NOW,
            )
            outcome.append(record.id)

        if self.attempt(send()):
            self.pending.extend(outcome)

    @precondition(lambda self: self.pending)
    @rule(data=st.data(), whole=st.booleans())
    def receive_transfer(self, data: st.DataObject, whole: bool) -> None:
        transfer_id = data.draw(st.sampled_from(self.pending))
        waiting = [line for line in self.run(transfers.get_transfer(transfer_id)).lines if not line.received]
        arrived: dict = {}
        if not whole and waiting[0].serial is not None:
            serials = [line.serial for line in waiting]
            arrived["serials"] = data.draw(st.lists(st.sampled_from(serials), min_size=1, unique=True))
        elif not whole:
            in_transit = sum(line.quantity - line.received_quantity for line in waiting)
            arrived["quantity"] = data.draw(st.integers(1, in_transit))
        assert self.attempt(transfers.receive_transfer(transfer_id, **arrived, actor="t", now=NOW))
        if self.run(transfers.get_transfer(transfer_id)).status == transfers.RECEIVED:
            self.pending.remove(transfer_id)
            assert not self.attempt(transfers.receive_transfer(transfer_id, actor="t", now=NOW))
        elif "serials" in arrived:
            again = {"serials": arrived["serials"][:1]}
            assert not self.attempt(transfers.receive_transfer(transfer_id, **again, actor="t", now=NOW))

    @precondition(lambda self: any(self.serials.values()))
    @rule(data=st.data(), depot=depots, status=st.sampled_from(STATUS_TARGETS))
    def change_unit_status(self, data: st.DataObject, depot: str, status: UnitStatus) -> None:
        part = data.draw(st.sampled_from([p for p in SERIALIZED if self.serials[p]]))
        serial = data.draw(st.sampled_from(self.serials[part]))
        self.attempt(
            adjustments.change_status(
                part_number=part,
                depot=depot,
                to_status=status,
                serial=serial,
                batch_number=None,
                quantity=None,
                from_status=None,
                reason="check",
                actor="t",
                now=NOW,
            )
        )

    @rule(depot=depots, batch=st.sampled_from(("L1", "L2")), delta=st.integers(-6, 6).filter(bool))
    def adjust_bulk(self, depot: str, batch: str, delta: int) -> None:
        self.attempt(
            adjustments.adjust_bulk(
                part_number=BULK,
                depot=depot,
                batch_number=batch,
                delta=delta,
                reason="count",
                actor="t",
                now=NOW,
            )
        )

    @invariant()
    def stock_equals_ledger(self) -> None:
        assert self.run(check_consistency()) == []

    def teardown(self) -> None:
        self.runner.close()


def test_random_operation_sequences_keep_stock_equal_to_the_ledger(sqlite_template, tmp_path):
    StockMachine.template = sqlite_template
    StockMachine.workdir = tmp_path
    machine = StockMachine.TestCase
    machine.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    machine().runTest()
