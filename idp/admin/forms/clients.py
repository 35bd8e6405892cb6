"""Forms of the client-application pages (WTForms does the parsing and the messages)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from idp.core.forms import FlaskForm
from idp.oidc.capabilities import DEFAULT_SIGNING_ALG, SUPPORTED, current
from idp.oidc.client_rules import validate_redirect_uri
from idp.oidc.clients import name_taken

# How the pages describe each value; which values are offered is idp.oidc.capabilities'.
SCOPE_LABELS = {
    "openid": _l("openid — connexion OpenID Connect"),
    "profile": _l("profile — nom, prénom, date de naissance"),
    "email": _l("email — adresse électronique"),
    "phone": _l("phone — téléphone"),
    "address": _l("address — adresse postale"),
    "offline_access": _l("offline_access — accès prolongé (jeton de rafraîchissement)"),
    "launcher": _l("launcher — menu « Mes services »"),
    "organization": _l("organization — SIRET, SIREN, service et population de l'organisation"),
    "given_name": _l("given_name — prénoms (ProConnect)"),
    "usual_name": _l("usual_name — nom d'usage (ProConnect)"),
    "uid": _l("uid — identifiant de la personne (ProConnect)"),
    "siret": _l("siret — SIRET de l'organisation (ProConnect)"),
    "siren": _l("siren — SIREN de l'organisation (ProConnect)"),
    "organizational_unit": _l("organizational_unit — service d'affectation (ProConnect)"),
    "belonging_population": _l("belonging_population — population d'appartenance (ProConnect)"),
    "invitations": _l("invitations — inviter des personnes (API)"),
    "nir": _l("nir — numéro de sécurité sociale"),
}
GRANT_TYPE_LABELS = {
    "authorization_code": _l("authorization_code — connexion des personnes"),
    "refresh_token": _l("refresh_token — rafraîchissement des jetons"),
    "client_credentials": _l("client_credentials — appels de service à service"),
}
AUTH_METHOD_LABELS = {
    "client_secret_basic": _l("client_secret_basic — secret dans l'en-tête Authorization"),
    "client_secret_post": _l("client_secret_post — secret dans le corps de la requête"),
    "private_key_jwt": _l("private_key_jwt — assertion signée par la clé de l'application"),
    "none": _l("none — application publique (PKCE obligatoire)"),
}
ACCESS_TOKEN_FORMAT_LABELS = {"opaque": _l("Opaque"), "jwt": _l("JWT (RFC 9068)")}


def userinfo_choices(algs: Iterable[str]) -> list[SelectChoice]:
    """Plain JSON (no algorithm: the empty value), or signed with one of `algs`."""
    signed = [SelectChoice(alg, _l("signée %(alg)s", alg=alg)) for alg in algs]
    return [SelectChoice("", _l("JSON (non signée)")), *signed]


def choices(values: Iterable[str], labels: Mapping[str, Any] | None = None) -> list[SelectChoice]:
    """One choice per value, labelled from `labels` (the value itself otherwise)."""
    return [SelectChoice(value, (labels or {}).get(value, value)) for value in values]


NAME_TAKEN = _l("Une autre application porte déjà ce nom : choisissez-en un autre.")


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (WTForms' documented recipe)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def lines(text: str | None) -> list[str]:
    """One value per non-empty line, stripped, duplicates dropped (order kept)."""
    seen: dict[str, None] = {}
    for line in (text or "").splitlines():
        if line.strip():
            seen.setdefault(line.strip(), None)
    return list(seen)


def _check_uris(uris: list[str]) -> None:

    for uri in uris:
        message = validate_redirect_uri(uri)
        if message:
            raise ValidationError(f"{uri} : {message}")


class UriList:
    """Each line must be an acceptable URI (no fragment, https except on localhost)."""

    def __call__(self, form: FlaskForm, field: TextAreaField) -> None:
        _check_uris(lines(field.data))


class OneUri:
    def __call__(self, form: FlaskForm, field: StringField) -> None:
        if field.data and field.data.strip():
            _check_uris([field.data.strip()])


class ClientForm(FlaskForm):
    name = StringField(_l("Nom de l'application"), validators=[DataRequired(), Length(max=100)])
    redirect_uris = TextAreaField(_l("Adresses de retour (redirect URI)"), validators=[UriList()])
    post_logout_redirect_uris = TextAreaField(
        _l("Adresses de retour après déconnexion"), validators=[UriList()]
    )
    backchannel_logout_uri = StringField(
        _l("Adresse de déconnexion back-channel"), validators=[Optional(), OneUri()]
    )
    frontchannel_logout_uri = StringField(
        _l("Adresse de déconnexion front-channel"), validators=[Optional(), OneUri()]
    )
    auth_method = RadioField(
        _l("Authentification au point de jeton"),
        choices=choices(SUPPORTED.auth_methods, AUTH_METHOD_LABELS),
        default="client_secret_basic",
        validators=[DataRequired()],
    )
    jwks = TextAreaField(_l("Clés publiques (JWKS, JSON)"), validators=[Optional()])
    jwks_uri = StringField(_l("Adresse des clés publiques (jwks_uri)"), validators=[Optional()])
    scopes = MultiCheckboxField(
        _l("Portées autorisées"),
        choices=choices(SUPPORTED.scopes, SCOPE_LABELS),
        default=["openid", "profile", "email"],
    )
    grant_types = MultiCheckboxField(
        _l("Types d'autorisation"),
        choices=choices(SUPPORTED.grant_types, GRANT_TYPE_LABELS),
        default=["authorization_code", "refresh_token"],
    )
    first_party = BooleanField(_l("Application de l'organisation (pas d'écran de consentement)"))
    require_mfa = BooleanField(_l("Exiger la vérification en deux étapes"))
    id_token_alg = SelectField(
        _l("Algorithme de signature du jeton d'identité"),
        choices=choices(SUPPORTED.signing_algs),
        default=DEFAULT_SIGNING_ALG,
    )
    userinfo_alg = SelectField(
        _l("Réponse userinfo"), choices=userinfo_choices(SUPPORTED.signing_algs), default=""
    )
    pairwise = BooleanField(_l("Identifiant de la personne propre à cette application (pairwise)"))
    access_token_format = SelectField(
        _l("Format des jetons d'accès"),
        choices=choices(SUPPORTED.access_token_formats, ACCESS_TOKEN_FORMAT_LABELS),
        default="opaque",
    )

    launcher_name = StringField(_l("Nom dans « Mes services »"), validators=[Length(max=100)])
    launcher_description = StringField(_l("Description courte"), validators=[Length(max=300)])
    launcher_icon_url = StringField(
        _l("Adresse de l'icône"),
        validators=[
            Optional(),
            Length(max=500),
        ],
    )
    launcher_url = StringField(
        _l("Adresse de l'application"),
        validators=[
            Optional(),
            Length(max=500),
        ],
    )
    launcher_position = IntegerField(
        _l("Ordre d'affichage"), default=100, validators=[Optional(), NumberRange(0, 10000)]
    )
    launcher_visible = BooleanField(_l("Visible dans « Mes services »"), default=True)

    submit = SubmitField(_l("Enregistrer"))

    def __init__(self, *args, client_pk: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.client_pk = client_pk
        # Only what the settings leave on is offered (and accepted: WTForms checks choices).
        caps = current()
        self.auth_method.choices = choices(caps.auth_methods, AUTH_METHOD_LABELS)
        self.scopes.choices = choices(caps.scopes, SCOPE_LABELS)
        self.grant_types.choices = choices(caps.grant_types, GRANT_TYPE_LABELS)
        self.id_token_alg.choices = choices(caps.signing_algs)
        self.userinfo_alg.choices = userinfo_choices(caps.signing_algs)
        self.access_token_format.choices = choices(
            caps.access_token_formats, ACCESS_TOKEN_FORMAT_LABELS
        )

    def validate_name(self, field: StringField) -> None:
        if field.data and name_taken(field.data, self.client_pk):
            raise ValidationError(NAME_TAKEN)

    def validate_redirect_uris(self, field: TextAreaField) -> None:
        if "authorization_code" in (self.grant_types.data or []) and not lines(field.data):
            raise ValidationError(
                _l("Indiquez au moins une adresse de retour pour la connexion des personnes.")
            )

    def validate_jwks(self, field: TextAreaField) -> None:
        if field.data and field.data.strip():
            try:
                value = json.loads(field.data)
            except ValueError as error:
                raise ValidationError(_l("Ce n'est pas du JSON valide.")) from error
            if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
                raise ValidationError(_l("Un JWKS est un objet JSON avec une liste « keys »."))

    def validate_jwks_uri(self, field: StringField) -> None:
        if field.data and field.data.strip():
            _check_uris([field.data.strip()])

    def validate_auth_method(self, field: RadioField) -> None:
        if field.data == "private_key_jwt" and not (
            (self.jwks.data or "").strip() or (self.jwks_uri.data or "").strip()
        ):
            raise ValidationError(
                _l("Avec private_key_jwt, donnez les clés publiques (JWKS) ou leur adresse.")
            )

    def validate_launcher_url(self, field: StringField) -> None:
        if self.launcher_name.data and not (field.data or "").strip():
            raise ValidationError(_l("Indiquez l'adresse de l'application pour « Mes services »."))

    def client_fields(self) -> dict:
        """Keyword arguments for idp.oidc.clients.create_client / update_client."""
        return {
            "name": self.name.data.strip(),
            "redirect_uris": lines(self.redirect_uris.data),
            "post_logout_redirect_uris": lines(self.post_logout_redirect_uris.data),
            "backchannel_logout_uri": (self.backchannel_logout_uri.data or "").strip() or None,
            "frontchannel_logout_uri": (self.frontchannel_logout_uri.data or "").strip() or None,
            "auth_method": self.auth_method.data,
            "scopes": list(self.scopes.data or []),
            "grant_types": list(self.grant_types.data or []),
            "first_party": bool(self.first_party.data),
            "require_mfa": bool(self.require_mfa.data),
            "id_token_alg": self.id_token_alg.data,
            "userinfo_alg": self.userinfo_alg.data or None,
            "subject_type": "pairwise" if self.pairwise.data else "public",
            "access_token_format": self.access_token_format.data,
            "jwks": json.loads(self.jwks.data) if (self.jwks.data or "").strip() else None,
            "jwks_uri": (self.jwks_uri.data or "").strip() or None,
        }


class ConfirmForm(FlaskForm):
    """A bare POST form (CSRF only): disable, enable, rotate, delete."""

    submit = SubmitField(_l("Confirmer"))


class InitialAccessTokenForm(FlaskForm):
    expires_in_days = IntegerField(
        _l("Valable (jours)"), default=7, validators=[DataRequired(), NumberRange(1, 365)]
    )
    max_uses = IntegerField(
        _l("Nombre d'enregistrements permis"),
        default=1,
        validators=[Optional(), NumberRange(1, 1000)],
    )
    submit = SubmitField(_l("Créer un jeton d'accès initial"))
