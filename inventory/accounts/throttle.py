"""The login throttle: sign-in attempts counted in the database, so that every process serving it (every
uvicorn worker, every machine behind the load balancer) shares one count per client address and one per
username. The rules (limits, window, subjects, wording) are `inventory.accounts.login_limits`.

Each check is one write transaction: one conditional upsert for the address's counter
(`Store.count_login_attempt`), and, if the address is within its limit, one for the username's. A refused
attempt raises `TooManySignInAttempts`, which rolls the transaction back, so it counts against neither
counter. The check does the same work whether or not the username exists, and runs before the password
is checked.

Rows of closed windows are removed by `purge_login_attempts`, which the periodic jobs call.
"""

from __future__ import annotations

from datetime import datetime

from inventory.accounts.login_limits import (
    Counter,
    LoginLimits,
    TooManySignInAttempts,
    address_key,
    retry_after_s,
    window_expired_before,
)
from inventory.accounts.tables import LoginAttempt
from inventory.persistence import current_store, write_transaction


async def count_sign_in_attempt(
    username: str, address: str | None, *, now: datetime, limits: LoginLimits
) -> None:
    """Count a sign-in attempt for ``username`` from the client ``address`` (as the server named it),
    first against the address's limit and then against the username's.

    Raises:
        TooManySignInAttempts: either limit is reached within its window (nothing is counted then).
    """
    store = current_store()
    expired_before = window_expired_before(now)
    async with write_transaction():
        for counter, value in ((Counter.ADDRESS, address_key(address)), (Counter.USERNAME, username)):
            attempts, window_start = await store.count_login_attempt(
                counter.value, limits.subject(counter, value), now, expired_before
            )
            if attempts > limits.limit(counter):
                raise TooManySignInAttempts(counter, retry_after_s=retry_after_s(window_start, now))


async def purge_login_attempts(now: datetime) -> int:
    """Remove the counters whose window has closed by ``now`` (they count as absent already); how many."""
    async with write_transaction():
        removed = (
            await LoginAttempt.delete()
            .where(LoginAttempt.window_start <= window_expired_before(now))
            .returning(LoginAttempt.id)
        )
    return len(removed)
