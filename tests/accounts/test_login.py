"""Login by e-mail over the real app and database: landing, messages, redirects, audit."""

from __future__ import annotations

import re

from idp.accounts.models import Account
from idp.accounts.passwords import hash_rounds
from idp.core.clock import utcnow
from idp.core.extensions import db
from tests.support.accounts import (
    PASSWORD,
    account,
    csrf_of,
    events,
    login,
    make_account,
    text,
)


def test_login_by_email_lands_on_my_services(app, client):
    """The right e-mail and password open a fresh session and land on "Mes services"."""
    account_id = make_account(app)
    response = login(client, "  Ivan@Example.org ", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert session["amr"] == ["pwd"]
        assert isinstance(session["auth_time"], int)
        assert session["_fresh"] is True
    page = client.get("/")
    assert page.status_code == 200 and "Mes services" in text(page)
    assert [e.account_id for e in events(app, "login.succeeded")] == [account_id]
    assert account(app, account_id).last_login_at is not None


def test_login_page_has_big_create_button_forgot_link_and_support(app, client):
    """The login page shows an obvious "Créer un compte" button, the forgotten-password link
    and the support contact (seed 004 complains of a hidden link)."""
    html = text(client.get("/login"))
    assert re.search(r'<a class="button big" href="/register">\s*Créer un compte', html)
    assert 'href="/password/forgot"' in html and "Mot de passe oublié ?" in html
    assert "0 800 100 310" in html
    assert 'autocomplete="current-password"' in html and 'autocomplete="username webauthn"' in html
    assert "<label" in html and 'for="identifier"' in html


def _normalised(html: str) -> str:
    return re.sub(r'value="[^"]*"', 'value=""', html)


def test_unknown_account_and_wrong_password_get_the_same_answer(app, client):
    """An unknown e-mail and a wrong password give the same page and status."""
    make_account(app)
    wrong = login(client, "ivan@example.org", "Pas-le-bon-1")
    unknown = login(client, "nobody@example.org", "Pas-le-bon-1")
    assert wrong.status_code == unknown.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in text(wrong)
    assert _normalised(text(wrong)).replace("ivan@", "X@") == _normalised(text(unknown)).replace(
        "nobody@", "X@"
    )
    assert len(events(app, "login.failed")) == 2


def test_typed_identifier_is_kept_but_not_the_password(app, client):
    """After a failure the identifier stays in the field; the password is never sent back."""
    make_account(app)
    html = text(login(client, "ivan@example.org", "Pas-le-bon-1"))
    assert 'value="ivan@example.org"' in html
    assert "Pas-le-bon-1" not in html


def test_pending_account_is_refused_and_the_link_sent_again(app, client, smtp_sink):
    """An unconfirmed account with the right password is refused with a clear message and
    the confirmation link is mailed again; with a wrong password the answer is generic."""
    from tests.support.mail import wait_for_mail

    make_account(app, confirmed=False)
    generic = login(client, "ivan@example.org", "Pas-le-bon-1")
    assert "Identifiant ou mot de passe incorrect." in text(generic)
    response = login(client, "ivan@example.org", PASSWORD)
    assert response.status_code == 200
    assert "pas encore confirmée" in text(response)
    assert wait_for_mail(smtp_sink, "ivan@example.org")
    assert client.get("/").status_code == 302  # no session


def test_locked_account_is_refused_with_the_support_contact(app, client):
    """A locked account is refused with the support phone number (after the password
    matched only: a wrong password gets the generic answer)."""
    account_id = make_account(app)
    with app.app_context():
        db.session.get(Account, account_id).locked_at = utcnow()
        db.session.commit()
    assert "Identifiant ou mot de passe incorrect." in text(
        login(client, "ivan@example.org", "Pas-le-bon-1")
    )
    html = text(login(client, "ivan@example.org", PASSWORD))
    assert "Votre compte est bloqué." in html and "0 800 100 310" in html
    assert client.get("/").status_code == 302
    assert [e.account_id for e in events(app, "login.locked")] == [account_id]


def test_safe_next_is_followed_and_open_redirect_refused(app, client):
    """A relative `next` is followed; an absolute URL of an unknown origin is not."""
    make_account(app)
    response = login(client, "ivan@example.org", PASSWORD, url="/login?next=/account")
    assert response.headers["Location"] == "/account"
    client.post("/logout", data={"csrf_token": csrf_of(text(client.get("/account")))})
    for evil in ("https://evil.example", "//evil.example/x", "/\\evil.example"):
        response = login(client, "ivan@example.org", PASSWORD, url=f"/login?next={evil}")
        assert response.headers["Location"] == "/", evil
        client.post("/logout", data={"csrf_token": csrf_of(text(client.get("/account")))})


def test_next_on_a_launcher_entry_origin_is_followed(app, client):
    """An absolute `next` on the origin of a registered launcher entry is followed."""
    from idp.launcher.services import set_entry
    from idp.oidc.clients import create_client

    make_account(app)
    with app.app_context():
        client_row, _ = create_client("Formadist", ["http://127.0.0.1:5001/callback"])
        set_entry(client_row.client_id, name="Formadist", url="http://127.0.0.1:5001/")
        db.session.commit()
    target = "http://127.0.0.1:5001/courses/42"
    response = login(client, "ivan@example.org", PASSWORD, url=f"/login?next={target}")
    assert response.headers["Location"] == target


def test_logged_in_person_skips_the_form_unless_reauth(app, client):
    """GET /login with a session goes straight on; reauth=1 shows the form again."""
    make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    response = client.get("/login?next=/account")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    reauth = client.get("/login?reauth=1&next=/account")
    assert reauth.status_code == 200 and 'value="ivan@example.org"' in text(reauth)
    again = login(client, "ivan@example.org", PASSWORD, url="/login?reauth=1&next=/account")
    assert again.headers["Location"] == "/account"


def test_identifier_parameter_prefills_the_field(app, client):
    """/login?identifier=… opens with the e-mail filled in (after a confirmation)."""
    assert 'value="ivan@example.org"' in text(client.get("/login?identifier=ivan@example.org"))


def test_password_is_rehashed_when_the_cost_changes(app, client):
    """A hash made with another bcrypt cost is replaced at the next login."""
    account_id = make_account(app)
    assert hash_rounds(account(app, account_id).password_hash) == 4
    app.config["BCRYPT_ROUNDS"] = 5
    assert login(client, "ivan@example.org", PASSWORD).status_code == 302
    assert hash_rounds(account(app, account_id).password_hash) == 5
    client.post("/logout", data={"csrf_token": csrf_of(text(client.get("/account")))})
    assert login(client, "ivan@example.org", PASSWORD).status_code == 302


def test_logout_ends_the_session(app, client):
    """POST /logout (with CSRF) ends the session; without the token it is refused."""
    make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_of(text(client.get("/account")))})
    assert client.get("/account").status_code == 302
