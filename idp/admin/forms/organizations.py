"""Forms of the organisation pages, and of a person's organisation on their admin page (the
rules of a SIRET and of a domain are idp.organizations.services'; its errors land here)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from idp.core.forms import FlaskForm
from idp.organizations.models import Organization
from idp.organizations.services import NAME_MAX_LENGTH, POPULATIONS, UNIT_MAX_LENGTH

POPULATION_LABELS = {
    "agent": _l("Agent"),
    "prestataire": _l("Prestataire"),
    "partenaire": _l("Partenaire"),
    "stagiaire": _l("Stagiaire"),
    "autre": _l("Autre"),
}
TOO_LONG = _l("%(max)d caractères au plus.")


class OrganizationForm(FlaskForm):
    name = StringField(
        _l("Nom de l’organisation"),
        validators=[
            DataRequired(_l("Indiquez le nom de l’organisation.")),
            Length(max=NAME_MAX_LENGTH, message=TOO_LONG),
        ],
    )
    siret = StringField(
        _l("SIRET"), validators=[DataRequired(_l("Indiquez le SIRET de l’organisation."))]
    )
    domains = TextAreaField(_l("Domaines des adresses électroniques"), validators=[Optional()])
    organizational_unit = StringField(
        _l("Service (ministère, direction…)"),
        validators=[Optional(), Length(max=UNIT_MAX_LENGTH, message=TOO_LONG)],
    )
    submit = SubmitField(_l("Enregistrer"))


class AccountOrganizationForm(FlaskForm):
    """An administrator's choice for one person: organisation, unit, population."""

    organization = SelectField(_l("Organisation"), choices=[], validators=[Optional()])
    organizational_unit = StringField(
        _l("Service (ministère, direction…)"),
        validators=[Optional(), Length(max=UNIT_MAX_LENGTH, message=TOO_LONG)],
    )
    belonging_population = SelectField(
        _l("Population"),
        choices=[
            SelectChoice("", _l("Non précisée")),
            *(SelectChoice(p, POPULATION_LABELS[p]) for p in POPULATIONS),
        ],
        validators=[Optional()],
    )
    submit = SubmitField(_l("Enregistrer l’organisation"))

    def offer(self, organizations: list[Organization]) -> None:
        """The organisations to choose from, after "by the e-mail's domain" (none chosen)."""
        self.organization.choices = [
            SelectChoice("", _l("Selon le domaine de l’adresse")),
            *(SelectChoice(str(o.id), f"{o.name} ({o.siret})") for o in organizations),
        ]
