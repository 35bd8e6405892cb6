"""Forms of the "Sécurité" pages: confirming an authenticator app, the buttons that change
a factor (each behind CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, ValidationError

from idp.accounts.factors import totp
from idp.core.forms import FlaskForm

# What the browser is told about a 6-digit code: digits keypad on phones, the code from an
# SMS or app suggested, 6 digits (spaces are tolerated by the server, not by `pattern`).
ONE_TIME_CODE = {
    "autocomplete": "one-time-code",
    "inputmode": "numeric",
    "pattern": "[0-9]{6}",
    "maxlength": "7",
    "spellcheck": "false",
    "autocapitalize": "off",
}


def six_digits(form, field) -> None:
    if field.data and not totp.is_well_formed(field.data):
        raise ValidationError(_l("Le code comporte 6 chiffres, sans lettre (exemple : 123456)."))


class TotpConfirmForm(FlaskForm):
    code = StringField(
        _l("Code à 6 chiffres affiché par l'application"),
        validators=[
            DataRequired(_l("Saisissez le code à 6 chiffres affiché par l'application.")),
            six_digits,
        ],
        render_kw=ONE_TIME_CODE,
    )
    submit = SubmitField(_l("Valider et activer"))


class TotpRemoveForm(FlaskForm):
    submit = SubmitField(_l("Retirer l'application d'authentification"))


class RecoveryGenerateForm(FlaskForm):
    submit = SubmitField(_l("Générer de nouveaux codes"))


class EmailFactorForm(FlaskForm):
    """Turns codes by e-mail on or off: `state` says which, so that a form sent twice
    does not switch back."""

    state = HiddenField(validators=[AnyOf(["on", "off"])])
