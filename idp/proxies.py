"""Trusted reverse proxies: the client's address and scheme behind them.

When the peer (REMOTE_ADDR) is in TRUSTED_PROXIES, the client address is read from the
forwarding header named by PROXY_HEADERS ("x-forwarded": X-Forwarded-For and
X-Forwarded-Proto; "forwarded": RFC 7239 `for=` and `proto=`), walking from the right and
skipping trusted hops; REMOTE_ADDR becomes that address (the peer is kept in
environ["compte.proxy_addr"]) and wsgi.url_scheme the scheme the client used. Only one
header family is read: a proxy that writes one passes the other through from the client
untouched, so believing both would let anyone choose their address. Anything that reads
the client address (rate limits, login throttle, captcha, audit) reads
request.remote_addr, so this one middleware fixes them all. A peer outside
TRUSTED_PROXIES is taken at its word only for its own address: its headers are ignored.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from idp.core.config import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

PROXY_ADDR_KEY = "compte.proxy_addr"
HEADER_FAMILIES = ("x-forwarded", "forwarded")
SCHEMES = ("http", "https")


def parse_networks(values: Iterable[str] | str | None, setting: str) -> tuple[Network, ...]:
    """Addresses or CIDRs (a list, or one string separated by commas or spaces)."""
    if not values:
        return ()
    if isinstance(values, str):
        values = values.replace(",", " ").split()
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError as error:
            raise ConfigError(f"{setting}: {value!r} is not an address or a network") from error
    return tuple(networks)


@functools.lru_cache(maxsize=8192)  # the same few addresses come back on every request
def parse_address(value: str | None) -> Address | None:
    """An IP address (IPv4-mapped IPv6 seen as IPv4), or None when it is not one."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def in_networks(address: Address | None, networks: tuple[Network, ...]) -> bool:
    """True when `address` belongs to one of `networks`."""
    return address is not None and any(address in network for network in networks)


def _node_address(node: str) -> Address | None:
    """RFC 7239 node: `192.0.2.1`, `192.0.2.1:8080`, `"[2001:db8::1]:4711"`, `unknown`."""
    node = node.strip().strip('"')
    if node.startswith("["):
        return parse_address(node[1 : node.find("]")] if "]" in node else None)
    if node.count(":") == 1:
        node = node.split(":", 1)[0]
    return parse_address(node)


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def forwarded_hops(value: str) -> list[tuple[Address | None, str | None]]:
    """(for address, proto) of each element of a Forwarded header, left to right."""
    hops = []
    for element in _split_outside_quotes(value, ","):
        pairs = {}
        for pair in _split_outside_quotes(element, ";"):
            key, _, raw = pair.partition("=")
            pairs[key.strip().lower()] = raw.strip().strip('"')
        if "for" not in pairs:
            continue
        proto = pairs.get("proto", "").lower()
        hops.append((_node_address(pairs["for"]), proto if proto in SCHEMES else None))
    return hops


def x_forwarded_hops(
    forwarded_for: str, forwarded_proto: str
) -> list[tuple[Address | None, str | None]]:
    """(address, proto) per X-Forwarded-For entry, left to right. X-Forwarded-Proto
    entries are matched from the right; a single one (set, not appended) applies to all."""
    addresses = [_node_address(part) for part in forwarded_for.split(",") if part.strip()]
    protos = [p.strip().lower() for p in forwarded_proto.split(",") if p.strip()]
    hops = []
    for index, address in enumerate(addresses):
        from_right = len(addresses) - 1 - index
        proto = protos[-1 - from_right] if from_right < len(protos) else protos[0] if protos else ""
        hops.append((address, proto if proto in SCHEMES else None))
    return hops


def resolve(
    peer: Address, hops: list[tuple[Address | None, str | None]], trusted: Callable[[Any], bool]
) -> tuple[Address, str | None]:
    """The client behind a trusted `peer`: walk the hops from the right, stop at the first
    address that is not a trusted proxy (or the last readable one). Returns it and the
    scheme the client used, when the proxies said."""
    client, scheme = peer, None
    for address, proto in reversed(hops):
        if address is None:  # "unknown" or garbage: keep the last proxy that spoke
            break
        client, scheme = address, proto or scheme
        if not trusted(address):
            break
    return client, scheme


class TrustedProxies:
    """WSGI middleware: the client's address and scheme from trusted proxies' headers."""

    def __init__(self, wsgi_app, networks: tuple[Network, ...], headers: str) -> None:
        if headers not in HEADER_FAMILIES:
            raise ConfigError(f"PROXY_HEADERS must be one of {', '.join(HEADER_FAMILIES)}")
        self.wsgi_app = wsgi_app
        self.networks = networks
        self.headers = headers
        self.trusted = functools.lru_cache(maxsize=4096)(self._trusted)

    def _trusted(self, address: Address) -> bool:
        return in_networks(address, self.networks)

    def _hops(self, environ: dict) -> list[tuple[Address | None, str | None]]:
        if self.headers == "forwarded":
            return forwarded_hops(environ.get("HTTP_FORWARDED", ""))
        return x_forwarded_hops(
            environ.get("HTTP_X_FORWARDED_FOR", ""), environ.get("HTTP_X_FORWARDED_PROTO", "")
        )

    def __call__(self, environ: dict, start_response):
        peer = parse_address(environ.get("REMOTE_ADDR"))
        if peer is not None and self.trusted(peer):
            client, scheme = resolve(peer, self._hops(environ), self.trusted)
            environ[PROXY_ADDR_KEY] = environ.get("REMOTE_ADDR")
            environ["REMOTE_ADDR"] = str(client)
            if scheme:
                environ["wsgi.url_scheme"] = scheme
        return self.wsgi_app(environ, start_response)


def install(app) -> None:
    """Put the middleware in front of everything when TRUSTED_PROXIES is set."""
    # Werkzeug's ProxyFix trusts a fixed number of hops, not a set of networks: hand-written.
    networks = parse_networks(app.config["TRUSTED_PROXIES"], "TRUSTED_PROXIES")
    if networks:
        headers = str(app.config["PROXY_HEADERS"]).lower()
        app.wsgi_app = TrustedProxies(app.wsgi_app, networks, headers)
