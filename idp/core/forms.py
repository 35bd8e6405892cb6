"""The base of every form of the site: Flask-WTF's FlaskForm, reading form bodies only, and
the fields several forms share (an e-mail address, a password).

    from idp.core.forms import FlaskForm, email_field, password_field

Flask-WTF also reads a JSON body as form data, typed values and all: a number, a list or
an object where a field expects text made every form of the site fail with a 500
(`len()` of an int, `.strip()` of a dict…). Our pages post form-encoded bodies, never JSON
(the captcha's "new characters" call is not a form), so a JSON body leaves a form empty:
it is then invalid like any empty form, and the page says which fields are missing.
"""

from __future__ import annotations

from typing import Any

import flask_wtf
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length, Regexp

# RFC 5321: an address is at most 254 characters long.
EMAIL_MAX_LENGTH = 254


class FlaskForm(flask_wtf.FlaskForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not args and "formdata" not in kwargs and has_request_context() and request.is_json:
            kwargs["formdata"] = None  # Flask-WTF's documented way to read no request data
        super().__init__(*args, **kwargs)


def email_field(
    label: str, required: str, invalid: str = _l("Cette adresse électronique n'est pas valide.")
) -> EmailField:
    """A required e-mail address: `required` and `invalid` are what the person reads."""
    return EmailField(
        label,
        validators=[DataRequired(required), Email(invalid), Length(max=EMAIL_MAX_LENGTH)],
    )


def account_email_field(
    label: str, required: str, invalid: str = _l("Cette adresse électronique n'est pas valide.")
) -> EmailField:
    """The address of an account that exists already, to find it ("Mot de passe oublié"):
    only its shape is checked (one @, nothing blank, no space). email_validator refuses
    special-use domains for a new address, but an account may hold one (the demo's
    demo@compte.localhost, an import): a form that looks an account up must not refuse
    what the sign-in accepts. Every well-shaped address gets the same answer."""
    return EmailField(
        label,
        validators=[
            DataRequired(required),
            Regexp(r"^[^@\s]+@[^@\s]+$", message=invalid),
            Length(max=EMAIL_MAX_LENGTH),
        ],
    )


def password_field(label: str, required: str) -> PasswordField:
    """A required password (the rules a new one follows are the flow's: accounts/policy.py)."""
    return PasswordField(label, validators=[DataRequired(required)])
