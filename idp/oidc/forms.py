"""Forms of the OpenID Provider pages (CSRF-protected by Flask-WTF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField


class ConsentForm(FlaskForm):
    accept = SubmitField(_l("Autoriser"))
    refuse = SubmitField(_l("Refuser"))


class LogoutConfirmForm(FlaskForm):
    confirm = SubmitField(_l("Me déconnecter"))
    cancel = SubmitField(_l("Rester connecté(e)"))
