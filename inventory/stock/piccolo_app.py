"""Piccolo app registration for the stock tables."""

import os

from piccolo.conf.apps import AppConfig

from inventory.stock.tables import (
    BulkStock,
    Depot,
    Movement,
    Part,
    Receipt,
    StockLevel,
    StockUnit,
    Transfer,
    TransferItem,
)

APP_CONFIG = AppConfig(
    app_name="stock",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Depot, Part, StockUnit, BulkStock, StockLevel, Receipt, Transfer, TransferItem, Movement],
    migration_dependencies=[],
    commands=[],
)
