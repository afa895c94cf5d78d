"""The demo data set loaded into a test database, as ``make demo`` loads it (with cheap password
hashes): for the page tests and the browser tests."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT, migrate

DEMO_PASSWORD = "demo"
STAFF = ("admin", "warehouse", "dispatcher", "compliance")
CUSTOMERS = ("zhb", "hsg", "xtc", "ljl", "msu")
"""The demo's users: one per staff role, and one per customer company (its code in lower case)."""
CHEAP_HASHING = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "8", "ARGON2_PARALLELISM": "1"}


def load_demo(database_url: str) -> None:
    """Migrate ``database_url`` and load the demo into it, as ``make demo`` does (cheap password hashes)."""
    migrate(database_url)
    result = subprocess.run(
        [sys.executable, "-m", "api", "load-demo"],
        cwd=ROOT,
        env={
            **os.environ,
            **CHEAP_HASHING,
            "DATABASE_URL": database_url,
            "DEMO_PASSWORD": DEMO_PASSWORD,
            "LOG_LEVEL": "ERROR",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
