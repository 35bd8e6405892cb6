"""Person names everywhere a form takes one: letters, spaces, apostrophes, hyphens; markup
refused with a clear message and nothing else typed lost."""

from __future__ import annotations

from html import unescape

import pytest

from idp.accounts.models import Account
from idp.core.extensions import db
from tests.support.accounts import PASSWORD, login, make_account, post_form, text
from tests.support.captcha import record_captcha_answers
from tests.support.registration import add_service, register

MESSAGE = (
    "Utilisez seulement des lettres, des espaces, des apostrophes, des traits d'union et le "
    "point d'une initiale."
)
MARKUP = "<b>Jean</b><script>"


def stored(app, email: str) -> Account | None:
    with app.app_context():
        return db.session.scalar(db.select(Account).where(Account.email == email))


def test_registration_refuses_markup_in_a_name_and_keeps_what_was_typed(app, client):
    """A name with markup is refused with the message, tied to its field; the rest stays."""
    answers = record_captcha_answers(app)
    response = register(client, answers, given_name=MARKUP, family_name="Pierre")
    page = unescape(text(response))
    assert response.status_code == 400
    assert MESSAGE in page
    assert 'id="given_name-error"' in page and 'aria-invalid="true"' in page
    assert 'value="Pierre"' in page and 'value="pierreivan@yopmail.com"' in page
    assert stored(app, "pierreivan@yopmail.com") is None


def test_registration_accepts_accents_apostrophes_and_hyphens(app, client):
    """ "Marie-Ève d’Aubigné" (typographic apostrophe) is a name, stored as typed."""
    answers = record_captcha_answers(app)
    response = register(
        client, answers, civility="mme", given_name="Marie-Ève", family_name="d’Aubigné"
    )
    assert response.headers["Location"].endswith("/register/check-email")
    account = stored(app, "pierreivan@yopmail.com")
    assert (account.given_name, account.family_name) == ("Marie-Ève", "d’Aubigné")


def test_profile_refuses_markup_in_a_name(app, client):
    """The profile's name fields follow the same rule, and the former name stays."""
    account_id = make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    data = {"civility": "m", "given_name": "Ivan", "family_name": MARKUP, "birthdate": ""}
    response = post_form(client, "/account", data)
    assert MESSAGE in unescape(text(response))
    with app.app_context():
        assert db.session.get(Account, account_id).family_name == "Petrov"


def test_invitations_refuse_markup_in_a_name(app):
    """An invitation (page, API and command alike) is refused with the same message."""
    from idp.admin.invitations import InvitationError, create_invitation
    from idp.launcher.services import entries_for

    add_service(app, "Formadist", "https://formadist.example", "Formation à distance")
    with app.app_context():
        client_id = entries_for(None)[0].client_id
        with pytest.raises(InvitationError) as refused:
            create_invitation(email="a@example.org", client_id=client_id, given_name=MARKUP)
        assert str(refused.value.args[0]) == MESSAGE


def test_users_add_command_refuses_markup_in_a_name(app, cli):
    """`compte users add` follows the same rule and creates nothing."""
    result = cli(
        "users", "add", "--email", "x@example.org", "--password", "Pw-2026-long",
        "--given-name", MARKUP, "--family-name", "Pierre",
    )  # fmt: skip
    assert result.exit_code != 0
    assert "Utilisez seulement des lettres" in result.output
    assert stored(app, "x@example.org") is None
