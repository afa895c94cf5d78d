"""The architecture holds: the import contracts of pyproject.toml, one importer of OR-Tools, packages
inside the repository, and no benchmark among the service's packages."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import api
import bench
import fixtures
import inventory
import jobs
import observability

ROOT = Path(__file__).resolve().parent.parent
SERVICE_PACKAGES = ("api", "jobs", "observability", "inventory", "routing", "fixtures")
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


def test_import_contracts_hold():
    """The layers, the plain-Python rules and the absence of cycles, as declared in pyproject.toml's
    ``[tool.importlinter]`` (also ``make lint``)."""
    checked = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
            "--no-cache",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_ortools_is_imported_in_exactly_one_module():
    modules = [path for package in SERVICE_PACKAGES for path in (ROOT / package).rglob("*.py")]
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


@pytest.mark.parametrize("module", sorted(path.stem for path in (ROOT / "bench").glob("*.py")))
def test_every_benchmark_module_imports(module):
    """``make bench`` runs them outside the test suite: a service change that breaks one shows here."""
    importlib.import_module(f"bench.{module}")


def test_packages_resolve_inside_the_repository():
    for package in (api, bench, jobs, observability, inventory, fixtures):
        assert Path(package.__file__).resolve().is_relative_to(ROOT)


DOMAIN_PACKAGES = (
    "inventory/stock",
    "inventory/tickets",
    "inventory/customers",
    "inventory/secure_media",
    "inventory/audit",
    "inventory/accounts",
    "inventory/notifications",
    "inventory/planning",
)
"""Packages that reach the database only through `inventory.persistence`'s named operations and Piccolo's
query builder: no engine branches, no SQL text, no raw queries, no driver (their tables and migrations
aside)."""
SQL_TEXT = re.compile(
    r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|WITH \w+ AS \(|SET CONSTRAINTS|PRAGMA|BEGIN|COMMIT|"
    r"ROLLBACK|SAVEPOINT|CREATE|DROP|ALTER|ON CONFLICT|RETURNING)\b"
)
DRIVERS = {"sqlite3", "asyncpg", "aiosqlite"}
RAW_QUERIES = {"raw", "run", "run_ddl", "run_querystring", "execute", "fetch"}


def domain_modules() -> list[Path]:
    return [
        path
        for package in DOMAIN_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "tables.py" and "piccolo_migrations" not in path.parts
    ]


def persistence_in(path: Path) -> list[str]:
    """Engine branches, SQL text, raw queries and driver imports in a module (documentation aside)."""
    source = path.read_text()
    tree = ast.parse(source)
    documentation = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    found = ["engine_kind("] if "engine_kind(" in source else []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in documentation:
            if SQL_TEXT.search(node.value):
                found.append(f"line {node.lineno}: SQL text {node.value[:60]!r}")
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in RAW_QUERIES:
                found.append(f"line {node.lineno}: {name}(...)")
    found += [f"imports {driver}" for driver in sorted(imported_roots(path) & DRIVERS)]
    return found


@pytest.mark.parametrize("module", domain_modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_domain_services_leave_engines_and_sql_to_the_persistence_package(module):
    assert persistence_in(module) == []


def test_the_persistence_check_finds_what_it_looks_for(tmp_path):
    module = tmp_path / "service.py"
    module.write_text(
        '"""Takes a conditional UPDATE ... RETURNING: documentation may name SQL."""\n'
        "import asyncpg\n"
        "if engine_kind(engine) == 'postgresql':\n"
        '    rows = await Ticket.raw(f"UPDATE ticket SET status = {{}} WHERE id = {ticket}")\n'
        "    await run('SELECT 1')\n"
    )
    assert set(persistence_in(module)) == {
        "engine_kind(",
        "line 4: raw(...)",
        "line 4: SQL text 'UPDATE ticket SET status = {} WHERE id = '",
        "line 5: run(...)",
        "line 5: SQL text 'SELECT 1'",
        "imports asyncpg",
    }


def public_names(module_name: str) -> set[str] | None:
    """What a package or a top-level module of the domain exports (its ``__all__``), or None if it is a
    module inside a package, which the API may not import from."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return None
    is_package = hasattr(module, "__path__")
    if not is_package and module_name.count(".") > 1:
        return None
    return set(getattr(module, "__all__", ()))


def imports_beyond_exports(path: Path) -> list[str]:
    """The API's imports from the layers below it (`jobs`, `inventory`, `routing`, `geo`) that are not a
    package, a top-level module or one of the names they export."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in DOMAIN_ROOTS:
            exported = public_names(node.module)
            for alias in node.names:
                subpackage = f"{node.module}.{alias.name}"
                if exported is None or (alias.name not in exported and public_names(subpackage) is None):
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.split(".")[0] in DOMAIN_ROOTS and public_names(alias.name) is None
            ]
    return found


DOMAIN_ROOTS = {"jobs", "inventory", "routing", "geo"}


@pytest.mark.parametrize(
    "module",
    sorted(path for package in ("api", "observability") for path in (ROOT / package).rglob("*.py")),
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_the_api_imports_only_what_the_domain_exports(module):
    assert imports_beyond_exports(module) == []


def test_the_export_check_finds_what_it_looks_for(tmp_path):
    module = tmp_path / "controller.py"
    module.write_text(
        "from inventory import tickets\n"
        "from inventory.tickets import open_ticket\n"
        "from inventory.tickets import lock_ticket\n"
        "from inventory.tickets.service import open_ticket\n"
        "import inventory.stock.receipts\n"
    )
    assert imports_beyond_exports(module) == [
        "line 3: from inventory.tickets import lock_ticket",
        "line 4: from inventory.tickets.service import open_ticket",
        "line 5: import inventory.stock.receipts",
    ]
