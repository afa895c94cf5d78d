"""Depots, parts, serialized units, bulk stock and the append-only movement ledger."""

from inventory.stock.adjustments import adjust_bulk, change_status
from inventory.stock.catalogue import create_depot, create_part, get_depot, get_part, list_depots, list_parts
from inventory.stock.consistency import check_consistency, check_movements_against_chain
from inventory.stock.model import DepotKind, ReceiptLine, ReceivedUnit, UnitStatus
from inventory.stock.queries import stock_levels, trace_unit
from inventory.stock.receipts import receive_stock
from inventory.stock.records import DepotRecord, LevelRecord, PartRecord
from inventory.stock.transfers import dispatch_transfer, get_transfer, receive_transfer

__all__ = [
    "DepotKind",
    "DepotRecord",
    "LevelRecord",
    "PartRecord",
    "ReceiptLine",
    "ReceivedUnit",
    "UnitStatus",
    "adjust_bulk",
    "change_status",
    "check_consistency",
    "check_movements_against_chain",
    "create_depot",
    "create_part",
    "dispatch_transfer",
    "get_depot",
    "get_part",
    "get_transfer",
    "list_depots",
    "list_parts",
    "receive_stock",
    "receive_transfer",
    "stock_levels",
    "trace_unit",
]
