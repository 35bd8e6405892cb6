"""Launcher entries: which applications a person may open, and their origins.

Plain functions on the database session; they know nothing of requests. Callers commit.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import has_request_context
from flask_babel import gettext
from sqlalchemy import Select

from idp.core.extensions import db
from idp.launcher.models import LauncherEntry
from idp.oidc.models import Client

__all__ = [
    "InvalidEntry",
    "delete_entry",
    "entries_for",
    "entry_for_client",
    "entry_origins",
    "origin_of",
    "set_entry",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _(message: str, **values: Any) -> str:
    """Translated in a request (the person's language); the French source elsewhere (CLI)."""
    if has_request_context():
        return gettext(message, **values)
    return message % values if values else message


class InvalidEntry(ValueError):
    """A launcher entry with a missing name, an unusable URL or a too long value.

    `field` names the set_entry argument at fault ("client_id", "name", "url",
    "description", "icon_url"), so that a form can show the message next to it.
    """

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


# Column sizes of LauncherEntry: longer values are refused with a clear message (instead
# of a database error on PostgreSQL).
MAX_LENGTHS = {"client_id": 64, "name": 100, "url": 500, "description": 300, "icon_url": 500}


def origin_of(url: str | None) -> str | None:
    """The "scheme://host[:port]" of an absolute http(s) URL, lower-cased; None otherwise.

    The login page compares `next` URLs with entry_origins() through this same function,
    so both sides normalise identically (default ports dropped, case folded).
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # e.g. a port that is not a number
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host or parts.username or parts.password:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _usable_entries() -> Select:
    """Visible entries whose client exists and is not disabled, in display order."""
    # An entry is only usable through its client: no client (deleted) or a disabled
    # client means people cannot sign in there, so the tile is not shown.
    return (
        db.select(LauncherEntry)
        .join(Client, Client.client_id == LauncherEntry.client_id)
        .where(LauncherEntry.visible.is_(True), Client.disabled.is_(False))
        .order_by(LauncherEntry.position, LauncherEntry.name, LauncherEntry.id)
    )


def _check_icon(icon_url: str | None) -> str | None:
    icon_url = (icon_url or "").strip() or None
    if icon_url is None:
        return None
    if icon_url.startswith("/") and not icon_url.startswith("//"):
        return icon_url  # a path on Compte itself, e.g. /static/launcher/formadist.svg
    if origin_of(icon_url) is None:
        raise InvalidEntry(
            _("L'icône doit être une adresse http(s) ou un chemin commençant par /."), "icon_url"
        )
    return icon_url


def _check_lengths(values: dict[str, str | None]) -> None:
    for field, value in values.items():
        if value and len(value) > MAX_LENGTHS[field]:
            raise InvalidEntry(
                _("Ce texte est trop long (%(max)d caractères au plus).", max=MAX_LENGTHS[field]),
                field,
            )


def set_entry(
    client_id: str,
    *,
    name: str,
    url: str,
    description: str = "",
    icon_url: str | None = None,
    position: int | None = 100,
    visible: bool = True,
) -> LauncherEntry:
    """Create or update the launcher entry of `client_id` (added to the session, not committed).

    Raises InvalidEntry (with `.field`) when the name is empty, the URL is not an absolute
    http(s) URL, the icon is neither such a URL nor a path on Compte, or a value is too long.
    """
    client_id = (client_id or "").strip()
    name = (name or "").strip()
    url = (url or "").strip()
    description = (description or "").strip()
    if not client_id:
        raise InvalidEntry(_("L'entrée doit être liée à une application cliente."), "client_id")
    if not name:
        raise InvalidEntry(_("Le nom du service est obligatoire."), "name")
    if origin_of(url) is None:
        raise InvalidEntry(_("L'adresse du service doit commencer par http:// ou https://."), "url")
    icon_url = _check_icon(icon_url)
    _check_lengths(
        {
            "client_id": client_id,
            "name": name,
            "url": url,
            "description": description,
            "icon_url": icon_url,
        }
    )
    entry = entry_for_client(client_id)
    if entry is None:
        entry = LauncherEntry(client_id=client_id)
        db.session.add(entry)
    entry.name = name
    entry.url = url
    entry.description = description
    entry.icon_url = icon_url
    entry.position = 100 if position is None else int(position)
    entry.visible = bool(visible)
    return entry


def entry_for_client(client_id: str) -> LauncherEntry | None:
    """The entry of one client, visible or not."""
    return db.session.scalar(db.select(LauncherEntry).where(LauncherEntry.client_id == client_id))


def delete_entry(client_id: str) -> bool:
    """Remove the entry of a client (e.g. when the client is deleted); not committed."""
    entry = entry_for_client(client_id)
    if entry is None:
        return False
    db.session.delete(entry)
    return True


def entries_for(account: Any) -> list[LauncherEntry]:
    """The entries `account` may use: visible ones of enabled clients, by position then name.

    Every person sees every usable entry today; `account` is here so that per-person
    rules (an organisation's services only…) can be added without changing callers.
    """
    return list(db.session.scalars(_usable_entries()))


def entry_origins() -> set[str]:
    """Origins ("scheme://host[:port]") of the entries shown in the launcher.

    Used for the safe `next` check after login and for CORS on the JSON API.
    """
    urls = db.session.scalars(_usable_entries().with_only_columns(LauncherEntry.url))
    return {origin for origin in map(origin_of, urls) if origin}
