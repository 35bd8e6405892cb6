"""Behind a reverse proxy: the client's address and scheme come from the trusted proxies'
headers only, so two people behind one proxy are counted apart, and a header sent by
anyone else changes nothing."""

from __future__ import annotations

import ipaddress

import pytest
import requests

from idp.core.config import ConfigError
from idp.proxies import (
    TrustedProxies,
    forwarded_hops,
    parse_networks,
    resolve,
    x_forwarded_hops,
)
from tests.support.accounts import csrf_of

TRUSTED = parse_networks(["10.0.0.0/8", "127.0.0.1"], "TRUSTED_PROXIES")


def _ip(value: str):
    return ipaddress.ip_address(value)


def _trusted(address) -> bool:
    return any(address in network for network in TRUSTED)


def _run(environ: dict, networks=TRUSTED, headers: str = "x-forwarded") -> dict:
    """The environ the application sees behind the middleware."""
    seen: dict = {}

    def app(env, start_response):
        seen.update(env)
        return [b""]

    base = {"REMOTE_ADDR": "10.0.0.5", "wsgi.url_scheme": "http"}
    TrustedProxies(app, networks, headers)({**base, **environ}, lambda *a: None)
    return seen


def test_settings_accept_lists_strings_and_refuse_garbage():
    """A list or a comma-separated string of addresses and CIDRs; a typo stops the start."""
    assert parse_networks("10.0.0.1, 192.168.0.0/16", "X") == (
        ipaddress.ip_network("10.0.0.1/32"),
        ipaddress.ip_network("192.168.0.0/16"),
    )
    assert parse_networks([], "X") == ()
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        parse_networks(["10.0.0.300"], "TRUSTED_PROXIES")


def test_forwarded_header_is_parsed_as_rfc_7239():
    """Quoted IPv6 with port, IPv4 with port, `unknown`, and proto per element."""
    hops = forwarded_hops(
        'for="[2001:db8:cafe::17]:4711";proto=https, For=192.0.2.60:80;by=10.0.0.1, for=unknown'
    )
    assert hops == [(_ip("2001:db8:cafe::17"), "https"), (_ip("192.0.2.60"), None), (None, None)]


def test_the_walk_from_the_right_skips_trusted_hops_only():
    """The client is the first untrusted address from the right; what is left of it (which
    the client itself may have written) is ignored."""
    hops = x_forwarded_hops("1.1.1.1, 203.0.113.9, 10.0.0.7", "https")
    client, scheme = resolve(_ip("10.0.0.5"), hops, _trusted)
    assert (client, scheme) == (_ip("203.0.113.9"), "https")
    # Every hop trusted: the leftmost one is the client.
    client, _ = resolve(_ip("10.0.0.5"), x_forwarded_hops("10.1.1.1, 10.0.0.7", ""), _trusted)
    assert client == _ip("10.1.1.1")


def test_trusted_peer_sets_remote_addr_and_scheme():
    """From a trusted proxy: REMOTE_ADDR is the client, the proxy's address is kept in
    compte.proxy_addr, and X-Forwarded-Proto sets the scheme."""
    seen = _run({"HTTP_X_FORWARDED_FOR": "198.51.100.4", "HTTP_X_FORWARDED_PROTO": "https"})
    assert seen["REMOTE_ADDR"] == "198.51.100.4"
    assert seen["compte.proxy_addr"] == "10.0.0.5"
    assert seen["wsgi.url_scheme"] == "https"


def test_only_the_configured_header_family_is_read():
    """With PROXY_HEADERS = "x-forwarded" a Forwarded header (which the proxy passes on from
    the client untouched) is ignored, and the other way round."""
    environ = {"HTTP_X_FORWARDED_FOR": "198.51.100.4", "HTTP_FORWARDED": "for=192.0.2.1"}
    assert _run(environ)["REMOTE_ADDR"] == "198.51.100.4"
    assert _run(environ, headers="forwarded")["REMOTE_ADDR"] == "192.0.2.1"


