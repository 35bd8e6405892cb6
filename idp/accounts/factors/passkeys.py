"""Passkeys (WebAuthn credentials): where they are kept, and what a use of one is worth.

The ceremonies themselves (options for the browser, checking its answers) are in
passkey_ceremony.py; this module knows the `Passkey` rows, the relying party (RP ID and
origin, both taken from the ISSUER) and the `amr` values of a passkey use (amr.py).

An account's passkeys are named by its `webauthn_user_id`, a random user handle made on
the first registration: an authenticator never receives the account's id or address.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from ua_parser import parse as ua_parse

from idp.accounts.factors import amr
from idp.accounts.factors.models import Passkey
from idp.accounts.models import Account
from idp.accounts.redirects import origin_of
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.rows import get_row

NAME_MAX = 64  # Passkey.name
# RFC 8176 "user": the authenticator checked a PIN or biometric (WebAuthn's UV flag).
USER_VERIFIED = amr.METHODS["user_verified"][0]


# --- The relying party ------------------------------------------------------------------


def rp_id() -> str | None:
    """The RP ID: the host name of the ISSUER. None when that host is an IP address:
    WebAuthn accepts only a domain name as RP ID (browsers refuse the ceremony with a
    SecurityError), so passkeys are unavailable on such an issuer (see `available`)."""
    host = _issuer_host()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host or None
    return None


def origin() -> str:
    """The expected origin of every ceremony: the ISSUER's scheme://host[:port], as the
    browser writes it in clientDataJSON (lower case, default port left out)."""
    return origin_of(current_app.config["ISSUER"]) or ""


def available() -> bool:
    """Whether passkeys can work on this issuer. When they cannot, the login button is
    not shown and the Sécurité page says why (idp/accounts/views/passkeys.py)."""
    return rp_id() is not None


def _issuer_host() -> str:
    return (urlsplit(current_app.config["ISSUER"]).hostname or "").strip("[]")


# --- The registry's interface (idp/accounts/factors/__init__.py) ----------------------


def is_enrolled(account: Account) -> bool:
    """The account has a passkey it can use here. On an issuer where passkeys cannot work
    (an IP address) they are not offered as a second factor: offering them would lock
    the person out."""
    if not available():
        return False
    return db.session.scalar(db.select(db.exists().where(Passkey.account_id == account.id))) is True


def remove(account: Account) -> None:
    """Delete every passkey of `account` (an administrator's reset: the caller commits,
    audits and mails). The user handle goes too: the next passkey gets a new one."""
    db.session.execute(db.delete(Passkey).where(Passkey.account_id == account.id))
    account.webauthn_user_id = None


# --- Rows -----------------------------------------------------------------------------


def of_account(account: Account) -> list[Passkey]:
    """The account's passkeys, oldest first (the order of the Sécurité page)."""
    return list(
        db.session.scalars(
            db.select(Passkey)
            .where(Passkey.account_id == account.id)
            .order_by(Passkey.created_at, Passkey.id)
        )
    )


def one_of(account: Account, passkey_id: int) -> Passkey | None:
    """The passkey `passkey_id` if it belongs to `account`."""
    passkey = get_row(Passkey, passkey_id)
    return passkey if passkey is not None and passkey.account_id == account.id else None


def by_credential_id(credential_id: bytes) -> Passkey | None:
    return db.session.scalar(db.select(Passkey).where(Passkey.credential_id == credential_id))


def user_handle(account: Account) -> bytes:
    """The account's WebAuthn user handle (32 random bytes), made on first use. Stored as
    base64url text; the caller commits."""
    if not account.webauthn_user_id:
        account.webauthn_user_id = encode(secrets.token_bytes(32))
    return decode(account.webauthn_user_id)


def add(
    account: Account,
    *,
    credential_id: bytes,
    public_key: bytes,
    sign_count: int,
    transports: list[str],
    backed_up: bool,
    aaguid: str | None,
    name: str,
    user_agent: str | None = None,
) -> Passkey:
    """Keep a verified new passkey (the caller commits); unnamed, it is named after the
    day and the browser (`default_name`)."""
    passkey = Passkey(
        account_id=account.id,
        credential_id=credential_id,
        public_key=public_key,
        sign_count=sign_count,
        transports=transports,
        backed_up=backed_up,
        aaguid=aaguid,
        name=clean_name(name) or default_name(user_agent),
    )
    db.session.add(passkey)
    return passkey


def used(passkey: Passkey, sign_count: int, backed_up: bool) -> None:
    """Record a verified use: the new counter, the backup state now, the date."""
    passkey.sign_count = sign_count
    passkey.backed_up = backed_up
    passkey.last_used_at = utcnow()


def delete(passkey: Passkey) -> None:
    db.session.delete(passkey)


def clean_name(name: str | None) -> str:
    """A name as typed, on one line, within the column's length."""
    return " ".join((name or "").split())[:NAME_MAX]


def default_name(user_agent: str | None = None, now: datetime | None = None) -> str:
    """The name of a passkey the person did not name: the day, and the browser and
    system it was made on when the user agent tells them — "Clé d'accès du 30/11/2026
    (Firefox, Windows)": enough to tell two keys apart in the list."""
    day = (now or utcnow()).strftime("%d/%m/%Y")
    name = _("Clé d'accès du %(date)s", date=day)
    where = _where(user_agent) if user_agent else ""
    return clean_name(f"{name} ({where})" if where else name)


def _where(user_agent: str) -> str:
    try:
        parsed = ua_parse(user_agent)
    except Exception:  # noqa: BLE001 - a name is a nicety: never fail a registration for it
        return ""
    browser = parsed.user_agent.family if parsed.user_agent else ""
    system = parsed.os.family if parsed.os else ""
    parts = [p.removeprefix("Headless") for p in (browser, system) if p and p != "Other"]
    return ", ".join(parts)


# --- What a use is worth ---------------------------------------------------------------


def methods(backed_up: bool, user_verified: bool) -> list[str]:
    """The `amr` values of one passkey use (amr.METHODS): "swk" for a synced (backed-up)
    passkey, "hwk" for one bound to its device, ProConnect's "pop" for either, and "user"
    when the authenticator verified the person."""
    used = ["passkey_synced" if backed_up else "passkey_device"]
    if user_verified:
        used.append("user_verified")
    return amr.values(*used)


def encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
