"""Forms of the login, forgotten-password and reset pages."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from idp.captcha.forms import CaptchaMixin
from idp.core.forms import FlaskForm, account_email_field, password_field


class LoginForm(CaptchaMixin, FlaskForm):
    """Set `captcha_enabled` before validating: the captcha is asked after failures only."""

    identifier = StringField(
        _l("Courriel"),
        validators=[DataRequired(_l("Indiquez votre identifiant.")), Length(max=254)],
    )
    password = password_field(_l("Mot de passe"), _l("Indiquez votre mot de passe."))
    # Only shown, and only read, when REMEMBER_SESSION_LIFETIME is not 0.
    remember = BooleanField(_l("Rester connecté"), default=False)
    submit = SubmitField(_l("Se connecter"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not current_app.config["REMEMBER_SESSION_LIFETIME"]:
            del self.remember
        if current_app.config["LOGIN_WITH_NIR"]:
            self.identifier.label.text = _l("Courriel ou numéro de sécurité sociale")


class ForgotPasswordForm(FlaskForm):
    email = account_email_field(_l("Courriel"), _l("Indiquez votre adresse électronique."))
    submit = SubmitField(_l("Recevoir un lien"))


class NewPasswordMixin:
    new_password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[DataRequired(_l("Choisissez un mot de passe.")), Length(max=200)],
    )
    confirm = PasswordField(
        _l("Confirmation du nouveau mot de passe"),
        validators=[
            DataRequired(_l("Confirmez le mot de passe.")),
            EqualTo("new_password", _l("Les deux mots de passe ne sont pas identiques.")),
        ],
    )


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    submit = SubmitField(_l("Enregistrer le mot de passe"))


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = password_field(
        _l("Mot de passe actuel"), _l("Indiquez votre mot de passe actuel.")
    )
    submit = SubmitField(_l("Changer le mot de passe"))
