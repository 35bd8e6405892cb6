"""Forms of the OpenID Provider pages (CSRF-protected by Flask-WTF)."""

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField

from idp.core.forms import FlaskForm


class ConsentForm(FlaskForm):
    accept = SubmitField(_l("Autoriser"))
    refuse = SubmitField(_l("Refuser"))


class LogoutConfirmForm(FlaskForm):
    confirm = SubmitField(_l("Me déconnecter"))
    cancel = SubmitField(_l("Annuler"))


class LogoutEverywhereForm(FlaskForm):
    submit = SubmitField(_l("Me déconnecter partout"))
