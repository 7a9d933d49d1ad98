"""The address check: which resolved addresses newsrag may connect to (no connection is made)."""
from __future__ import annotations

from ipaddress import ip_address

import pytest

from rag.web.fetch import FetchError, check_address

# Issue 23, finding 7: IPv6 forms that carry an IPv4 address (or are private by an older rule)
# passed the check, because Python 3.11 calls them global.
EMBEDDED = [
    "64:ff9b::a9fe:a9fe",  # NAT64 well-known prefix (RFC 6052) of 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b:1::a00:1",  # local-use NAT64 (RFC 8215) of 10.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "::7f00:1",  # IPv4-compatible (deprecated) 127.0.0.1
    "::a9fe:a9fe",  # IPv4-compatible 169.254.169.254
    "::ffff:0:7f00:1",  # SIIT IPv4-translated (RFC 2765) 127.0.0.1
    "::ffff:0:a9fe:a9fe",  # SIIT IPv4-translated 169.254.169.254
    "::ffff:7f00:1",  # IPv4-mapped 127.0.0.1
    "::ffff:a9fe:a9fe",  # IPv4-mapped 169.254.169.254
    "fec0::1",  # site-local (deprecated, RFC 3879)
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1 (bitwise NOT of the last 32 bits)
    "2001::1",  # Teredo
]
PLAIN = ["127.0.0.1", "::1", "10.0.0.1", "10.255.1.2", "169.254.169.254", "172.16.0.1", "192.168.1.9",
         "100.64.0.1", "0.0.0.0", "::", "224.0.0.1", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1"]


@pytest.mark.parametrize("address", EMBEDDED + PLAIN)
def test_ipv6_forms_embedding_a_private_ipv4_are_refused(address) -> None:
    """Finding 7: each form is refused before any connection (the address is a literal, so
    resolving it is local), and allowed again with allow_private."""
    url = f"http://[{address}]/" if ":" in address else f"http://{address}/"
    with pytest.raises(FetchError, match="non-public address.*allow_private_urls"):
        check_address(url, address, 80, allow_private=False)
    assert ip_address(check_address(url, address, 80, allow_private=True)) == ip_address(address)


@pytest.mark.parametrize("address", ["1.1.1.1", "8.8.8.8", "2606:4700::1111", "2a00:1450:4001::200e",
                                     "::ffff:101:101", "64:ff9b::101:101", "2002:101:101::1"])
def test_public_addresses_and_their_ipv6_forms_still_pass(address) -> None:
    url = f"http://[{address}]/" if ":" in address else f"http://{address}/"
    assert ip_address(check_address(url, address, 80, allow_private=False)) == ip_address(address)
