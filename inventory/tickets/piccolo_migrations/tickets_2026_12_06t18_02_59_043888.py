"""One way to the site per reserved part, and tickets at risk (their indexes: the next migration).

* ``fulfilment``: how each reserved part reaches its site (van, engineer, customer collection) and the
  engineer's committed visit of a ticket, with the committed ETA; a unique ``reservation`` makes a second
  way for one part impossible;
* ``dispatch_attention``: tickets on the dispatcher's list (e.g. their part was pre-empted);
* ``ticket.at_risk`` (indexed, for ``GET /api/v1/tickets?at_risk=true``),
  ``ticket.predicted_late_seconds``, and the committed ETAs ``ticket.parts_eta`` and ``ticket.visit_eta``.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Boolean, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T18:02:59:043888"
VERSION = "1.38.0"
DESCRIPTION = "fulfilment ways, the dispatcher's attention list and tickets at risk"


class Reservation(Table, tablename="reservation", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


class Ticket(Table, tablename="ticket", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


def _params(**given: object) -> dict:
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **given,
    }


def _reference(table: type[Table], *, null: bool, **given: object) -> dict:
    return _params(
        references=table,
        on_delete=OnDelete.restrict,
        on_update=OnUpdate.cascade,
        target_column=None,
        null=null,
        **given,
    )


def _text(length: int, *, null: bool = False, default: str | None = "") -> dict:
    return _params(length=length, default=default, null=null)


def _instant(*, null: bool = False) -> dict:
    return _params(default=None if null else TimestamptzNow(), null=null)


COLUMNS = {
    ("Fulfilment", "fulfilment"): [
        ("ticket", ForeignKey, _reference(Ticket, null=False, index=True)),
        ("reservation", ForeignKey, _reference(Reservation, null=True, unique=True)),
        ("way", Varchar, _text(16)),
        ("plan", Integer, _params(default=None, null=True, index=True)),
        ("stop", Varchar, _text(64, null=True, default=None)),
        ("carrier", Varchar, _text(32, null=True, default=None)),
        ("eta", Timestamptz, _instant()),
        ("committed_by", Varchar, _text(64)),
        ("committed_at", Timestamptz, _instant()),
    ],
    ("DispatchAttention", "dispatch_attention"): [
        ("ticket", ForeignKey, _reference(Ticket, null=False, index=True)),
        ("reservation", ForeignKey, _reference(Reservation, null=True)),
        ("reason", Varchar, _text(32)),
        ("note", Varchar, _text(500)),
        ("plan", Integer, _params(default=None, null=True)),
        ("stop", Varchar, _text(64, null=True, default=None)),
        ("raised_by", Varchar, _text(64)),
        ("raised_at", Timestamptz, _instant()),
        ("resolved_by", Varchar, _text(64, null=True, default=None)),
        ("resolved_at", Timestamptz, _instant(null=True)),
    ],
    ("Ticket", "ticket"): [
        ("at_risk", Boolean, _params(default=False, index=True)),
        ("predicted_late_seconds", Integer, _params(default=0)),
        ("parts_eta", Timestamptz, _instant(null=True)),
        ("visit_eta", Timestamptz, _instant(null=True)),
    ],
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    for class_name, tablename in COLUMNS:
        if class_name != "Ticket":
            manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
    for (class_name, tablename), columns in COLUMNS.items():
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params=params,
                schema=None,
            )
    return manager
