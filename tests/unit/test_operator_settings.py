"""The operator commands run without the web's statement timeout unless one is set for them."""

from __future__ import annotations

from api.__main__ import operator_settings
from api.settings import Settings


def test_commands_have_no_statement_timeout_by_default():
    assert Settings(_env_file=None).pg_statement_timeout_s == 30
    assert operator_settings(Settings(_env_file=None)).postgres_timeouts().statement_s is None


def test_a_statement_timeout_set_for_the_commands_is_kept(monkeypatch):
    monkeypatch.setenv("PG_STATEMENT_TIMEOUT_S", "120")
    assert operator_settings(Settings(_env_file=None)).postgres_timeouts().statement_s == 120
