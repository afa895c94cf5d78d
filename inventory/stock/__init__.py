"""Depots, parts, serialized units, bulk stock and the append-only movement ledger."""

from inventory.stock import counts, notices, vendor_returns, write_offs
from inventory.stock.adjustments import adjust_bulk, change_status
from inventory.stock.catalogue import create_depot, create_part, get_depot, get_part, list_depots, list_parts
from inventory.stock.consistency import check_consistency, check_movements_against_chain
from inventory.stock.model import CheckedLine, DepotKind, ReceiptLine, ReceivedUnit, UnitStatus
from inventory.stock.notice_rules import Announced, match_arrival
from inventory.stock.notice_rules import Matching as NoticeMatching
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
from inventory.stock.records import (
    CountRecord,
    DepotRecord,
    LevelRecord,
    NoticeLineRecord,
    NoticeRecord,
    PartRecord,
    TransferRecord,
    VendorReturnRecord,
    WriteOffRecord,
)
from inventory.stock.rma_rules import RmaState
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
    "Announced",
    "BatchRow",
    "CheckedLine",
    "CountRecord",
    "DepotKind",
    "DepotRecord",
    "Finding",
    "LevelRecord",
    "NoticeLineRecord",
    "NoticeMatching",
    "NoticeRecord",
    "PartRecord",
    "ReceiptLine",
    "ReceivedUnit",
    "RmaState",
    "ScannedUnit",
    "Severity",
    "StockRow",
    "TransferRecord",
    "TransferRow",
    "UnitRow",
    "UnitStatus",
    "VendorReturnRecord",
    "WriteOffRecord",
    "adjust_bulk",
    "batch_stock",
    "change_status",
    "check_box",
    "check_consistency",
    "check_movements_against_chain",
    "check_units",
    "counts",
    "create_depot",
    "create_part",
    "depot_zones",
    "dispatch_transfer",
    "get_depot",
    "get_part",
    "get_receipt",
    "get_transfer",
    "is_code",
    "list_depots",
    "list_parts",
    "list_transfers",
    "match_arrival",
    "notices",
    "receipt_knowledge",
    "receive_stock",
    "receive_transfer",
    "stock_levels",
    "stock_overview",
    "trace_unit",
    "units_of",
    "vendor_returns",
    "worst",
    "write_offs",
]
