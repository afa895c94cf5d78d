"""Depots, parts, serialized units, bulk stock and the append-only movement ledger."""

from inventory.stock.adjustments import adjust_bulk, change_status
from inventory.stock.catalogue import (
    create_depot,
    create_part,
    depots_by_code,
    get_depot,
    get_part,
    list_depots,
    list_parts,
)
from inventory.stock.consistency import check_consistency, check_movements_against_chain
from inventory.stock.model import DepotKind, ReceiptLine, ReceivedUnit, UnitStatus
from inventory.stock.queries import stock_levels, trace_unit
from inventory.stock.receipt_checks import (
    Finding,
    ScannedUnit,
    Severity,
    check_box,
    check_units,
    is_code,
    worst,
)
from inventory.stock.receipts import receive_stock
from inventory.stock.records import DepotRecord, LevelRecord, PartRecord, TransferRecord
from inventory.stock.transfers import dispatch_transfer, get_transfer, receive_transfer
from inventory.stock.views import (
    STOCK_FILTERS,
    BatchRow,
    StockRow,
    TransferRow,
    UnitRow,
    batch_stock,
    depot_zones,
    get_receipt,
    list_transfers,
    receipt_knowledge,
    stock_overview,
    units_of,
)

__all__ = [
    "STOCK_FILTERS",
    "BatchRow",
    "DepotKind",
    "DepotRecord",
    "Finding",
    "LevelRecord",
    "PartRecord",
    "ReceiptLine",
    "ReceivedUnit",
    "ScannedUnit",
    "Severity",
    "StockRow",
    "TransferRecord",
    "TransferRow",
    "UnitRow",
    "UnitStatus",
    "adjust_bulk",
    "batch_stock",
    "change_status",
    "check_box",
    "check_consistency",
    "check_movements_against_chain",
    "check_units",
    "create_depot",
    "create_part",
    "depot_zones",
    "depots_by_code",
    "dispatch_transfer",
    "get_depot",
    "get_part",
    "get_receipt",
    "get_transfer",
    "is_code",
    "list_depots",
    "list_parts",
    "list_transfers",
    "receipt_knowledge",
    "receive_stock",
    "receive_transfer",
    "stock_levels",
    "stock_overview",
    "trace_unit",
    "units_of",
    "worst",
]
