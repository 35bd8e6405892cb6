"""A provider's discovery document and signing keys (JWKS), fetched over HTTP and kept in
this process for FEDERATION_METADATA_CACHE seconds: every sign-in needs both, and the
provider should not see two requests per person. A token signed by a key the cache does
not know fetches the keys again at once (key rotation), at most every REFETCH_AFTER
seconds (a forged token must not make us hammer the provider)."""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
from flask import current_app
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.federation.errors import FederationError
from idp.federation.models import UpstreamProvider
from idp.federation.provider_rules import secure_url

REFETCH_AFTER = 10.0
# Endpoints a sign-in cannot go without (OpenID Connect Discovery 1.0, 3).
REQUIRED = ("authorization_endpoint", "token_endpoint", "jwks_uri")
ENDPOINTS = (*REQUIRED, "userinfo_endpoint", "end_session_endpoint")

_cache: dict[tuple[str, str], tuple[float, Any]] = {}
_lock = threading.Lock()


def timeout() -> float:
    return float(current_app.config["FEDERATION_HTTP_TIMEOUT"])


def _lifetime() -> float:
    return float(current_app.config["FEDERATION_METADATA_CACHE"])


def forget() -> None:
    """Empty this process's cache (a provider changed its keys or endpoints)."""
    with _lock:
        _cache.clear()


def _cached(key: tuple[str, str], max_age: float) -> Any:
    with _lock:
        found = _cache.get(key)
    if found is not None and time.monotonic() - found[0] < max_age:
        return found[1]
    return None


def _store(key: tuple[str, str], value: Any) -> Any:
    with _lock:
        _cache[key] = (time.monotonic(), value)
    return value


def get_json(url: str, reason: str) -> dict[str, Any]:
    """A JSON object from `url`, or FederationError(reason) (never what the answer said)."""
    try:
        response = requests.get(url, timeout=timeout(), headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        raise FederationError(reason, f"{url}: {type(error).__name__}") from None
    if not isinstance(data, dict):
        raise FederationError(reason, f"{url}: not a JSON object")
    return data


def metadata(provider: UpstreamProvider) -> dict[str, Any]:
    """The provider's discovery document, checked: it names the provider's issuer, and
    its endpoints are https addresses."""
    key = ("metadata", provider.issuer)
    found = _cached(key, _lifetime())
    if found is not None:
        return found
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    data = get_json(url, "discovery_failed")
    # Discovery 4.3: the document must be the issuer's own (no mix-up with another one).
    if data.get("issuer") != provider.issuer:
        raise FederationError("discovery_failed", f"{url}: issuer {data.get('issuer')!r}")
    for name in ENDPOINTS:
        if (name in REQUIRED or name in data) and not secure_url(data.get(name)):
            raise FederationError("discovery_failed", f"{url}: {name} missing or not https")
    return _store(key, data)


def keys(provider: UpstreamProvider, *, refresh: bool = False) -> KeySet:
    """The provider's public signing keys; `refresh`: fetch them again (a key unknown to
    the cache), unless they were fetched less than REFETCH_AFTER seconds ago."""
    uri = metadata(provider)["jwks_uri"]
    key = ("jwks", uri)
    found = _cached(key, REFETCH_AFTER if refresh else _lifetime())
    if found is not None:
        return found
    data = get_json(uri, "jwks_failed")
    try:
        key_set = KeySet.import_key_set(data)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise FederationError("jwks_failed", f"{uri}: {type(error).__name__}") from None
    return _store(key, key_set)
