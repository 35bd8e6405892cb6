"""Strict-Transport-Security: on every answer with an https issuer (pages, discovery, JWKS,
health checks, errors), never with an http one, and as the settings say."""

from __future__ import annotations

import pytest
import requests

from idp.core.config import load_settings
from idp.hsts import header_value

PATHS = ("/login", "/.well-known/openid-configuration", "/oauth/jwks", "/healthz", "/nope")


@pytest.fixture
def backend():
    """SQLite is enough: headers do not depend on the database."""
    return "sqlite"


@pytest.fixture
def issuer() -> str:
    return "https://compte.example"


@pytest.fixture
def settings(settings, issuer):
    return {**settings, "ISSUER": issuer}


def test_https_issuer_sends_hsts_on_every_answer(app, live_server):
    """Over HTTP to the server: each kind of answer carries max-age of one year."""
    for path in PATHS:
        response = requests.get(live_server + path, timeout=10)
        assert response.headers.get("Strict-Transport-Security") == "max-age=31536000", path
    head = requests.head(live_server + "/oauth/jwks", timeout=10)
    assert head.headers.get("Strict-Transport-Security") == "max-age=31536000"


@pytest.mark.parametrize("issuer", ["http://127.0.0.1:5000"])
def test_http_issuer_never_sends_hsts(app, live_server):
    """With an http issuer no answer carries the header (the site would become unusable)."""
    for path in PATHS:
        response = requests.get(live_server + path, timeout=10)
        assert "Strict-Transport-Security" not in response.headers, path


def test_settings_shape_the_header():
    """HSTS_MAX_AGE sets max-age (0 disables); HSTS_INCLUDE_SUBDOMAINS adds the directive."""
    https = {**load_settings(environ={}), "ISSUER": "https://compte.example"}  # the defaults
    assert header_value(https) == "max-age=31536000"
    assert header_value({**https, "HSTS_MAX_AGE": 600}) == "max-age=600"
    assert header_value({**https, "HSTS_MAX_AGE": 0}) is None
    assert (
        header_value({**https, "HSTS_INCLUDE_SUBDOMAINS": True})
        == "max-age=31536000; includeSubDomains"
    )
    assert header_value({**https, "ISSUER": "http://compte.example", "HSTS_MAX_AGE": 600}) is None
