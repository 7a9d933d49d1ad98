"""Which network addresses newsrag may connect to: the fetcher's defence against SSRF.

`check_address` resolves a host and refuses it when any address it resolves to is not public,
unless the user allows private URLs. `is_public` is the rule for one address. Python's
``ipaddress`` knows the IANA special-purpose registries, but (checked on Python 3.11.7) it calls
global several IPv6 forms that carry an IPv4 address or were private by an older rule, so an
attacker's DNS could answer ``64:ff9b::a9fe:a9fe`` for 169.254.169.254 through a NAT64 gateway.
Here such forms are unwrapped and their IPv4 address judged (IPv4-mapped ``::ffff:0:0/96``,
NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``: forms with a meaning on today's networks), or refused
outright (the deprecated or operator-local ones: IPv4-compatible ``::/96``, SIIT
``::ffff:0:0:0/96``, local-use NAT64 ``64:ff9b:1::/48``, site-local ``fec0::/10``, Teredo
``2001::/32``). Not here: connecting to the checked address (rag.web.fetch pins it).
"""
from __future__ import annotations

import ipaddress
import socket
from ipaddress import IPv4Address, IPv6Address

from rag.web.errors import FetchError

NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix: the IPv4 address is the last 32 bits
REFUSED_V6 = (
    ipaddress.ip_network("::/96"),  # IPv4-compatible (deprecated by RFC 4291), with :: and ::1
    ipaddress.ip_network("::ffff:0:0:0/96"),  # SIIT IPv4-translated (RFC 2765)
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215): where the IPv4 sits is the operator's choice
    ipaddress.ip_network("fec0::/10"),  # site-local (deprecated by RFC 3879, still routed inside some sites)
    ipaddress.ip_network("2001::/32"),  # Teredo (RFC 4380): reaches the client, the NOT of the last 32 bits
)


def embedded_ipv4(ip: IPv4Address | IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address forwards to (mapped, NAT64 or 6to4), if it is one."""
    if isinstance(ip, IPv4Address):
        return None
    if ip in NAT64:
        return IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.ipv4_mapped or ip.sixtofour


def is_public(ip: IPv4Address | IPv6Address) -> bool:
    """Whether ``ip`` (and the IPv4 address it carries, if any) is a public unicast address."""
    if isinstance(ip, IPv6Address) and any(ip in net for net in REFUSED_V6):
        return False
    inner = embedded_ipv4(ip)
    if inner is not None:
        return is_public(inner)
    return ip.is_global and not ip.is_multicast


def check_address(url: str, host: str, port: int, allow_private: bool) -> str:
    """The address to connect to for ``host``; refuses non-public ones unless allowed.

    Every address the host resolves to must pass, not just the first, so a name with one public
    and one private address cannot be used to reach the private one on a later connection."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(url, f"cannot resolve host {host!r}: {exc}") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise FetchError(url, f"host {host!r} has no address")
    if not allow_private:
        for text in addresses:
            ip = ipaddress.ip_address(text.split("%")[0])
            if not is_public(ip):
                inner = embedded_ipv4(ip)
                carries = f" (it carries {inner})" if inner is not None else ""
                raise FetchError(url, f"refused: {host} resolves to {ip}{carries}, a non-public address "
                                      "(set allow_private_urls = true to allow it)")
    return addresses[0]
