"""What the login page's captcha says: it talks about signing in, and wrong characters are
called wrong, even during the pause after a failure."""

from __future__ import annotations

from tests.support.accounts import PASSWORD, csrf_of, login, make_account, text
from tests.support.captcha import captcha_answers, captcha_fields  # noqa: F401  (fixture)

REGISTRATION_HELP = "empêche les inscriptions automatisées"


def _at_captcha_stage(app, client) -> str:
    """Three failures on the account: returns the page that now shows the captcha."""
    make_account(app)
    for _ in range(3):
        page = text(login(client, "ivan@example.org", "Mauvais-1"))
    assert 'name="captcha_id"' in page
    return page


def test_login_captcha_talks_about_signing_in(app, client):
    """The captcha of the login page explains it protects sign-in, not registration; the
    registration page keeps its own explanation."""
    page = _at_captcha_stage(app, client)
    assert "protège les comptes contre les connexions automatisées" in page
    assert REGISTRATION_HELP not in page
    assert REGISTRATION_HELP in text(app.test_client().get("/register"))


def test_wrong_characters_during_the_pause_are_called_wrong(app, client, captcha_answers):  # noqa: F811
    """A wrong captcha sent during the pause after a failure says the characters were
    wrong, and also, truthfully, how long to wait (429 with Retry-After)."""
    app.config["LOGIN_FAILURE_DELAY"] = 60  # the pause surely still runs at the next post
    page = _at_captcha_stage(app, client)
    data = {"identifier": "ivan@example.org", "password": "Mauvais-1", "csrf_token": csrf_of(page)}
    failed = client.post("/login", data={**data, **captcha_fields(captcha_answers, page)})
    assert "Identifiant ou mot de passe incorrect." in text(failed)

    page = text(failed)
    wrong = client.post(
        "/login",
        data={**data, "password": PASSWORD, **captcha_fields(captcha_answers, page, wrong=True)},
    )
    shown = text(wrong)
    assert "Les caractères saisis ne correspondent pas." in shown
    assert "avant de réessayer" in shown
    assert wrong.status_code == 429 and 0 < int(wrong.headers["Retry-After"]) <= 60
    assert client.get("/").status_code == 302  # not signed in
