"""Piccolo tables of the stock app."""

from __future__ import annotations

from datetime import time

from piccolo.columns import (
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Time,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from inventory.persistence import SCOPED_ENGINE

# Composite unique indexes and check constraints are created by the migration
# "constraints and lookup indexes" (Piccolo can only add them with ALTER TABLE, which SQLite lacks);
# tests/test_migrations.py checks that they exist on both engines.


class Depot(Table, tablename="depot", db=SCOPED_ENGINE):
    """A stocking location: central warehouse, regional hub or forward stocking location."""

    code = Varchar(length=32, unique=True)
    name = Varchar(length=200)
    kind = Varchar(length=16)
    latitude = DoublePrecision()
    longitude = DoublePrecision()
    timezone = Varchar(length=64)
    calendar_region = Varchar(length=16, default="CN")
    order_cutoff = Time(default=time(17, 0))
    created_at = Timestamptz()
    active = Boolean(default=True)
    """An inactive depot takes no new work (receipts, transfers to it, reservations) and stays readable."""


class Part(Table, tablename="part", db=SCOPED_ENGINE):
    """A part number in the catalogue."""

    part_number = Varchar(length=64, unique=True)
    description = Varchar(length=500)
    category = Varchar(length=64, index=True)
    serialized = Boolean(default=True)
    secure_media = Boolean(default=False)
    unit_cost = Numeric(digits=(12, 2))
    weight_kg = DoublePrecision()
    volume_l = DoublePrecision()
    created_at = Timestamptz()
    active = Boolean(default=True)
    """An inactive part is neither received, sent nor reserved any more, and stays readable."""


class StockUnit(Table, tablename="stock_unit", db=SCOPED_ENGINE):
    """One serialized unit: a serial of a part, with the box and factory batch it came in."""

    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    serial = Varchar(length=100)
    box_number = Varchar(length=100)
    batch_number = Varchar(length=100)
    depot = ForeignKey(references=Depot, null=True, on_delete=OnDelete.restrict)
    status = Varchar(length=32)
    received_at = Timestamptz()
    updated_at = Timestamptz()


class BulkStock(Table, tablename="bulk_stock", db=SCOPED_ENGINE):
    """Quantities of a non-serialized part of one batch at one depot, by state."""

    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    batch_number = Varchar(length=100)
    available = Integer(default=0)
    reserved = Integer(default=0)
    in_transit = Integer(default=0)
    defective = Integer(default=0)
    quarantined = Integer(default=0)


class StockLevel(Table, tablename="stock_level", db=SCOPED_ENGINE):
    """Stock of one part at one depot: the row every stock change updates conditionally.

    ``on_hand`` is good stock on the shelf (available plus reserved); ``in_transit`` is inbound stock.
    The check constraints are the last line of defence behind the conditional updates.
    """

    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    on_hand = Integer(default=0)
    reserved = Integer(default=0)
    in_transit = Integer(default=0)
    defective = Integer(default=0)
    quarantined = Integer(default=0)


class Receipt(Table, tablename="receipt", db=SCOPED_ENGINE):
    """A goods receipt: a supplier's delivery note booked into one depot, once.

    ``delivery_key`` (`inventory.stock.model.delivery_key` of supplier and reference) is unique: the
    database refuses a delivery note booked twice, however many requests race. It is null only on a
    receipt that repeated an earlier one before the rule existed.
    """

    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict)
    supplier = Varchar(length=200)
    reference = Varchar(length=100)
    received_at = Timestamptz()
    received_by = Varchar(length=64)
    line_count = Integer()
    quantity = Integer()
    delivery_key = Varchar(length=64, null=True, default=None)


class Transfer(Table, tablename="transfer", db=SCOPED_ENGINE):
    """Stock moving between two depots; in transit from dispatch until received, perhaps in parts
    (``partially_received`` until the last part lands). ``received_at`` and ``received_by`` are those of
    the latest part."""

    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    from_depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict)
    to_depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict)
    quantity = Integer()
    status = Varchar(length=24)
    reason = Varchar(length=500, default="")
    dispatched_at = Timestamptz()
    dispatched_by = Varchar(length=64)
    received_at = Timestamptz(null=True, default=None)
    received_by = Varchar(length=64, null=True, default=None)


class TransferItem(Table, tablename="transfer_item", db=SCOPED_ENGINE):
    """What a transfer carries: one serialized unit, or a quantity of one bulk batch, and how much of it
    has landed (never more than it carries: a check constraint on PostgreSQL, triggers on SQLite)."""

    transfer = ForeignKey(references=Transfer, null=False, on_delete=OnDelete.restrict, index=True)
    unit = ForeignKey(references=StockUnit, null=True, on_delete=OnDelete.restrict)
    batch_number = Varchar(length=100)
    quantity = Integer()
    received_quantity = Integer(default=0)


class Movement(Table, tablename="movement", db=SCOPED_ENGINE):
    """The append-only ledger: one row for every change of place or state of stock."""

    at = Timestamptz()
    kind = Varchar(length=24)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    unit = ForeignKey(references=StockUnit, null=True, on_delete=OnDelete.restrict, index=True)
    batch_number = Varchar(length=100)
    quantity = Integer()
    from_depot = ForeignKey(references=Depot, null=True, on_delete=OnDelete.restrict)
    from_status = Varchar(length=32, null=True, default=None)
    to_depot = ForeignKey(references=Depot, null=True, on_delete=OnDelete.restrict)
    to_status = Varchar(length=32, null=True, default=None)
    actor = Varchar(length=64)
    reason = Varchar(length=500, default="")
    reference = Varchar(length=100, default="", index=True)


