"""The four-eyes rule: a change that books stock away on someone's word (a count's adjustments, a
write-off) is approved by a second person. Plain Python."""

from __future__ import annotations

from collections.abc import Iterable

from inventory.errors import SecondPersonRequired


def check_second_person(approver: str, involved: Iterable[str], *, what: str) -> None:
    """Raise `SecondPersonRequired` if ``approver`` is one of the people who asked for or did the work."""
    people = sorted(set(involved))
    if approver in people:
        raise SecondPersonRequired(
            f"{what} must be approved by someone other than {', '.join(people)}",
            approver=approver,
            involved=people,
        )
