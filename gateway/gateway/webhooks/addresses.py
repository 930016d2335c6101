"""Where webhooks may go: SSRF protection for target URLs, at subscription time and at every
connection.

Only ``http``/``https`` URLs without credentials or fragments. A destination address is refused
when it is not globally routable: private, loopback, link-local (cloud metadata at
169.254.169.254), multicast, reserved, unspecified, shared/CGNAT (100.64.0.0/10), documentation
and benchmarking ranges, IPv6 unique-local and site-local — also when such an IPv4 address hides
inside IPv6 (IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo).
The operator's allow-list (``MMS_WEBHOOK_ALLOWED_NETWORKS``) admits chosen networks anyway (an
intranet receiver; the tests use 127.0.0.0/8); the deny-list (``MMS_WEBHOOK_DENIED_NETWORKS``)
refuses more, and wins over the allow-list.

Host names are resolved by :meth:`AddressPolicy.resolve`, which refuses the name when ANY of its
addresses is refused (so a name cannot mix a public and a private answer), and the HTTP client
connects only to the addresses that check returned (the resolver below is the connector's only
source of addresses, and :meth:`AddressPolicy.socket_factory` checks every socket's destination
once more) — there is no second lookup that DNS rebinding could answer differently.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
CGNAT = ipaddress.ip_network("100.64.0.0/10")
MAX_URL_LENGTH = 2048
NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)

Resolve = Callable[[str, int], Awaitable[list[str]]]


class BlockedDestination(OSError):
    """The destination address is not allowed (raised from the resolver or the socket factory)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnresolvableHost(OSError):
    """The host name does not resolve."""


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, NAT64, 6to4, Teredo)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if any(address in net for net in NAT64):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def _category(address: IPAddress) -> str | None:
    """Why an address is not publicly routable, or None when it is."""
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return "shared address space (CGNAT)"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "site-local"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not globally routable"
    return None


@dataclass(frozen=True)
class AddressPolicy:
    allowed: tuple = ()
    denied: tuple = ()
    resolver: Resolve | None = None  # tests inject one; default: the system's getaddrinfo

    def problem(self, address: IPAddress | str) -> str | None:
        """Why connecting to ``address`` is refused, or None when it is allowed.

        An IPv4-mapped address is judged as the IPv4 address it is; an address that carries
        another IPv4 address (NAT64, 6to4, Teredo) must pass for itself and for what it carries.
        """
        if isinstance(address, str):
            address = ipaddress.ip_address(address.split("%", 1)[0])
        own = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        candidates = [own or address]
        candidates += [a for a in embedded_ipv4(address) if a != own]
        for candidate in candidates:
            if any(candidate.version == n.version and candidate in n for n in self.denied):
                return f"{address} is refused by the operator's deny-list"
        for candidate in candidates:
            if any(candidate.version == n.version and candidate in n for n in self.allowed):
                continue
            category = _category(candidate)
            if category:
                shown = str(address) if candidate == address else f"{address} ({candidate})"
                return f"{shown} is a {category} address"
        return None

    async def resolve(self, host: str, port: int) -> list[str]:
        """The host's addresses, all allowed; BlockedDestination or UnresolvableHost otherwise."""
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [str(literal)]
        elif self.resolver is not None:
            addresses = await self.resolver(host, port)
        else:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
            except (OSError, UnicodeError, ValueError) as exc:
                raise UnresolvableHost(f"{host} does not resolve: {exc}") from None
            addresses = list(dict.fromkeys(info[4][0] for info in infos))
        if not addresses:
            raise UnresolvableHost(f"{host} does not resolve")
        for address in addresses:
            reason = self.problem(address)
            if reason:
                raise BlockedDestination(
                    reason if literal is not None else f"{host} resolves to {reason}"
                )
        return addresses

    def socket_factory(self, addr_info) -> socket.socket:
        """aiohttp's socket factory: the last check, on the address actually connected to."""
        family, type_, proto, _, sockaddr = addr_info
        reason = self.problem(sockaddr[0])
        if reason:
            raise BlockedDestination(reason)
        return socket.socket(family=family, type=type_, proto=proto)


class GuardedResolver(AbstractResolver):
    """The HTTP client's resolver: only addresses the policy allows, from one lookup."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await self.policy.resolve(host, port)
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        return None


def url_problems(url: str, *, require_https: bool) -> list[str]:
    """What is wrong with a target URL on its own (before resolving its host)."""
    if not isinstance(url, str) or not url:
        return ["Give the receiver's URL."]
    if len(url) > MAX_URL_LENGTH:
        return [f"At most {MAX_URL_LENGTH} characters."]
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        return ["The URL contains whitespace or control characters."]
    try:
        parsed = URL(url)
    except (ValueError, TypeError) as exc:
        return [f"Not a URL: {exc}"]
    problems = []
    schemes = ("https",) if require_https else ("http", "https")
    if parsed.scheme not in schemes:
        problems.append(f"Use {' or '.join(schemes)}.")
    if not parsed.host:
        problems.append("The URL has no host.")
    if parsed.user is not None or parsed.password is not None:
        problems.append(
            "Credentials in the URL are not accepted (they would be stored and shown in clear); "
            "verify the X-MMS-Signature header instead."
        )
    if parsed.fragment or "#" in url:
        problems.append("Fragments (#...) are not sent to servers; remove it.")
    try:
        port = parsed.port
    except ValueError:
        port = None
        problems.append("The port is not valid.")
    if port is not None and not 1 <= port <= 65535:
        problems.append("The port is not valid.")
    host = (parsed.raw_host or "").lower()
    if host and NUMERIC_HOST.match(host):
        try:
            canonical = str(ipaddress.IPv4Address(host)) == host
        except ValueError:
            canonical = False
        if not canonical:
            problems.append("Write IPv4 addresses as four decimal numbers (a.b.c.d).")
    return problems


def literal_address(url: URL) -> IPAddress | None:
    """The URL's host as an IP address when it is one."""
    try:
        return ipaddress.ip_address((url.raw_host or "").strip("[]"))
    except ValueError:
        return None


def networks_text(networks: Sequence) -> str:
    return ", ".join(str(n) for n in networks) or "none"
