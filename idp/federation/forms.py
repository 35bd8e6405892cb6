"""Forms of the upstream sign-in's pages: confirming a link with the account's password or
by mail, the registration of a new account, and removing a link."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from idp.accounts.forms.names import person_name, tidy_name
from idp.accounts.forms.registration import (
    CIVILITIES,
    DATE_INVALID,
    NirMixin,
    TermsField,
    policy_refusal,
)
from idp.captcha.forms import CaptchaMixin
from idp.core.forms import FlaskForm, password_field


class LinkPasswordForm(CaptchaMixin, FlaskForm):
    """The password of the account that has the provider's address (captcha after
    failures, as on the login page)."""

    password = password_field(
        _l("Mot de passe de votre compte"), _l("Indiquez votre mot de passe.")
    )
    submit = SubmitField(_l("Confirmer et me connecter"))


class LinkMailForm(FlaskForm):
    send = SubmitField(_l("Recevoir un lien par courriel"))


class LinkConfirmForm(FlaskForm):
    """The mailed link opens a page; only its button links (mail scanners open links)."""

    confirm = SubmitField(_l("Ajouter cette connexion et me connecter"))


class UnlinkForm(FlaskForm):
    remove = SubmitField(_l("Retirer"))


class AddLinkForm(FlaskForm):
    add = SubmitField(_l("Associer"))


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class FederatedRegistrationForm(NirMixin, TermsField, FlaskForm):
    """A new account from the provider's claims: the person checks them, completes what
    is missing (the NIR too, when NIR_FIELD asks for it: no provider gives it) and accepts
    the terms; a password is optional (the provider signs them in)."""

    civility = RadioField(_l("Civilité"), choices=CIVILITIES, validators=[Optional()])
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
    birthdate = DateField(
        _l("Date de naissance"),
        format=["%Y-%m-%d", "%d/%m/%Y"],
        invalid_value_message=DATE_INVALID,
        validators=[Optional()],
    )
    # Only asked when the provider did not vouch for an address (the view removes it).
    email = EmailField(
        _l("Courriel"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Indiquez votre adresse électronique.")),
            Length(max=254, message=_l("Cette adresse est trop longue.")),
            Email(
                _l("Cette adresse électronique n'est pas valide (exemple : prenom.nom@exemple.fr).")
            ),
        ],
    )
    password = PasswordField(
        _l("Mot de passe (facultatif)"),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au plus."))],
    )
    password_confirm = PasswordField(_l("Confirmation du mot de passe"))
    submit = SubmitField(_l("Créer mon compte"))

    def validate_birthdate(self, field) -> None:
        if field.data and not (date(1900, 1, 1) <= field.data <= date.today()):
            raise ValidationError(
                _("Vérifiez l'année : cette date de naissance n'est pas possible.")
            )

    def validate_password(self, field) -> None:
        if not field.data:
            return
        names = {
            "given_name": self.given_name.data or "",
            "family_name": self.family_name.data or "",
        }
        refusal = policy_refusal(field.data, **names, birth_name="")
        if refusal:
            raise ValidationError(refusal)

    def validate_password_confirm(self, field) -> None:
        if (self.password.data or "") != (field.data or ""):
            raise ValidationError(_("Les deux mots de passe ne sont pas identiques."))