def test_untrusted_peer_headers_are_ignored_entirely():
    """A peer outside TRUSTED_PROXIES keeps its own address and scheme whatever it says."""
    seen = _run(
        {
            "REMOTE_ADDR": "203.0.113.66",
            "HTTP_X_FORWARDED_FOR": "10.0.0.1",
            "HTTP_X_FORWARDED_PROTO": "https",
        }
    )
    assert seen["REMOTE_ADDR"] == "203.0.113.66"
    assert seen["wsgi.url_scheme"] == "http"
    assert "compte.proxy_addr" not in seen


@pytest.fixture
def backend():
    """SQLite is enough here: the addresses live in the limiter's memory storage."""
    return "sqlite"


@pytest.fixture
def trusted_proxies() -> list[str]:
    """The test client and `requests` connect from 127.0.0.1: the proxy they play."""
    return ["127.0.0.1"]


@pytest.fixture
def settings(settings, trusted_proxies):
    return {**settings, "TRUSTED_PROXIES": trusted_proxies, "LOGIN_RATE_LIMIT": "4 per minute"}


def _fail_login(session: requests.Session, base: str, forwarded_for: str) -> requests.Response:
    headers = {"X-Forwarded-For": forwarded_for}
    page = session.get(base + "/login", headers=headers, timeout=10).text
    data = {"identifier": "nobody@example.org", "password": "Wrong-1", "csrf_token": csrf_of(page)}
    return session.post(base + "/login", data=data, headers=headers, timeout=10)


def _captcha_shown(base: str, forwarded_for: str | None) -> bool:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return 'name="captcha_id"' in requests.get(base + "/login", headers=headers, timeout=10).text


def test_two_people_behind_one_trusted_proxy_are_counted_apart(app, live_server):
    """Over HTTP through a trusted proxy (127.0.0.1): Alice's failures bring her the captcha
    and then the rate limit, while Bob, behind the same proxy, sees neither."""
    app.config["LOGIN_ADDRESS_CAPTCHA_AFTER"] = 3  # which address is counted, not how many
    alice, bob = "198.51.100.10", "198.51.100.20"
    session = requests.Session()
    for _ in range(3):
        assert _fail_login(session, live_server, alice).status_code == 200
    assert _captcha_shown(live_server, alice)
    assert not _captcha_shown(live_server, bob)
    assert _fail_login(session, live_server, alice).status_code == 200  # 4th: at the limit
    assert _fail_login(session, live_server, alice).status_code == 429
    assert _fail_login(requests.Session(), live_server, bob).status_code == 200


def test_the_audit_log_records_the_client_behind_the_proxy(app, live_server):
    """The audit event of a failed login names the client's address, not the proxy's."""
    from tests.support.accounts import events

    _fail_login(requests.Session(), live_server, "198.51.100.30")
    assert [e.ip_address for e in events(app, "login.failed")] == ["198.51.100.30"]


@pytest.mark.parametrize("trusted_proxies", [["10.9.9.9"]])
def test_a_spoofed_header_from_an_untrusted_address_changes_nothing(app, live_server):
    """With TRUSTED_PROXIES naming another host, a client on 127.0.0.1 that writes a new
    X-Forwarded-For on every try is still one address: captcha after 3 failures, then 429,
    and the audit log records 127.0.0.1."""
    from tests.support.accounts import events

    app.config["LOGIN_ADDRESS_CAPTCHA_AFTER"] = 3  # which address is counted, not how many
    session = requests.Session()
    for n in range(3):
        _fail_login(session, live_server, f"192.0.2.{n}")
    assert _captcha_shown(live_server, "192.0.2.99")
    _fail_login(session, live_server, "192.0.2.100")
    assert _fail_login(session, live_server, "192.0.2.101").status_code == 429
    assert {e.ip_address for e in events(app, "login.failed")} == {"127.0.0.1"}
