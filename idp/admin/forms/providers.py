"""The form of the upstream identity provider pages (FranceConnect, ProConnect, any OpenID
provider). WTForms reads the fields; the rules are idp.federation.providers' (ProviderError)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from idp.core.forms import FlaskForm
from idp.federation.models import KINDS, UpstreamProvider
from idp.federation.providers import KIND_DEFAULTS

KIND_LABELS = {
    "franceconnect": _l("FranceConnect"),
    "proconnect": _l("ProConnect"),
    "oidc": _l("Autre fournisseur OpenID Connect"),
}

# The text fields a kind fills ("Préremplir"), and those left to the administrator.
DEFAULTED = ("label", "issuer", "scope", "acr_values")


class ProviderForm(FlaskForm):
    kind = SelectField(
        _l("Type de fournisseur"),
        choices=[SelectChoice(kind, KIND_LABELS[kind]) for kind in KINDS],
        default="franceconnect",
    )
    # Fills label, issuer, scope and acr from the kind, keeping what else was typed.
    prefill = SubmitField(_l("Préremplir"))
    name = StringField(
        _l("Nom court"), validators=[DataRequired(_l("Indiquez un nom court.")), Length(max=64)]
    )
    label = StringField(_l("Libellé du bouton"), validators=[Optional(), Length(max=100)])
    issuer = StringField(_l("Émetteur (issuer)"), validators=[Optional(), Length(max=500)])
    client_id = StringField(
        _l("Identifiant client (client_id)"),
        validators=[DataRequired(_l("Indiquez le client_id.")), Length(max=255)],
    )
    # Never shown back (PasswordField does not render its value); empty on edit keeps it.
    client_secret = PasswordField(
        _l("Secret client (client_secret)"), validators=[Optional(), Length(max=1000)]
    )
    scope = StringField(_l("Données demandées (scope)"), validators=[Optional(), Length(max=1000)])
    acr_values = StringField(
        _l("Niveau d’authentification demandé (acr_values)"),
        validators=[Optional(), Length(max=255)],
    )
    enabled = BooleanField(_l("Proposé sur la page de connexion"), default=True)
    submit = SubmitField(_l("Enregistrer"))

    def fill_from(self, provider: UpstreamProvider) -> None:
        """Show a provider's settings (never its secret)."""
        for name in ("kind", "name", "label", "issuer", "client_id", "scope"):
            getattr(self, name).data = getattr(provider, name)
        self.acr_values.data = provider.acr_values or ""
        self.enabled.data = provider.enabled

    def apply_kind_defaults(self) -> None:
        """ "Préremplir": the chosen kind's label, production issuer, scope and acr."""
        defaults = KIND_DEFAULTS.get(self.kind.data) or KIND_DEFAULTS["oidc"]
        self.label.data = defaults.label or (self.name.data or "").strip()
        if defaults.issuer_hint:
            self.issuer.data = defaults.issuer_hint
        self.scope.data = defaults.scope
        self.acr_values.data = defaults.acr_values or ""

    def provider_fields(self, *, creating: bool) -> dict[str, Any]:
        """Keyword arguments for providers.create / update. A field left empty takes the
        kind's default (label, issuer of a State federation, scope; acr when creating);
        an empty secret is None: none when creating, the current one kept when editing."""
        kind = self.kind.data
        defaults = KIND_DEFAULTS.get(kind) or KIND_DEFAULTS["oidc"]
        name = (self.name.data or "").strip()
        acr = (self.acr_values.data or "").strip()
        return {
            "kind": kind,
            "name": name,
            "label": (self.label.data or "").strip() or defaults.label or name,
            "issuer": (self.issuer.data or "").strip() or defaults.issuer_hint or "",
            "client_id": (self.client_id.data or "").strip(),
            "client_secret": (self.client_secret.data or "").strip() or None,
            "scope": (self.scope.data or "").strip() or defaults.scope,
            # Creating: empty = the kind's acr; editing: empty = no acr asked any more.
            "acr_values": (acr or None) if creating else acr,
            "enabled": bool(self.enabled.data),
        }


def kind_hints() -> dict[str, dict[str, str | None]]:
    """Per kind, what the page tells about its defaults (issuers of production and test)."""
    return {
        kind: {
            "label": KIND_LABELS[kind],
            "issuer": defaults.issuer_hint,
            "integration_issuer": defaults.integration_issuer,
            "scope": defaults.scope,
            "acr_values": defaults.acr_values,
        }
        for kind, defaults in KIND_DEFAULTS.items()
        if kind in KIND_LABELS
    }
