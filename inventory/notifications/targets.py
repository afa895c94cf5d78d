"""Where a webhook goes: its URL resolved now, and checked (`rules.check_addresses`) against the
addresses it resolves to at this moment.

The check runs when a subscription is made and again before every delivery, since what a name
resolves to can change. The delivery then connects to the address that was checked, not to the name
resolved once more (which could answer differently in between), keeping the name for the ``Host``
header and for TLS (server name and certificate).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from inventory.errors import InvalidRequest
from inventory.notifications.rules import DeliveryPolicy, check_addresses, webhook_host


@dataclass(frozen=True, slots=True)
class Target:
    """A webhook URL and the checked address to connect to for it."""

    url: str
    host: str
    address: str

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address."""
        parts = urlsplit(self.url)
        address = f"[{self.address}]" if ":" in self.address else self.address
        netloc = address if parts.port is None else f"{address}:{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))

    @property
    def host_header(self) -> str:
        return urlsplit(self.url).netloc


async def resolve_target(url: str, policy: DeliveryPolicy) -> Target:
    """Resolve the URL's host and check every address it names.

    Raises:
        InvalidRequest: a bad URL, a name that does not resolve, or a refused address.
    """
    host, port = webhook_host(url, policy)
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise InvalidRequest(f"{host} does not resolve: {exc}", field="url") from None
        addresses = [str(info[4][0]) for info in infos]
    return Target(url=url, host=host, address=check_addresses(host, addresses, policy))
