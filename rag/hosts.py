"""Which listening addresses reach this machine only, and which reach every interface.

Used by the commands that open a server (``newsrag chat``, ``newsrag serve-model``) to refuse a
host others can reach unless a login or key protects it, and by the chat's Host check. Pure
functions on the host string: nothing is resolved, so a name other than ``localhost`` counts as
reachable from elsewhere.
"""
from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARDS = ("", "0.0.0.0", "::")  # listen on every interface


def bare_host(host: str) -> str:
    """``host`` lower-cased, without IPv6 brackets or a trailing dot: ``[::1]`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host[:-1] if host.endswith(".") else host


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address ``host`` spells, or None for a name."""
    try:
        return ipaddress.ip_address(bare_host(host))
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (``localhost``, 127.x, ``::1``)."""
    if bare_host(host) == "localhost":
        return True
    address = ip_literal(host)
    return address is not None and address.is_loopback  # a name, or "": it may resolve to anything


def is_wildcard(host: str) -> bool:
    """Whether listening on ``host`` means every interface of the machine."""
    return bare_host(host) in WILDCARDS
