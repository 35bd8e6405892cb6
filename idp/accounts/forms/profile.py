"""Forms of the profile pages: identity, secondary e-mail."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from idp.accounts.forms.names import person_name, tidy_name
from idp.accounts.forms.registration import CIVILITIES, DATE_INVALID
from idp.core.forms import FlaskForm, email_field, password_field

# A French or international number: digits with optional spaces, dots, dashes, a leading +.
PHONE_RE = re.compile(r"^\+?[0-9][0-9 .\-]{7,19}$")


def phone_number(form, field) -> None:
    if field.data and not PHONE_RE.match(field.data.strip()):
        raise ValidationError(
            _l("Ce numéro de téléphone n'est pas valide (exemple : 01 23 45 67 89).")
        )


def plausible_birthdate(form, field) -> None:
    if field.data and not (date(1900, 1, 1) <= field.data <= date.today()):
        raise ValidationError(_l("Cette date de naissance n'est pas plausible."))


def strip(value):
    return value.strip() if isinstance(value, str) else value


class IdentityForm(FlaskForm):
    civility = RadioField(
        _l("Civilité"),
        choices=CIVILITIES,
        validators=[DataRequired(_l("Choisissez une civilité."))],
    )
    given_name = StringField(
        _l("Prénom"),
        filters=[tidy_name],
        validators=[DataRequired(_l("Indiquez votre prénom.")), person_name],
    )
    family_name = StringField(
        _l("Nom"),
        filters=[tidy_name],
        validators=[DataRequired(_l("Indiquez votre nom.")), person_name],
    )
    usual_name = StringField(
        _l("Nom d’usage"), filters=[tidy_name], validators=[Optional(), person_name]
    )
    birth_name = StringField(
        _l("Nom de naissance"), filters=[tidy_name], validators=[Optional(), person_name]
    )
    birthdate = DateField(
        _l("Date de naissance"),
        format=["%Y-%m-%d", "%d/%m/%Y"],
        invalid_value_message=DATE_INVALID,
        validators=[Optional(), plausible_birthdate],
    )
    phone = StringField(
        _l("Téléphone fixe"), filters=[strip], validators=[Optional(), phone_number]
    )
    mobile = StringField(
        _l("Téléphone mobile"), filters=[strip], validators=[Optional(), phone_number]
    )
    address = TextAreaField(
        _l("Adresse postale"), filters=[strip], validators=[Optional(), Length(max=500)]
    )
    submit = SubmitField(_l("Enregistrer"))


class SecondaryEmailForm(FlaskForm):
    email = email_field(_l("Courriel secondaire"), _l("Indiquez une adresse électronique."))
    password = password_field(_l("Mot de passe actuel"), _l("Indiquez votre mot de passe actuel."))
    submit = SubmitField(_l("Envoyer le lien de confirmation"))


class ConfirmActionForm(FlaskForm):
    """A button behind CSRF (remove the secondary e-mail…)."""

    submit = SubmitField(_l("Confirmer"))


class SelfDeleteForm(FlaskForm):
    password = password_field(
        _l("Votre mot de passe"), _l("Saisissez votre mot de passe pour confirmer.")
    )
    confirm = BooleanField(
        _l("Je comprends que mon compte et mes données seront supprimés définitivement"),
        validators=[DataRequired(_l("Cochez la case pour confirmer la suppression."))],
    )
    submit = SubmitField(_l("Supprimer mon compte"))
