"""The `claims` request parameter (OpenID Connect Core 5.5): parse it, validate it, and
decide what it releases and demands.

    {"id_token": {"email": null, "acr": {"essential": true, "values": ["…"]}},
     "userinfo": {"given_name": {"essential": true}}}

Members and claims Compte does not know are ignored (5.5: "Any Claims used that are not
understood MUST be ignored"); a malformed request is refused with a description of the
part that is wrong. A claim is released when Compte knows it (`SCOPE_CLAIMS`) and the
client may ask for a scope that releases it: the claims parameter never reaches beyond
what the client was allowed. Plain functions, no Flask.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import scope_to_list

from idp.oidc.bounds import MAX_LENGTH
from idp.oidc.capabilities import ACR, ACR_VALUES, SCOPE_CLAIMS, requires_mfa

# The two members Compte honours (5.5); any other top-level member is ignored.
MEMBERS = ("id_token", "userinfo")
# More claims than any genuine request names (the parameter is 4 KiB at most anyway).
MAX_CLAIMS = 100


class ClaimsRequestError(ValueError):
    """The claims parameter is malformed; `description` says which part (ASCII, as an
    OAuth error_description must be)."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class ClaimsRequest:
    """A validated claims request: per member, each claim name mapped to None or to its
    request ({"essential": bool, "value": …, "values": […]})."""

    id_token: dict[str, dict | None] = field(default_factory=dict)
    userinfo: dict[str, dict | None] = field(default_factory=dict)

    def to_store(self) -> dict | None:
        """What the authorization code keeps (None when nothing was asked)."""
        kept = {name: getattr(self, name) for name in MEMBERS if getattr(self, name)}
        return kept or None

    @property
    def _acr(self) -> dict:
        return self.id_token.get("acr") or {}

    @property
    def acr_values(self) -> list[str]:
        """The acr values asked for the ID token (`value` or `values`), in order."""
        if "values" in self._acr:
            return [v for v in self._acr["values"] if isinstance(v, str)]
        value = self._acr.get("value")
        return [value] if isinstance(value, str) else []

    @property
    def acr_essential(self) -> bool:
        return self._acr.get("essential") is True

    def demands_two_factors(self) -> bool:
        """An essential acr naming only the two-factor class: a demand, like acr_values."""
        return self.acr_essential and requires_mfa(self.acr_values)

    def wishes_two_factors(self) -> bool:
        """A voluntary acr naming only the two-factor class: met when it can be (the
        person has a second factor), never an error."""
        return not self.acr_essential and requires_mfa(self.acr_values)

    def acr_unmeetable(self) -> bool:
        """An essential acr with values, none of which Compte can give."""
        values = set(self.acr_values)
        return self.acr_essential and bool(values) and not values & set(ACR_VALUES)

    def subject(self) -> str | None:
        """The `sub` the ID token is asked to have, if a value is asked (5.5.1: only that
        person may then get a positive answer)."""
        value = (self.id_token.get("sub") or {}).get("value")
        return value if isinstance(value, str) else None

    def acr_to_report(self, acr: str) -> str:
        """The `acr` of the ID token for a sign-in whose class is `acr`. An essential acr
        MUST come back as one of the values asked (5.5.1.1): when the sign-in's class is
        not among them but the one-factor class is, that one (every sign-in meets it)."""
        values = self.acr_values
        if self.acr_essential and acr not in values and ACR in values:
            return ACR
        return acr


def parse(value: str | None) -> ClaimsRequest:
    """The claims request of an authorization request (empty when absent), or raises
    ClaimsRequestError naming what is wrong."""
    if not value:
        return ClaimsRequest()
    if len(value) > MAX_LENGTH["claims"]:
        limit = MAX_LENGTH["claims"]
        raise ClaimsRequestError(f"Invalid 'claims': longer than {limit} characters.")
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        raise ClaimsRequestError("Invalid 'claims': not valid JSON.") from None
    if not isinstance(data, dict):
        raise ClaimsRequestError("Invalid 'claims': must be a JSON object.")
    members = {name: _member(name, data[name]) for name in MEMBERS if name in data}
    if sum(len(claims) for claims in members.values()) > MAX_CLAIMS:
        raise ClaimsRequestError(f"Invalid 'claims': more than {MAX_CLAIMS} claims.")
    return ClaimsRequest(**members)


def _member(name: str, claims: Any) -> dict[str, dict | None]:
    if not isinstance(claims, dict):
        raise ClaimsRequestError(f"Invalid 'claims': '{name}' must be an object.")
    return {claim: _claim(name, claim, request) for claim, request in claims.items()}


def _claim(member: str, claim: str, request: Any) -> dict | None:
    where = f"'{member}.{_printable(claim)}'"
    if request is None:
        return None
    if not isinstance(request, dict):
        raise ClaimsRequestError(f"Invalid 'claims': {where} must be null or an object.")
    if "essential" in request and not isinstance(request["essential"], bool):
        raise ClaimsRequestError(f"Invalid 'claims': {where} essential must be true or false.")
    if "values" in request and not isinstance(request["values"], list):
        raise ClaimsRequestError(f"Invalid 'claims': {where} values must be an array.")
    # Other members of a claim's request are extensions Compte does not know: ignored.
    return {key: request[key] for key in ("essential", "value", "values") if key in request}


def _printable(name: str) -> str:
    """A claim name fit for an error description (ASCII, short, no quotes)."""
    return "".join(c for c in name[:40] if " " <= c <= "~" and c not in "\"'\\") or "?"


def scopes_releasing(claim: str) -> list[str]:
    """The scopes whose claims include `claim` (SCOPE_CLAIMS)."""
    return [scope for scope, names in SCOPE_CLAIMS.items() if claim in names]


def releasable(requested: Mapping[str, Any] | None, allowed_scope: str) -> list[str]:
    """The claims of one member (`requested`) that may be released to a client allowed
    `allowed_scope`: known to Compte and released by a scope the client may ask for."""
    allowed = set(scope_to_list(allowed_scope) or [])
    return [
        claim
        for claim in requested or {}
        if any(scope in allowed for scope in scopes_releasing(claim))
    ]


def beyond_scope(request: ClaimsRequest, allowed_scope: str, scope: str) -> list[str]:
    """The claims this request would release (to a client allowed `allowed_scope`) that
    the scopes asked (`scope`) do not: what consent must name on top of the scopes."""
    asked = set(scope_to_list(scope) or [])
    names = dict.fromkeys([*request.id_token, *request.userinfo])
    return [
        claim
        for claim in releasable(names, allowed_scope)
        if not asked & set(scopes_releasing(claim))
    ]
