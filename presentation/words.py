"""Codes in words: each kind of code (a role, a stock state, a ticket status ...) maps its codes to
English message ids, which the pages translate. The areas of the pages define their own kinds, each once,
in their own module (``VOCABULARY.define("stock-state", {...})``)."""

from __future__ import annotations

from collections.abc import Mapping


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it here (it is translated when shown)."""
    return message


class Vocabulary:
    """Kinds of codes and the words for each code."""

    def __init__(self) -> None:
        self._kinds: dict[str, dict[str, str]] = {}

    def define(self, kind: str, words: Mapping[str, str]) -> None:
        """Add the words of ``kind``'s codes (English message ids, marked with `N_`).

        Raises:
            ValueError: a code of ``kind`` already has other words (two areas defining one kind apart).
        """
        known = self._kinds.setdefault(kind, {})
        for code, message in words.items():
            if known.get(code, message) != message:
                raise ValueError(f"{kind} {code!r} already reads {known[code]!r}, not {message!r}")
            known[code] = message

    def message(self, kind: str, code: str) -> str | None:
        """The English message id for ``code`` of ``kind``, or None when it has no words."""
        return self._kinds.get(kind, {}).get(code)

    def kinds(self) -> dict[str, dict[str, str]]:
        """Every kind and its words (a copy)."""
        return {kind: dict(words) for kind, words in self._kinds.items()}


VOCABULARY = Vocabulary()
"""The vocabulary of the pages; the areas add their kinds to it when their module is imported."""

VOCABULARY.define(
    "role",
    {
        "admin": N_("Administrator"),
        "warehouse": N_("Warehouse staff"),
        "dispatcher": N_("Dispatcher"),
        "compliance": N_("Compliance officer"),
        "customer": N_("Customer"),
    },
)
