"""`CaptchaMixin`: adds the captcha to any FlaskForm.

    class RegistrationForm(CaptchaMixin, FlaskForm): ...

    form = RegistrationForm()
    if form.captcha_renew_requested():      # "Nouveaux caractères" pressed (no JS)
        pass                                # re-render, keep what was typed
    elif form.validate_on_submit():         # captcha checked too
        ...
    form.prepare_captcha()                  # always before rendering
    return render_template(..., form=form)  # {{ captcha_block(form) }}

Set `form.captcha_enabled = False` (before validating and rendering) when this request
does not need a captcha (e.g. login before any failure): the fields are then ignored.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Form, HiddenField, StringField, SubmitField

from idp.captcha import services

WRONG_ANSWER = _l(
    "Les caractères saisis ne correspondent pas. De nouveaux caractères vous sont proposés."
)
MISSING_ANSWER = _l("Saisissez les caractères affichés dans l'image ou dits dans le son.")
EXPIRED = _l("Le contrôle de sécurité a expiré. De nouveaux caractères vous sont proposés.")


class CaptchaMixin:
    """Fields `captcha_id`, `captcha_answer`, `captcha_renew` and the captcha check."""

    captcha_id = HiddenField()
    captcha_answer = StringField(
        _l("Caractères affichés dans l'image"),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    captcha_renew = SubmitField(_l("Nouveaux caractères"))

    captcha_enabled: bool = True
    # True once the person gave the right characters for `captcha_id` (the form failed
    # for another reason): the block then says so instead of asking again.
    captcha_solved: bool = False

    def __init_subclass__(cls, **kwargs) -> None:
        # `class F(FlaskForm, CaptchaMixin)` would silently skip the captcha check.
        super().__init_subclass__(**kwargs)
        mro = cls.__mro__
        if Form in mro and mro.index(Form) < mro.index(CaptchaMixin):
            raise TypeError(f"{cls.__name__}: put CaptchaMixin before FlaskForm in the bases")

    def captcha_renew_requested(self) -> bool:
        """True when the person pressed "Nouveaux caractères" (do not validate then)."""
        return bool(self.captcha_enabled and self.captcha_renew.data)

    def prepare_captcha(self) -> None:
        """Before rendering: keep a usable challenge, else create a fresh one; the answer
        field is always emptied."""
        if not self.captcha_enabled:
            return
        current = self.captcha_id.data or None
        status = services.state(current)
        if status == services.PENDING and self.captcha_renew_requested():
            services.discard(current)
            status = None
        if status not in (services.PENDING, services.SOLVED):
            self.captcha_id.data = services.new_challenge()
        self.captcha_solved = status == services.SOLVED
        self.captcha_answer.data = ""
        self.captcha_answer.raw_data = []

    def validate(self, extra_validators=None) -> bool:
        """Validate the form's own fields, then the captcha. An answer always uses the
        challenge up; a right one makes it "solved", and the solved challenge is spent
        (services.redeem) only when every other field is valid too."""
        valid = super().validate(extra_validators)  # type: ignore[misc]
        if not self.captcha_enabled:
            return valid
        if self.captcha_renew_requested():
            return False
        if not self._captcha_passed():
            return False
        if valid and not services.redeem(self.captcha_id.data):
            self.captcha_answer.errors = [*self.captcha_answer.errors, EXPIRED]
            return False
        return valid

    def captcha_checked(self) -> bool:
        """Check the captcha alone, when the rest of the form will not be taken now (the
        person must wait first): a right answer makes the challenge solved, not spent, so
        it is not asked again; a wrong one adds its error to the field."""
        return not self.captcha_enabled or self._captcha_passed()

    def _captcha_passed(self) -> bool:
        challenge_id = self.captcha_id.data
        status = services.state(challenge_id)
        if status == services.SOLVED:
            self.captcha_solved = True
            return True
        if status == services.EXPIRED:
            message = EXPIRED
        elif status is None:  # unknown, already answered or replaced
            message = WRONG_ANSWER
        elif not services.normalise_answer(self.captcha_answer.data):
            message = MISSING_ANSWER
        elif services.verify(challenge_id, self.captcha_answer.data):
            self.captcha_solved = True
            return True
        else:
            message = WRONG_ANSWER
        self.captcha_answer.errors = [*self.captcha_answer.errors, message]
        return False
