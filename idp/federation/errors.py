"""What can go wrong when signing in through an upstream provider: one reason code per
case (recorded in the audit event `federation.failed`), and for each the words a person
reads and the HTTP status of the error page (templates/federation/error.html)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# What the person reads, and the HTTP status, per kind of failure. 502: the provider
# answered wrongly or not at all; 4xx: the request, the person or the rules.
MESSAGES: dict[str, tuple[str, int]] = {
    "provider_unknown": (_l("Ce service de connexion n'existe pas ou plus."), 404),
    "provider_disabled": (_l("Ce service de connexion n'est pas proposé pour le moment."), 404),
    "unavailable": (
        _l(
            "Le service de connexion ne répond pas pour le moment. Réessayez dans quelques "
            "minutes, ou connectez-vous avec votre mot de passe."
        ),
        502,
    ),
    "refused": (_l("Vous avez annulé la connexion auprès du service de connexion."), 403),
    "upstream_error": (
        _l("Le service de connexion n'a pas pu vous identifier. Réessayez plus tard."),
        502,
    ),
    "state_missing": (
        _l(
            "Cette réponse du service de connexion ne correspond à aucune connexion en cours "
            "dans ce navigateur. Recommencez depuis la page de connexion."
        ),
        400,
    ),
    "state_expired": (
        _l(
            "La connexion a pris trop de temps et a expiré. Recommencez depuis la page de "
            "connexion."
        ),
        400,
    ),
    "bad_response": (
        _l(
            "La réponse du service de connexion n'a pas pu être vérifiée : par sécurité, "
            "vous n'êtes pas connecté(e)."
        ),
        502,
    ),
    "acr_too_low": (
        _l(
            "Le niveau de sécurité de cette connexion est insuffisant pour ce service. "
            "Connectez-vous avec une méthode plus sûre."
        ),
        403,
    ),
    "already_linked": (
        _l(
            "Cette identité est déjà associée à un autre compte : retirez-la d'abord de ce "
            "compte-là (page « Sécurité »)."
        ),
        409,
    ),
    "account_inactive": (_l("Ce compte ne peut pas être utilisé pour le moment."), 403),
    "too_many": (_l("Trop de tentatives : merci de patienter avant de réessayer."), 429),
    "link_invalid": (
        _l("Ce lien n'est pas valide, a déjà servi ou a expiré. Recommencez la connexion."),
        400,
    ),
}


# Each reason code (audited, precise) and the kind of failure it is (what people read).
REASONS: dict[str, str] = {
    "provider_unknown": "provider_unknown",
    "provider_disabled": "provider_disabled",
    "discovery_failed": "unavailable",  # discovery document unreachable, slow or invalid
    "jwks_failed": "unavailable",
    "token_failed": "unavailable",  # the token endpoint refused the code or did not answer
    "userinfo_failed": "unavailable",
    "access_denied": "refused",  # the person said no at the provider
    "upstream_error": "upstream_error",  # any other error the provider sent back
    "state_missing": "state_missing",
    "state_unknown": "state_missing",
    "state_expired": "state_expired",
    "identity_missing": "state_expired",  # the identity kept after the provider is gone
    "iss_missing": "bad_response",  # RFC 9207: the provider promised `iss` and left it out
    "iss_mismatch": "bad_response",
    "bad_signature": "bad_response",
    "bad_token": "bad_response",  # not a JWT, missing claims, an algorithm refused
    "wrong_issuer": "bad_response",
    "wrong_audience": "bad_response",
    "wrong_nonce": "bad_response",
    "token_expired": "bad_response",
    "sub_mismatch": "bad_response",
    "acr_too_low": "acr_too_low",
    "already_linked": "already_linked",
    "account_locked": "account_inactive",
    "account_unconfirmed": "account_inactive",
    "rate_limited": "too_many",
    "link_invalid": "link_invalid",
}


@dataclass
class FederationError(Exception):
    """A step of the upstream sign-in failed. `reason`: a key of REASONS (audited);
    `detail`: for the server log only (never a token nor a secret); `message`: words for
    the person that replace the reason's own (e.g. the login page's message)."""

    reason: str
    detail: str = ""
    message: str | None = None

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason

    @property
    def status(self) -> int:
        return MESSAGES[REASONS[self.reason]][1]

    @property
    def text(self) -> str:
        return self.message or str(MESSAGES[REASONS[self.reason]][0])
