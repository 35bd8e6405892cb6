"""The WebAuthn ceremonies of passkeys, with py_webauthn: the options a browser passes to
navigator.credentials.create() / get(), and the check of what it sends back.

Three purposes, each with its own challenge (a challenge made for one is refused by the
others):
- "register"       add a passkey to the signed-in account: discoverable (residentKey
                   "required"), user verification preferred, no attestation, the
                   account's passkeys excluded;
- "login"          a sign-in without password: no allowCredentials (the authenticator
                   offers its discoverable passkeys for this site), user verification
                   REQUIRED — the passkey is then both factors, something held and
                   something known or is;
- "second_factor"  after the password: allowCredentials = the account's passkeys, user
                   verification preferred.

The challenge is kept in this browser's session (the signed cookie) for
CHALLENGE_LIFETIME seconds and taken out at the first answer. The cookie is kept by the
browser, so an old copy of it would still hold the challenge: each challenge is also
marked spent in the rate-limit storage (Redis, shared by every instance), and a spent one
is refused — a challenge serves once, whatever cookie comes with it.

No bcrypt here: a passkey sign-in is one signature check.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app, session

from idp.accounts.factors import passkeys
from idp.accounts.factors.models import Passkey
from idp.accounts.models import Account
from idp.core.counters import counters
from idp.core.extensions import db

if TYPE_CHECKING:
    from webauthn.helpers.structs import AuthenticatorTransport, PublicKeyCredentialDescriptor

# py_webauthn is imported by the ceremonies themselves, at the first one a worker serves:
# it loads pyOpenSSL and every attestation format (about 6 MB per worker, docs/benchmarks.md).

SESSION_KEY = "passkey_challenge"
CHALLENGE_LIFETIME = 300  # seconds between the options and the answer
# What the browser is told to wait at most: a little less than the challenge lives, so an
# answer given in time is never refused as expired.
BROWSER_TIMEOUT_MS = (CHALLENGE_LIFETIME - 30) * 1000
PURPOSES = ("register", "login", "second_factor")


class PasskeyRefused(Exception):
    """A ceremony's answer was not accepted. `reason` is for the audit log and the words
    shown (`refusal` in idp/accounts/views/passkeys.py); `account` is the owner of the
    credential when it is known."""

    def __init__(self, reason: str, account: Account | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.account = account


@dataclass(frozen=True)
class Use:
    """A verified passkey use: which passkey, whose, and its `amr` values."""

    passkey: Passkey
    account: Account
    methods: list[str]


# --- Challenges ------------------------------------------------------------------------


def _keep(purpose: str, challenge: bytes, account: Account | None) -> None:
    session[SESSION_KEY] = {
        "purpose": purpose,
        "challenge": passkeys.encode(challenge),
        "account": account.id if account is not None else None,
        "at": int(time.time()),
    }


def _take(purpose: str, account: Account | None) -> bytes:
    """The challenge of `purpose` made for `account`, once; PasskeyRefused otherwise."""
    kept = session.pop(SESSION_KEY, None)
    if not isinstance(kept, dict) or kept.get("purpose") != purpose:
        raise PasskeyRefused("no_challenge", account)
    if int(time.time()) - int(kept.get("at") or 0) > CHALLENGE_LIFETIME:
        raise PasskeyRefused("expired", account)
    if kept.get("account") != (account.id if account is not None else None):
        raise PasskeyRefused("no_challenge", account)
    challenge = str(kept.get("challenge") or "")
    if not challenge or not _first_spending(challenge):
        raise PasskeyRefused("replayed", account)
    return passkeys.decode(challenge)


def _first_spending(challenge: str) -> bool:
    """Mark `challenge` spent; True only the first time (INCR is atomic in Redis)."""
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    digest = hashlib.sha256(challenge.encode()).hexdigest()[:32]
    return counters().incr(f"{prefix}/passkey-challenge/{digest}", CHALLENGE_LIFETIME) == 1


# --- Registration ----------------------------------------------------------------------


def _descriptors(rows: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

    return [
        PublicKeyCredentialDescriptor(id=row.credential_id, transports=_transports(row) or None)
        for row in rows
    ]


def _transports(row: Passkey) -> list[AuthenticatorTransport]:
    from webauthn.helpers.structs import AuthenticatorTransport

    # Kept as the browser named them; a name this py_webauthn does not know is left out.
    known = {t.value: t for t in AuthenticatorTransport}
    return [known[name] for name in row.transports or [] if name in known]


def registration_options(account: Account) -> dict[str, Any]:
    """Options for navigator.credentials.create() (JSON-ready). May give the account its
    user handle: the caller commits."""
    from webauthn import generate_registration_options
    from webauthn.helpers import options_to_json_dict
    from webauthn.helpers.structs import (
        AttestationConveyancePreference,
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    config = current_app.config
    display = " ".join(p for p in (account.given_name, account.family_name) if p)
    options = generate_registration_options(
        rp_id=_rp_id(),
        rp_name=config["SERVICE_NAME"],
        user_id=passkeys.user_handle(account),
        user_name=account.email,
        user_display_name=display or account.email,
        timeout=BROWSER_TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(passkeys.of_account(account)),
    )
    _keep("register", options.challenge, account)
    return options_to_json_dict(options)


def verify_registration(
    account: Account, credential: Any, name: str, user_agent: str | None = None
) -> Use:
    """Check the browser's answer to the registration options and keep the new passkey
    (the caller commits). PasskeyRefused when it does not hold."""
    from webauthn import verify_registration_response
    from webauthn.helpers import parse_registration_credential_json
    from webauthn.helpers.exceptions import WebAuthnException

    challenge = _take("register", account)
    try:
        parsed = parse_registration_credential_json(credential)
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=_rp_id(),
            expected_origin=passkeys.origin(),
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyRefused("invalid", account) from error
    if passkeys.by_credential_id(verified.credential_id) is not None:
        raise PasskeyRefused("already_registered", account)
    passkey = passkeys.add(
        account,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[str(t.value) for t in parsed.response.transports or []],
        backed_up=verified.credential_backed_up,
        aaguid=verified.aaguid,
        name=name,
        user_agent=user_agent,
    )
    return Use(passkey, account, passkeys.methods(passkey.backed_up, verified.user_verified))


# --- Authentication --------------------------------------------------------------------


def authentication_options(purpose: str, account: Account | None = None) -> dict[str, Any]:
    """Options for navigator.credentials.get(): for "login" (no account: discoverable
    passkeys, user verification required) or "second_factor" (the account's passkeys)."""
    from webauthn import generate_authentication_options
    from webauthn.helpers import options_to_json_dict
    from webauthn.helpers.structs import UserVerificationRequirement

    if purpose == "login":
        allowed, verification = [], UserVerificationRequirement.REQUIRED
    elif purpose == "second_factor" and account is not None:
        allowed = _descriptors(passkeys.of_account(account))
        verification = UserVerificationRequirement.PREFERRED
    else:
        raise ValueError(f"no authentication options for {purpose!r}")
    options = generate_authentication_options(
        rp_id=_rp_id(),
        timeout=BROWSER_TIMEOUT_MS,
        allow_credentials=allowed,
        user_verification=verification,
    )
    _keep(purpose, options.challenge, account)
    return options_to_json_dict(options)


def verify_authentication(purpose: str, credential: Any, account: Account | None = None) -> Use:
    """Check the browser's answer to the authentication options of `purpose`; for
    "second_factor", the passkey must be one of `account`'s. Records the use (counter,
    date; the caller commits). PasskeyRefused when it does not hold."""
    from webauthn import verify_authentication_response
    from webauthn.helpers import parse_authentication_credential_json
    from webauthn.helpers.exceptions import WebAuthnException

    challenge = _take(purpose, account)
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyRefused("invalid", account) from error
    passkey = passkeys.by_credential_id(parsed.raw_id)
    if passkey is None:
        raise PasskeyRefused("unknown_credential", account)
    owner = db.session.get(Account, passkey.account_id)
    if account is not None and owner.id != account.id:
        raise PasskeyRefused("wrong_account", account)
    handle = parsed.response.user_handle
    # A discoverable sign-in names its account only by the user handle: it must be there.
    if (handle is None and purpose == "login") or (
        handle is not None and passkeys.encode(handle) != owner.webauthn_user_id
    ):
        raise PasskeyRefused("user_handle", owner)
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=_rp_id(),
            expected_origin=passkeys.origin(),
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=purpose == "login",
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        # py_webauthn refuses a counter that did not go up (a cloned authenticator?).
        text = str(error)
        reason = (
            "sign_count"
            if "sign count" in text
            else "no_user_verification"
            if "User verification" in text
            else "invalid"
        )
        raise PasskeyRefused(reason, owner) from error
    passkeys.used(passkey, verified.new_sign_count, verified.credential_backed_up)
    return Use(
        passkey, owner, passkeys.methods(verified.credential_backed_up, verified.user_verified)
    )


def _rp_id() -> str:
    found = passkeys.rp_id()
    if found is None:
        raise PasskeyRefused("unavailable")
    return found
