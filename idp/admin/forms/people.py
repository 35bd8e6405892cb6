"""Forms of the people part of the administration, and of the personal data page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from idp.accounts.forms.names import person_name, tidy_name
from idp.accounts.forms.registration import CIVILITIES
from idp.core.forms import FlaskForm, email_field


class ActionForm(FlaskForm):
    """A button that only carries the CSRF token (lock, unlock, re-send, revoke…)."""


class InvitationForm(FlaskForm):
    email = email_field(
        _l("Courriel de la personne invitée"),
        _l("Indiquez le courriel de la personne invitée."),
        _l("Adresse électronique invalide."),
    )
    client_id = SelectField(
        _l("Service"), validators=[DataRequired(_l("Choisissez le service."))], choices=[]
    )
    civility = RadioField(
        _l("Civilité"),
        choices=[
            SelectChoice("", _l("Non précisée")),
            *CIVILITIES,
        ],
        default="",
        validators=[Optional()],
    )
    given_name = StringField(
        _l("Prénom"), filters=[tidy_name], validators=[Optional(), person_name]
    )
    family_name = StringField(_l("Nom"), filters=[tidy_name], validators=[Optional(), person_name])
    expires_in_days = IntegerField(
        _l("Validité (jours)"),
        validators=[
            InputRequired(_l("Indiquez une durée de validité en jours.")),
            NumberRange(1, 365, _l("La durée de validité va de 1 à 365 jours.")),
        ],
    )
    submit = SubmitField(_l("Envoyer l'invitation"))


class SearchForm(FlaskForm):
    """GET search of accounts (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Nom, courriel ou numéro de sécurité sociale"), validators=[Optional()])


class AuditFilterForm(FlaskForm):
    """GET filters of the audit log (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    account = StringField(_l("Compte (courriel)"), validators=[Optional(), Length(max=254)])
    client_id = StringField(_l("Application (client_id)"), validators=[Optional(), Length(max=64)])
    type = StringField(_l("Type d'événement"), validators=[Optional(), Length(max=64)])
    since = DateField(_l("Du"), validators=[Optional()], format="%Y-%m-%d")
    until = DateField(_l("Au"), validators=[Optional()], format="%Y-%m-%d")


class AdminDeleteForm(FlaskForm):
    confirm = BooleanField(
        _l("Je confirme la suppression définitive de ce compte"),
        validators=[DataRequired(_l("Cochez la case pour confirmer la suppression."))],
    )
    submit = SubmitField(_l("Supprimer définitivement"))
