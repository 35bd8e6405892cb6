"""What a client learns about a person: subject identifier and claims per scope.

Plain functions over an Account and a Client; no Flask request needed (the pairwise
salt is the app's SECRET_KEY unless OIDC_PAIRWISE_SALT is set).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import scope_to_list
from authlib.oidc.core import UserInfo
from flask import current_app
from flask_babel import lazy_gettext as _l

from idp.accounts.models import Account
from idp.oidc.capabilities import SCOPE_CLAIMS
from idp.oidc.models import Client

# What the consent page says each scope gives, in plain words.
SCOPE_DESCRIPTIONS = {
    "profile": _l("Votre nom et prénom, votre civilité et votre date de naissance"),
    "email": _l("Votre adresse électronique"),
    "phone": _l("Votre numéro de téléphone"),
    "address": _l("Votre adresse postale"),
    "nir": _l("Votre numéro de sécurité sociale"),
    "offline_access": _l("L’accès à ces informations même quand vous n’êtes pas connecté(e)"),
    "launcher": _l("La liste de vos services"),
}
GENDERS = {"mme": "female", "m": "male"}


def sector_of(client: Client) -> str:
    """The sector identifier of a pairwise client: the host of its first redirect URI."""
    uri = (client.redirect_uris or [""])[0]
    return urlsplit(uri).hostname or client.client_id


def subject_for(account: Account, client: Client | None) -> str:
    """The `sub` a client sees: the public one, or a pairwise one for its sector."""
    if client is None or client.subject_type != "pairwise":
        return account.sub
    salt = current_app.config["OIDC_PAIRWISE_SALT"] or current_app.config["SECRET_KEY"]
    digest = hashlib.sha256(f"{sector_of(client)}{account.sub}{salt}".encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _timestamp(value: datetime | None) -> int | None:
    if value is None:
        return None
    return (
        int(value.timestamp())
        if value.tzinfo
        else int((value - datetime(1970, 1, 1)).total_seconds())
    )


def all_claims(account: Account, client: Client | None) -> dict:
    """Every claim Compte could release about the account (filtered by scope later)."""
    claims: dict = {
        "sub": subject_for(account, client),
        "name": account.display_name,
        "given_name": account.given_name,
        "family_name": account.family_name,
        "gender": GENDERS.get(account.civility or ""),
        "birthdate": account.birthdate.isoformat() if account.birthdate else None,
        "locale": account.locale or "fr-FR",
        "updated_at": _timestamp(account.created_at),
        "email": account.email,
        "email_verified": account.email_confirmed_at is not None,
        "phone_number": account.mobile or account.phone,
        "phone_number_verified": False if (account.mobile or account.phone) else None,
        "address": {"formatted": account.address} if account.address else None,
        "nir": account.nir,
    }
    if account.birth_name:
        claims["birth_family_name"] = account.birth_name
    return {key: value for key, value in claims.items() if value is not None}


def user_info(account: Account, client: Client | None, scope: str) -> UserInfo:
    """The claims released for `scope` (`sub` always). `nir` only with the nir scope."""
    claims = all_claims(account, client)
    info = UserInfo(claims).filter(scope)
    # Authlib knows the standard claims of OpenID Connect Core 5.4; ours (nir,
    # birth_family_name) come from the table of idp.oidc.capabilities.
    for requested in scope_to_list(scope) or []:
        for name in SCOPE_CLAIMS.get(requested, ()):
            if name in claims and name not in info:
                info[name] = claims[name]
    info["sub"] = claims["sub"]
    return info


def describe_scopes(scope: str) -> list[str]:
    """Plain-words lines for the consent page, one per scope that releases something."""
    return [
        str(SCOPE_DESCRIPTIONS[s]) for s in scope_to_list(scope) or [] if s in SCOPE_DESCRIPTIONS
    ]
