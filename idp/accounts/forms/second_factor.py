"""The form of the sign-in's second step (/login/verify)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from idp.captcha.forms import CaptchaMixin
from idp.core.forms import FlaskForm


class SecondFactorForm(CaptchaMixin, FlaskForm):
    """A code (authenticator app, e-mail or recovery). Set `captcha_enabled` first."""

    method = HiddenField()
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Saisissez le code.")), Length(max=32)],
    )
    trust = BooleanField()
    submit = SubmitField(_l("Vérifier"))


class SendEmailCodeForm(FlaskForm):
    submit = SubmitField(_l("Recevoir un code par courriel"))