class ShippingNotice(Table, tablename="shipping_notice", db=SCOPED_ENGINE):
    """An advance shipping notice: what a supplier says a delivery note brings to a depot, unit by unit
    (serial, box, batch) and batch by batch. Received once, against a receipt of the same delivery note;
    ``delivery_key`` is unique, as a receipt's is."""

    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict)
    supplier = Varchar(length=200)
    reference = Varchar(length=100)
    delivery_key = Varchar(length=64)
    status = Varchar(length=16, index=True)
    created_at = Timestamptz()
    created_by = Varchar(length=64)
    receipt = ForeignKey(references=Receipt, null=True, on_delete=OnDelete.restrict)


class NoticeLine(Table, tablename="notice_line", db=SCOPED_ENGINE):
    """A line of a notice's manifest: one serialized unit (``serial``, quantity 1), or a quantity of one
    bulk batch; and how much of it arrived as the manifest says."""

    notice = ForeignKey(references=ShippingNotice, null=False, on_delete=OnDelete.restrict, index=True)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    serial = Varchar(length=100, null=True, default=None)
    box_number = Varchar(length=100, default="")
    batch_number = Varchar(length=100)
    quantity = Integer()
    received_quantity = Integer(default=0)


class NoticeFinding(Table, tablename="notice_finding", db=SCOPED_ENGINE):
    """What arrived against a notice other than its manifest says, or did not arrive: ``missing``
    (not booked), ``unexpected``, ``box_differs``, ``batch_differs`` or ``excess`` (booked quarantined)."""

    notice = ForeignKey(references=ShippingNotice, null=False, on_delete=OnDelete.restrict, index=True)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    reason = Varchar(length=24)
    serial = Varchar(length=100, null=True, default=None)
    box_number = Varchar(length=100, default="")
    batch_number = Varchar(length=100, default="")
    quantity = Integer()
    expected_box_number = Varchar(length=100, null=True, default=None)
    expected_batch_number = Varchar(length=100, null=True, default=None)


class CountSession(Table, tablename="count_session", db=SCOPED_ENGINE):
    """A stock count at one depot, of all parts or of the parts in ``count_scope``: ``open`` while
    lines are scanned, ``closed`` with its variances, ``approved`` once a second person booked them."""

    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict, index=True)
    all_parts = Boolean(default=True)
    status = Varchar(length=16)
    opened_at = Timestamptz()
    opened_by = Varchar(length=64)
    closed_at = Timestamptz(null=True, default=None)
    closed_by = Varchar(length=64, null=True, default=None)
    approved_at = Timestamptz(null=True, default=None)
    approved_by = Varchar(length=64, null=True, default=None)


class CountScope(Table, tablename="count_scope", db=SCOPED_ENGINE):
    """A part a count session is limited to."""

    session = ForeignKey(references=CountSession, null=False, on_delete=OnDelete.restrict, index=True)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)


class CountLine(Table, tablename="count_line", db=SCOPED_ENGINE):
    """One scan of a count: a serial (quantity 1) or a quantity of a bulk batch, by whom and when."""

    session = ForeignKey(references=CountSession, null=False, on_delete=OnDelete.restrict, index=True)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    serial = Varchar(length=100, null=True, default=None)
    batch_number = Varchar(length=100, default="")
    quantity = Integer()
    counted_by = Varchar(length=64)
    counted_at = Timestamptz()


class CountVariance(Table, tablename="count_variance", db=SCOPED_ENGINE):
    """A difference found when a count closed (``missing`` or ``unknown`` serial, bulk ``quantity``),
    with what its approval books (``outcome``)."""

    session = ForeignKey(references=CountSession, null=False, on_delete=OnDelete.restrict, index=True)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    kind = Varchar(length=16)
    serial = Varchar(length=100, null=True, default=None)
    batch_number = Varchar(length=100, default="")
    expected = Integer()
    counted = Integer()
    outcome = Varchar(length=24)


class WriteOff(Table, tablename="write_off", db=SCOPED_ENGINE):
    """A serialized unit to be written off (``scrapped`` or ``lost``): asked for by one person,
    booked when a second approves."""

    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    unit = ForeignKey(references=StockUnit, null=False, on_delete=OnDelete.restrict, index=True)
    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict)
    outcome = Varchar(length=16)
    reason = Varchar(length=500)
    status = Varchar(length=16, index=True)
    requested_at = Timestamptz()
    requested_by = Varchar(length=64)
    decided_at = Timestamptz(null=True, default=None)
    decided_by = Varchar(length=64, null=True, default=None)


class VendorReturn(Table, tablename="vendor_return", db=SCOPED_ENGINE):
    """A return of defective units to their vendor under the vendor's RMA number: ``open``, ``shipped``,
    then ``credited`` or ``replaced``. ``rma_key`` (vendor and RMA number, compared as people type them)
    is unique."""

    vendor = Varchar(length=200)
    rma_number = Varchar(length=100)
    rma_key = Varchar(length=64)
    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict)
    status = Varchar(length=16, index=True)
    created_at = Timestamptz()
    created_by = Varchar(length=64)
    shipped_at = Timestamptz(null=True, default=None)
    shipped_by = Varchar(length=64, null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    closed_by = Varchar(length=64, null=True, default=None)
    note = Varchar(length=500, default="")


class VendorReturnUnit(Table, tablename="vendor_return_unit", db=SCOPED_ENGINE):
    """A unit of a vendor return: a defective unit sent back, or (``replacement``) one the vendor sent
    in its place."""

    vendor_return = ForeignKey(references=VendorReturn, null=False, on_delete=OnDelete.restrict, index=True)
    unit = ForeignKey(references=StockUnit, null=False, on_delete=OnDelete.restrict, index=True)
    replacement = Boolean(default=False)
