"""What a process says about itself in logs, metrics and traces: the service's name and version, and the
host it runs on."""

from __future__ import annotations

import socket
from functools import cache
from importlib.metadata import PackageNotFoundError, version

SERVICE_NAME = "spareline"
"""The service's name: the package's, and ``service.name`` of its traces."""

UNKNOWN_VERSION = "0+unknown"


@cache
def service_version() -> str:
    """The installed package's version (``pyproject.toml``'s, as ``pip install`` recorded it), or
    ``0+unknown`` when the code runs without being installed."""
    try:
        return version(SERVICE_NAME)
    except PackageNotFoundError:
        return UNKNOWN_VERSION


@cache
def host_name() -> str:
    """This machine's (or container's) host name."""
    return socket.gethostname()
