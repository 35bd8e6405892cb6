"""« Rester connecté » on the login page: unticked, the cookie ends with the browser;
ticked, it is kept REMEMBER_SESSION_LIFETIME and the server-side session lasts exactly
that (no idle timeout), is listed with its end date, and ends like any other (logout,
password change). Carried through the second step; absent when the setting is 0."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from idp.accounts.models import BrowserSession
from idp.core.clock import utcnow
from idp.core.extensions import db
from tests.support.accounts import PASSWORD, events, login, make_account, text
from tests.support.factors import give_totp
from tests.support.forms import csrf_of

EMAIL = "ivan@example.org"
DAYS_30 = 30 * 86400


@pytest.fixture
def settings(settings):
    return {**settings, "RATELIMIT_ENABLED": False, "REMEMBER_SESSION_LIFETIME": DAYS_30}


def _cookie(app, client):
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"])


def _row(app) -> BrowserSession:
    with app.app_context():
        return db.session.scalars(sa.select(BrowserSession)).one()


def _age(app, **ago: timedelta) -> None:
    """Move the session's login (created_at) and last request (last_seen_at) back."""
    with app.app_context():
        now = utcnow()
        values = {column: now - delta for column, delta in ago.items()}
        db.session.execute(sa.update(BrowserSession).values(**values))
        db.session.commit()


def _expires_in(cookie) -> timedelta:
    expires = cookie.expires
    return expires.replace(tzinfo=None) - datetime.utcnow()  # noqa: DTZ003 (naive UTC)


def test_the_box_is_unticked_with_its_hint(app, client):
    """The login page offers « Rester connecté », unticked, with its warning."""
    html = text(client.get("/login"))
    assert '<label for="remember">Rester connecté</label>' in html
    box = html[html.index('id="remember"') - 80 : html.index('id="remember"') + 80]
    assert 'type="checkbox"' in box and "checked" not in box
    assert "Ne cochez pas sur un ordinateur partagé." in html and "30 jours" in html


def test_unticked_the_cookie_ends_with_the_browser(app, client):
    """Without the box: a browser-session cookie (no Expires), an ordinary session."""
    make_account(app, EMAIL)
    assert login(client, EMAIL, PASSWORD).status_code == 302
    assert _cookie(app, client).expires is None
    assert _row(app).remembered is False


def test_ticked_the_cookie_and_the_session_last_the_setting(app, client):
    """With the box: the cookie expires REMEMBER_SESSION_LIFETIME after the login; past the
    idle timeout and the ordinary lifetime the session holds, past the setting the server
    refuses it (ended as "expired") whatever the cookie."""
    make_account(app, EMAIL)
    assert login(client, EMAIL, PASSWORD, remember="y").status_code == 302
    left = _expires_in(_cookie(app, client))
    assert timedelta(days=30) - timedelta(minutes=2) < left <= timedelta(days=30)
    assert events(app, "login.succeeded")[-1].details.get("remembered") is True
    _age(app, created_at=timedelta(days=29), last_seen_at=timedelta(days=3))
    assert client.get("/account").status_code == 200
    _age(app, created_at=timedelta(days=30, minutes=1))
    refused = client.get("/account")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    assert _row(app).ended_reason == "expired"


def test_the_sessions_page_gives_its_end_date(app, client):
    """« Vos appareils et sessions » says until when a remembered session lasts."""
    make_account(app, EMAIL)
    login(client, EMAIL, PASSWORD, remember="y")
    row = _row(app)
    end = (row.created_at + timedelta(seconds=DAYS_30)).strftime("%Y-%m-%dT%H:%M")
    html = text(client.get("/account/sessions"))
    assert "Reste connecté jusqu&#39;au" in html or "Reste connecté jusqu'au" in html
    assert f'<time datetime="{end}' in html


def test_logout_ends_it_and_the_cookie_ends_with_the_browser_again(app, client):
    """Logout ends a remembered session for good; the cookie left behind is a browser
    session's."""
    make_account(app, EMAIL)
    login(client, EMAIL, PASSWORD, remember="y")
    page = text(client.get("/account"))
    done = client.post("/logout", data={"csrf_token": csrf_of(page)})
    assert "Vous êtes déconnecté" in text(done)
    assert _row(app).ended_reason == "logout"
    assert _cookie(app, client).expires is None


def test_a_password_change_elsewhere_ends_it(app):
    """A password changed in another browser ends the remembered one, as any session."""
    make_account(app, EMAIL)
    remembered, other = app.test_client(), app.test_client()
    login(remembered, EMAIL, PASSWORD, remember="y")
    login(other, EMAIL, PASSWORD)
    page = text(other.get("/account/password"))
    new = "Autre-Formation-2027!"
    changed = other.post(
        "/account/password",
        data={
            "csrf_token": csrf_of(page),
            "current_password": PASSWORD,
            "new_password": new,
            "confirm": new,
        },
    )
    assert changed.status_code == 302
    assert remembered.get("/account").status_code == 302


def test_the_choice_goes_through_the_second_step(app, client):
    """Ticked before the second factor, the session it opens is remembered."""
    authenticator = give_totp(app, make_account(app, EMAIL))
    first = login(client, EMAIL, PASSWORD, remember="y")
    assert first.headers["Location"] == "/login/verify"
    assert _cookie(app, client).expires is None  # not signed in yet
    page = text(client.get("/login/verify"))
    data = {"csrf_token": csrf_of(page), "method": "totp", "code": authenticator.now()}
    assert client.post("/login/verify?method=totp", data=data).status_code == 302
    assert _expires_in(_cookie(app, client)) > timedelta(days=29)
    assert _row(app).remembered is True


def test_off_when_the_setting_is_0(app, client):
    """REMEMBER_SESSION_LIFETIME = 0: no box, and a ticked box sent anyway is ignored."""
    app.config["REMEMBER_SESSION_LIFETIME"] = 0
    make_account(app, EMAIL)
    assert 'name="remember"' not in text(client.get("/login"))
    assert login(client, EMAIL, PASSWORD, remember="y").status_code == 302
    assert _cookie(app, client).expires is None
    assert _row(app).remembered is False
