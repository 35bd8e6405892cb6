"""Forms of registration (one form, or the 4 steps of the wizard) and of the terms."""

from __future__ import annotations

import re
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    StringField,
    SubmitField,
    TelField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from idp.accounts import nir as nir_rules
from idp.accounts import policy, pwned
from idp.accounts.forms.names import person_name, tidy_name
from idp.captcha.forms import CaptchaMixin
from idp.core import dates
from idp.core.forms import FlaskForm

PHONE = re.compile(r"^(?:\+[1-9][0-9]{7,14}|0[1-9][0-9]{8})$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]+")
# The glossary (docs/glossary.md): civilities in full, one date format, "mobile".
CIVILITIES = [SelectChoice("mme", _l("Madame")), SelectChoice("m", _l("Monsieur"))]
DATE_FORMAT_HINT = _l("Format : JJ/MM/AAAA (exemple : 14/08/1985).")
DATE_INVALID = _l("Date invalide : utilisez le format JJ/MM/AAAA.")


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def normalise_phone(value: str | None) -> str:
    return _PHONE_SEPARATORS.sub("", value or "")


def _email_validators(required: bool) -> list:
    first = DataRequired(_l("Indiquez votre adresse électronique.")) if required else Optional()
    return [
        first,
        Length(max=254, message=_l("Cette adresse est trop longue.")),
        Email(_l("Cette adresse électronique n'est pas valide (exemple : prenom.nom@exemple.fr).")),
    ]


