"""Sign-in throttling rules: which counters a sign-in attempt counts against, how their subjects are
named, and when a refused client may try again. Plain Python; the counting itself is
`inventory.accounts.throttle`.

Two limits, each over a window of `WINDOW` (one minute) that opens with the first attempt it counts and
closes a minute later (a fixed window: a client may spend a window's attempts at its end and the next
window's at the start of that one, so twice the limit within a few seconds at most):

* attempts from one client address, whatever usernames they name (``LOGIN_ATTEMPTS_PER_MINUTE``);
* attempts naming one username, from whatever addresses (``LOGIN_ATTEMPTS_PER_USERNAME_PER_MINUTE``).

An attempt counts once it has passed both limits, before its password is checked, whether the password
then matches or not: counting first is what makes the limit hold under a burst of concurrent guesses
(argon2 takes tens of milliseconds; counting failures after the check would let every guess of a burst
pass the check before the first failure is counted). A refused attempt counts against neither limit, so
a client refused for its address cannot use those refusals to lock usernames out. A username attacked from
many addresses is refused to everyone for the rest of its window, its owner included: the price of
limiting guesses per account at all.

Subjects are stored as keyed hashes (`LoginLimits.subject`), never as the username or address itself:
a password typed into the username field must not end up in a table.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from inventory.errors import Throttled

WINDOW = timedelta(minutes=1)
"""How long a counter's window lasts from its first attempt."""

IPV6_PREFIX = 64
"""An IPv6 client is counted by its /64 network: one subscriber usually holds a whole /64 and may pick any
address in it."""

UNKNOWN_ADDRESS = "unknown"
"""The address of a request whose server named no client (all such requests share one counter)."""


class Counter(StrEnum):
    """What a sign-in attempt is counted against."""

    ADDRESS = "address"
    USERNAME = "username"


@dataclass(frozen=True, slots=True)
class LoginLimits:
    """The sign-in limits of a deployment, and the key that names the counters' subjects. Every process
    serving one database must use the same values (the key comes from ``SECRET_KEY``, which they share
    anyway to accept each other's tokens)."""

    per_address: int
    per_username: int
    subject_key: bytes

    def limit(self, counter: Counter) -> int:
        return self.per_address if counter is Counter.ADDRESS else self.per_username

    def subject(self, counter: Counter, value: str) -> str:
        """The stored name of a counter's subject: HMAC-SHA256 of the counter and the value, in hex."""
        message = f"{counter.value}\x00{value}".encode()
        return hmac.new(self.subject_key, message, hashlib.sha256).hexdigest()


def address_key(host: str | None) -> str:
    """What a client address is counted as: an IPv4 address as it is (an IPv4-mapped IPv6 address as
    its IPv4 address), an IPv6 address by its /64 network, anything else (a Unix socket's name) as it is,
    and no address as `UNKNOWN_ADDRESS`."""
    if not host:
        return UNKNOWN_ADDRESS
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def window_expired_before(now: datetime) -> datetime:
    """A window that opened at or before this time has closed by ``now``."""
    return now - WINDOW


def retry_after_s(window_start: datetime, now: datetime) -> int:
    """Whole seconds until the window that opened at ``window_start`` closes (at least 1)."""
    return max(1, math.ceil((window_start + WINDOW - now).total_seconds()))


class TooManySignInAttempts(Throttled):
    """A sign-in attempt over one of the limits; ``counter`` names which one."""

    code = "too-many-sign-in-attempts"

    def __init__(self, counter: Counter, *, retry_after_s: int) -> None:
        wait = max(1, retry_after_s)
        whom = "from your network address" if counter is Counter.ADDRESS else "for this username"
        seconds = "1 second" if wait == 1 else f"{wait} seconds"
        super().__init__(
            f"Too many sign-in attempts {whom}. Please wait {seconds} and try again.",
            retry_after_s=wait,
            counter=counter.value,
        )


__all__ = [
    "UNKNOWN_ADDRESS",
    "WINDOW",
    "Counter",
    "LoginLimits",
    "TooManySignInAttempts",
    "address_key",
    "retry_after_s",
    "window_expired_before",
]
