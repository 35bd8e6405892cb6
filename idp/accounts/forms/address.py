"""Correcting the address typed at registration ("Modifier mon adresse")."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SubmitField, ValidationError
from wtforms.validators import DataRequired

from idp.accounts.forms.registration import _email_validators, strip
from idp.core.forms import FlaskForm


class ChangeAddressForm(FlaskForm):
    """The corrected address, typed twice as at registration."""

    email = EmailField(_l("Courriel"), filters=[strip], validators=_email_validators(True))
    email_confirm = EmailField(
        _l("Confirmation du courriel"),
        filters=[strip],
        validators=[DataRequired(_l("Saisissez une seconde fois votre adresse électronique."))],
    )
    submit = SubmitField(_l("Envoyer le lien à cette adresse"))

    def validate_email_confirm(self, field) -> None:
        if (field.data or "").lower() != (self.email.data or "").lower():
            raise ValidationError(_("Les deux adresses électroniques ne sont pas identiques."))