class NirMixin:
    """The NIR as NIR_FIELD asks ("hidden", "optional" or "required"): its key checked, and
    checked against the civility and birth date of the same form (which must have them).
    Shared by registration and by a registration through an upstream provider (whose
    identity never gives a NIR: the person types it)."""

    nir = StringField(
        _l("Numéro de sécurité sociale"),
        filters=[strip],
        render_kw={"inputmode": "text", "spellcheck": "false", "autocapitalize": "characters"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        mode = current_app.config["NIR_FIELD"]
        if mode == "hidden":
            del self.nir
        elif mode == "required":  # right after the birth date, which it must agree with
            self.nir.flags.required = True
            fields = list(self._fields.items())
            fields.remove(("nir", self.nir))
            after = next(i for i, (name, _f) in enumerate(fields) if name == "birthdate") + 1
            self._fields.clear()
            self._fields.update([*fields[:after], ("nir", self.nir), *fields[after:]])
        else:  # optional: shown after the other fields, and listed so in the error summary
            self._fields.move_to_end("nir")

    def validate_nir(self, field) -> None:
        if not field.data:
            if field.flags.required:
                raise ValidationError(_("Indiquez votre numéro de sécurité sociale."))
            return
        message = nir_rules.validate(field.data)
        if message:
            raise ValidationError(_(message))
        field.data = nir_rules.normalise(field.data)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        nir = self.nir.data if "nir" in self else None
        if not nir or self.nir.errors or self.civility.errors or self.birthdate.errors:
            return valid
        found = nir_rules.disagreement(nir, self.civility.data, self.birthdate.data)
        if found is None:
            return valid
        # The error goes to the field the NIR contradicts: that is the one to check first
        # (a NIR's key makes a typo in it unlikely).
        self[found.field].errors.append(self._disagreement_message(found))
        return False

    def _disagreement_message(self, found: nir_rules.Disagreement) -> str:
        born = self.birthdate.data
        return _(
            found.message,
            digit=found.digit,
            nir_year=str(found.year),
            nir_month=dates.month_and_year(date(born.year, found.month or 1, 1)) if born else "",
            birthdate=dates.day_month_year(born) if born else "",
        )


class IdentityForm(NirMixin, FlaskForm):
    """Who the person is and how to reach them (step 2 of the wizard)."""

    civility = RadioField(
        _l("Civilité"),
        choices=CIVILITIES,
        validators=[InputRequired(_l("Indiquez votre civilité."))],
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
    birth_name = StringField(
        _l("Nom de naissance"), filters=[tidy_name], validators=[Optional(), person_name]
    )
    birthdate = DateField(
        _l("Date de naissance"),
        # ISO first (what <input type="date"> sends and shows); jj/mm/aaaa when typed by hand.
        format=["%Y-%m-%d", "%d/%m/%Y"],
        invalid_value_message=DATE_INVALID,
        validators=[InputRequired(_l("Indiquez votre date de naissance (jour, mois, année)."))],
    )
    email = EmailField(_l("Courriel"), filters=[strip], validators=_email_validators(True))
    email_confirm = EmailField(
        _l("Confirmation du courriel"),
        filters=[strip],
        validators=[DataRequired(_l("Saisissez une seconde fois votre adresse électronique."))],
    )
    secondary_email = EmailField(
        _l("Courriel secondaire"), filters=[strip], validators=_email_validators(False)
    )
    phone = TelField(_l("Téléphone fixe"), filters=[strip], validators=[Optional()])
    mobile = TelField(_l("Téléphone mobile"), filters=[strip], validators=[Optional()])
    invitation_token = HiddenField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email_locked = False

    def validate_birthdate(self, field) -> None:
        if field.data and not (date(1900, 1, 1) <= field.data <= date.today()):
            raise ValidationError(
                _("Vérifiez l'année : cette date de naissance n'est pas possible.")
            )

    def validate_email_confirm(self, field) -> None:
        if (field.data or "").lower() != (self.email.data or "").lower():
            raise ValidationError(_("Les deux adresses électroniques ne sont pas identiques."))

    def validate_secondary_email(self, field) -> None:
        if field.data and field.data.lower() == (self.email.data or "").lower():
            raise ValidationError(_("Le courriel secondaire doit être différent du courriel."))

    def validate_phone(self, field) -> None:
        self._check_phone(field)

    def validate_mobile(self, field) -> None:
        self._check_phone(field)

    @staticmethod
    def _check_phone(field) -> None:
        if field.data and not PHONE.match(normalise_phone(field.data)):
            raise ValidationError(
                _("Ce numéro de téléphone n'est pas valide (exemple : 01 23 45 67 89).")
            )


def policy_refusal(password: str, **names: str) -> str | None:
    """Why the password policy refuses `password` (None when it does not), in one message.
    `names`: given_name, family_name, birth_name, which the password must not contain."""
    failed = policy.failed(
        password, policy=current_app.config["PASSWORD_POLICY"], breached=pwned.checker(), **names
    )
    # Checklist rules are named in one sentence; a rule with its own refusal (a common
    # password) says why in its own words, after it.
    unmet = [_(rule.message) for rule in failed if not rule.refusal]
    sentences = [_(rule.refusal) for rule in failed if rule.refusal]
    if unmet:
        sentences.insert(
            0, _("Le mot de passe ne respecte pas : %(rules)s.", rules=" ; ".join(unmet))
        )
    return " ".join(sentences) or None


class PasswordForm(FlaskForm):
    """The password and its confirmation, checked against the policy (step 3)."""

    password = PasswordField(
        _l("Mot de passe"),
        validators=[
            DataRequired(_l("Choisissez un mot de passe.")),
            Length(max=200, message=_l("200 caractères au plus.")),
        ],
    )
    password_confirm = PasswordField(
        _l("Confirmation du mot de passe"),
        validators=[DataRequired(_l("Saisissez une seconde fois votre mot de passe."))],
    )
    # Names the password must not contain when they are not fields of this form.
    name_context: dict[str, str] | None = None

    def policy_context(self) -> dict[str, str]:
        if self.name_context is not None:
            return self.name_context
        return {
            key: (getattr(self, key).data or "") if hasattr(self, key) else ""
            for key in ("given_name", "family_name", "birth_name")
        }

    def validate_password(self, field) -> None:
        refusal = policy_refusal(field.data or "", **self.policy_context())
        if refusal:
            raise ValidationError(refusal)

    def validate_password_confirm(self, field) -> None:
        if field.data != self.password.data:
            raise ValidationError(_("Les deux mots de passe ne sont pas identiques."))


class TermsField:
    """Mixin: the terms-of-use checkbox."""

    accept_terms = BooleanField(
        _l("J'ai lu et j'accepte les conditions d'utilisation"),
        validators=[DataRequired(_l("Vous devez accepter les conditions d'utilisation."))],
    )


class RegistrationForm(CaptchaMixin, TermsField, IdentityForm, PasswordForm):
    """The one-page registration form (cnfpt, demo)."""

    # Where to go after the first login; the view keeps it only if `safe_next` accepts it.
    next = HiddenField()
    submit = SubmitField(_l("Créer mon compte"))


class TermsStepForm(TermsField, FlaskForm):
    """Wizard step 1; `next` is then kept in the server-side draft."""

    next = HiddenField()
    submit = SubmitField(_l("Continuer"))


class IdentityStepForm(CaptchaMixin, IdentityForm):
    """Wizard step 2; `back` saves what was typed without checking it."""

    back = SubmitField(_l("Retour"))
    submit = SubmitField(_l("Continuer"))


class PasswordStepForm(PasswordForm):
    """Wizard step 3."""

    back = SubmitField(_l("Retour"))
    submit = SubmitField(_l("Valider mon inscription"))


class CancelForm(FlaskForm):
    """Abandon the wizard: its draft is deleted at once."""

    cancel = SubmitField(_l("Annuler l'inscription"))


class ResendForm(CaptchaMixin, FlaskForm):
    """Send the confirmation link again; the captcha only once the address sent many
    (the view sets `captcha_enabled`, idp/accounts/form_limits.py)."""

    captcha_enabled = False

    email = EmailField(_l("Courriel"), filters=[strip], validators=_email_validators(True))
    submit = SubmitField(_l("Renvoyer le courriel"))


class AcceptTermsForm(TermsField, FlaskForm):
    """Accept a new version of the terms at login."""

    next = HiddenField()
    submit = SubmitField(_l("Accepter et continuer"))
