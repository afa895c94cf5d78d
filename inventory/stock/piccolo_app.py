"""Piccolo app registration for the stock tables."""

import os

from piccolo.conf.apps import AppConfig

from inventory.stock.tables import (
    BulkStock,
    CountLine,
    CountScope,
    CountSession,
    CountVariance,
    Depot,
    Movement,
    NoticeFinding,
    NoticeLine,
    Part,
    Receipt,
    ShippingNotice,
    StockLevel,
    StockUnit,
    Transfer,
    TransferItem,
    VendorReturn,
    VendorReturnUnit,
    WriteOff,
)

APP_CONFIG = AppConfig(
    app_name="stock",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        Depot,
        Part,
        StockUnit,
        BulkStock,
        StockLevel,
        Receipt,
        Transfer,
        TransferItem,
        Movement,
        ShippingNotice,
        NoticeLine,
        NoticeFinding,
        CountSession,
        CountScope,
        CountLine,
        CountVariance,
        WriteOff,
        VendorReturn,
        VendorReturnUnit,
    ],
    migration_dependencies=[],
    commands=[],
)
