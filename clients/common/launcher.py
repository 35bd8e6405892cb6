"""The service launcher in each service's header, rendered server-side from Compte's API."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from flask import current_app, g

from clients.common import auth

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MenuEntry:
    name: str
    url: str
    description: str
    icon_url: str | None
    current: bool


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def parse_entries(
    data: object, *, issuer: str, own_client_id: str, own_url: str
) -> list[MenuEntry]:
    """Turn the API's JSON into menu entries; anything malformed is skipped."""
    items = data.get("entries") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return []
    entries = []
    for item in items:
        if not isinstance(item, dict) or not item.get("name") or not item.get("url"):
            continue
        url = str(item["url"])
        if urlsplit(url).scheme not in ("http", "https"):
            continue  # never a javascript: link in our header
        icon = item.get("icon_url")
        current = bool(item.get("current")) or item.get("client_id") == own_client_id
        current = current or _origin(url) == _origin(own_url)
        entries.append(
            MenuEntry(
                name=str(item["name"]),
                url=url,
                description=str(item.get("description") or ""),
                icon_url=urljoin(issuer + "/", icon) if icon else None,
                current=current,
            )
        )
    return entries


def menu() -> list[MenuEntry] | None:
    """Entries for the signed-in person, or None (no session, or the API failed: the
    header simply shows no menu)."""
    if "rp_menu" in g:
        return g.rp_menu
    g.rp_menu = None
    if auth.current_login() is None:
        return None
    issuer = current_app.config["ISSUER"]
    try:
        # Authlib refreshes the access token first when it has expired (refresh_token).
        response = auth.compte().get(f"{issuer}/launcher/api/entries", timeout=3)
        if response.status_code != 200:
            log.info("launcher API answered %s", response.status_code)
            return None
        g.rp_menu = parse_entries(
            response.json(),
            issuer=issuer,
            own_client_id=current_app.config["CLIENT_ID"],
            own_url=current_app.config["BASE_URL"],
        )
    except Exception as error:  # noqa: BLE001 — any failure only hides the menu
        log.warning("launcher API unavailable: %s", error)
    return g.rp_menu
