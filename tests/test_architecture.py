"""Domain modules are plain Python: no web framework, no ORM, no solver, no API imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import api
import bench
import fixtures
import inventory

ROOT = Path(__file__).resolve().parent.parent
PURE_MODULES = [
    "inventory/errors.py",
    "inventory/stock/model.py",
    "inventory/stock/ledger.py",
    "inventory/stock/records.py",
    "inventory/calendars.py",
    "inventory/tickets/sla.py",
    "inventory/tickets/delivery.py",
    "inventory/customers/warranty.py",
    "inventory/tickets/priority.py",
    "inventory/tickets/sourcing.py",
    "inventory/secure_media/rules.py",
    "inventory/secure_media/proof.py",
    "inventory/stock/movement_proof.py",
    "inventory/audit/chain.py",
    "inventory/time_window.py",
    "inventory/accounts/roles.py",
    "geo/travel.py",
    "routing/model.py",
    "routing/errors.py",
    "routing/check.py",
    "routing/schedule.py",
    "routing/urgent.py",
    "routing/assembly.py",
    "routing/nbd.py",
    "routing/dispatch_rules.py",
    "routing/osrm.py",
    "bench/solomon.py",
]
FORBIDDEN = ("litestar", "piccolo", "pydantic", "ortools", "api", "asyncpg", "aiosqlite")
SERVICE_PACKAGES = ("api", "inventory", "routing", "fixtures")
"""The packages of the service; `bench` sits beside them and only ever imports them."""


def imported_roots(path: Path) -> set[str]:
    """The top-level packages a module imports."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_modules_import_no_framework(module):
    assert not imported_roots(ROOT / module) & set(FORBIDDEN)


def test_ortools_is_imported_in_exactly_one_module():
    modules = [
        path
        for package in ("api", "inventory", "routing", "fixtures")
        for path in (ROOT / package).rglob("*.py")
    ]
    importers = sorted(str(path.relative_to(ROOT)) for path in modules if "ortools" in imported_roots(path))
    assert importers == ["routing/ortools_solver.py"]


def test_the_service_does_not_import_the_benchmarks():
    importers = sorted(
        str(path.relative_to(ROOT))
        for package in SERVICE_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "bench" in imported_roots(path)
    )
    assert importers == []


def test_benchmarks_live_only_in_bench():
    stray = sorted(
        str(path.relative_to(ROOT))
        for package in SERVICE_PACKAGES
        for path in (ROOT / package).rglob("bench*.py")
    )
    assert stray == []


def test_packages_resolve_inside_the_repository():
    for package in (api, bench, inventory, fixtures):
        assert Path(package.__file__).resolve().is_relative_to(ROOT)
