"""Hints of the authorization request: login_hint and id_token_hint."""

from __future__ import annotations

from idp.core.extensions import db
from tests.oidc.conftest import Browser, callback_params
from tests.oidc.helpers import (
    authorize_url,
    browser_tokens,
    pkce,
)


def test_login_hint_prefills_the_identifier(live_server, browser, rp):
    """login_hint is passed to the login page, which shows it in the identifier field."""
    url = authorize_url(live_server, rp, pkce()[1], login_hint="ivan.petit@example.fr")
    response = browser.http.get(url, allow_redirects=False)
    assert "identifier=ivan.petit@example.fr" in response.headers["Location"]
    page = browser.http.get(f"{live_server}{response.headers['Location']}")
    assert 'value="ivan.petit@example.fr"' in page.text


def test_id_token_hint_of_someone_else_asks_for_a_login(app, live_server, browser, person, rp):
    """An id_token_hint naming another person: prompt=none gets login_required, otherwise
    the login form is shown again (once)."""
    from idp.accounts.services import create_account

    with app.app_context():
        create_account(
            email="other@example.fr",
            password=person.password,
            given_name="Olga",
            family_name="Autre",
            confirmed=True,
        )
        db.session.commit()
    hint = browser_tokens(live_server, browser, person, rp)["id_token"]
    other = type(person)("other@example.fr", person.password, "", 0)
    fresh = Browser(live_server)
    browser_tokens(live_server, fresh, other, rp)
    silent = fresh.http.get(
        authorize_url(live_server, rp, pkce()[1], prompt="none", id_token_hint=hint),
        allow_redirects=False,
    )
    assert callback_params(silent)["error"] == "login_required"
    logins = fresh.logins
    again = fresh.authorize(authorize_url(live_server, rp, pkce()[1], id_token_hint=hint), other)
    assert "code" in callback_params(again) and fresh.logins == logins + 1
