"""What a client learns about a person: subject identifier and claims per scope.

Plain functions over an Account and a Client; no Flask request needed (the pairwise
salt is the app's SECRET_KEY unless OIDC_PAIRWISE_SALT is set).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import scope_to_list
from authlib.oidc.core import UserInfo
from flask import current_app
from flask_babel import lazy_gettext as _l

from idp.accounts.models import Account
from idp.oidc.capabilities import SCOPE_CLAIMS
from idp.oidc.claims_request import releasable, scopes_releasing
from idp.oidc.models import Client
from idp.organizations import services as organizations

# What the consent page says each scope gives, in plain words.
SCOPE_DESCRIPTIONS = {
    "profile": _l("Votre nom et prénom, votre civilité et votre date de naissance"),
    "email": _l("Votre adresse électronique"),
    "phone": _l("Votre numéro de téléphone"),
    "address": _l("Votre adresse postale"),
    "nir": _l("Votre numéro de sécurité sociale"),
    "offline_access": _l("L’accès à ces informations même quand vous n’êtes pas connecté(e)"),
    "launcher": _l("La liste de vos services"),
    "organization": _l("Votre organisation (SIRET), votre service et votre statut"),
    "given_name": _l("Votre prénom"),
    "usual_name": _l("Votre nom d’usage"),
    "uid": _l("Votre identifiant"),
    "siret": _l("Le numéro SIRET de votre organisation"),
    "siren": _l("Le numéro SIREN de votre organisation"),
    "organizational_unit": _l("Votre service (ministère, direction…)"),
    "belonging_population": _l("Votre statut (agent, prestataire, stagiaire…)"),
}
GENDERS = {"mme": "female", "m": "male"}
# The claims read from the person's organisation (one query).
ORGANIZATION_ROW_CLAIMS = frozenset(("siret", "siren", "organizational_unit"))
# What the consent page says of a claim asked one by one (the claims request parameter)
# beyond the scopes asked; a claim without its own words is described by its scope's.
CLAIM_DESCRIPTIONS = {
    "name": _l("Votre nom complet"),
    "given_name": _l("Votre prénom"),
    "family_name": _l("Votre nom de famille"),
    "birth_family_name": _l("Votre nom de naissance"),
    "usual_name": _l("Votre nom d’usage"),
    "gender": _l("Votre civilité"),
    "birthdate": _l("Votre date de naissance"),
    "locale": _l("Votre langue"),
    "updated_at": _l("La date de création de votre compte"),
    "email": _l("Votre adresse électronique"),
    "email_verified": _l("Si votre adresse électronique a été vérifiée"),
    "phone_number": _l("Votre numéro de téléphone"),
    "phone_number_verified": _l("Si votre numéro de téléphone a été vérifié"),
    "address": _l("Votre adresse postale"),
    "nir": _l("Votre numéro de sécurité sociale"),
    "uid": _l("Votre identifiant"),
    "siret": _l("Le numéro SIRET de votre organisation"),
}


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


def all_claims(account: Account, client: Client | None, wanted: Iterable[str]) -> dict:
    """Every claim Compte could release about the account (filtered by scope later).
    `wanted`: the names the caller may release; the organisation's claims (a query:
    userinfo is answered per request, on the lean path too) are looked up only when one of
    them is wanted."""
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
        # ProConnect's claims (docs/oidc.md "Claims and their sources").
        "usual_name": account.usual_name or account.family_name,
        "phone": account.mobile or account.phone,
        "organizational_unit": account.organizational_unit,
        "belonging_population": account.belonging_population,
    }
    claims["uid"] = claims["sub"]
    if account.birth_name:
        claims["birth_family_name"] = account.birth_name
    if not ORGANIZATION_ROW_CLAIMS.isdisjoint(wanted):  # the lazy lookup
        claims.update(organizations.claims_of(account))
    return {key: value for key, value in claims.items() if value is not None}


def user_info(
    account: Account, client: Client | None, scope: str, requested: dict | None = None
) -> UserInfo:
    """The claims released for `scope` (`sub` always), and those `requested` one by one
    (a member of the claims request parameter) that the client may have (its allowed
    scopes: `nir` only for a client allowed the nir scope)."""
    allowed = releasable(requested, client.scope if client else "") if requested else []
    wanted = [n for s in scope_to_list(scope) or [] for n in SCOPE_CLAIMS.get(s, ())]
    claims = all_claims(account, client, [*wanted, *allowed])
    info = UserInfo(claims).filter(scope)
    # Authlib knows the standard claims of OpenID Connect Core 5.4; ours (nir,
    # birth_family_name) come from the table of idp.oidc.capabilities.
    for granted in scope_to_list(scope) or []:
        for name in SCOPE_CLAIMS.get(granted, ()):
            if name in claims and name not in info:
                info[name] = claims[name]
    for name in allowed:
        if name in claims:
            info[name] = claims[name]
    info["sub"] = claims["sub"]
    return info


def describe_scopes(scope: str, claims: Iterable[str] = ()) -> list[str]:
    """Plain-words lines for the consent page, one per scope that releases something, then
    one per claim asked beyond those scopes (`claims`), each line once."""
    lines = [SCOPE_DESCRIPTIONS[s] for s in scope_to_list(scope) or [] if s in SCOPE_DESCRIPTIONS]
    for claim in claims:
        words = CLAIM_DESCRIPTIONS.get(claim)
        if words is None:  # a claim without words of its own: its scope's
            words = next(
                (SCOPE_DESCRIPTIONS[s] for s in scopes_releasing(claim) if s in SCOPE_DESCRIPTIONS),
                None,
            )
        if words is not None:
            lines.append(words)
    return list(dict.fromkeys(str(line) for line in lines))
