"""What the registration form of the preset will still ask of an invited person, read from
the form classes themselves (so the invitation mail stays true when a preset or a form
changes): its required fields not pre-filled by the invitation, and the captcha."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import Form

from idp.accounts.forms.registration import (
    IdentityStepForm,
    PasswordStepForm,
    RegistrationForm,
    TermsStepForm,
)
from idp.captcha.forms import CaptchaMixin

CAPTCHA = "captcha"
# How the mail names what is asked, in the order a person meets it on the form; a required
# field not named here is named by its label.
PHRASES = {
    "civility": _l("votre civilité"),
    "given_name": _l("votre prénom"),
    "family_name": _l("votre nom"),
    "birthdate": _l("votre date de naissance"),
    "nir": _l("votre numéro de sécurité sociale"),
    "email": _l("votre adresse électronique"),
    CAPTCHA: _l("un contrôle de sécurité (quelques caractères à recopier, ou à écouter)"),
    "accept_terms": _l("l'acceptation des conditions d'utilisation"),
    "password": _l("le choix de votre mot de passe"),
}
# Typed twice: the second field is the same thing asked again.
_SECOND_TYPING = {"email_confirm", "password_confirm"}


def _forms() -> list[type[Form]]:
    if current_app.config["REGISTRATION_WIZARD"]:
        return [TermsStepForm, IdentityStepForm, PasswordStepForm]
    return [RegistrationForm]


def still_asked(prefilled: set[str]) -> list[str]:
    """What the registration form will still ask, in words (needs an application context):
    its required fields, less `prefilled` and fields typed twice, and its captcha."""
    asked: list[str] = []
    labels: dict[str, str] = {}
    for form_class in _forms():
        form = form_class(formdata=None, meta={"csrf": False})
        for field in form:
            if field.name in prefilled or field.name in _SECOND_TYPING:
                continue
            if field.flags.required:
                asked.append(field.name)
                labels[field.name] = str(field.label.text)
        if isinstance(form, CaptchaMixin) and form.captcha_enabled:
            asked.append(CAPTCHA)
    known = [str(PHRASES[name]) for name in PHRASES if name in asked]
    unknown = [labels[name] for name in asked if name not in PHRASES]
    return known + unknown
