"""Secondary e-mail: add (confirmed by its own link), replace, remove, and mail routing."""

from __future__ import annotations

from tests.support.accounts import (
    PASSWORD,
    account,
    events,
    login,
    make_account,
    post_form,
    text,
)
from tests.support.mail import links_in, mails_to, wait_for_mail

SECONDARY = "ivan.perso@example.net"


def _add(client, address: str, password: str = PASSWORD):
    return post_form(client, "/account/emails", {"email": address, "password": password})


def _confirm_path(smtp_sink, address: str, count: int = 1) -> str:
    mail = wait_for_mail(smtp_sink, address, count=count)
    assert mail.recipients == [address]  # the link goes to THAT address only
    link = next(u for u in links_in(mail) if "/account/emails/confirm/" in u)
    return "/account/emails/confirm/" + link.rsplit("/", 1)[1]


def _reset_recipients(client, smtp_sink, count: int) -> list[str]:
    post_form(client, "/password/forgot", {"email": "ivan@example.org"})
    return wait_for_mail(smtp_sink, "ivan@example.org", count=count).recipients


def test_add_then_confirm_routes_messages_to_it(app, client, smtp_sink):
    """A new secondary address gets a link; until it is followed, mails ignore it; after,
    password messages go to both addresses."""
    account_id = make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    response = _add(client, "Ivan.Perso@Example.net")
    assert response.status_code == 302
    assert "en attente de confirmation" in text(client.get("/account/emails"))
    path = _confirm_path(smtp_sink, SECONDARY)

    anonymous = app.test_client()
    assert _reset_recipients(anonymous, smtp_sink, 1) == ["ivan@example.org"]

    confirmed = anonymous.get(path)  # works without a session
    assert confirmed.status_code == 200 and SECONDARY in text(confirmed)
    assert account(app, account_id).confirmed_secondary_email == SECONDARY
    assert set(_reset_recipients(anonymous, smtp_sink, 2)) == {"ivan@example.org", SECONDARY}
    assert anonymous.get(path).status_code == 410  # single use
    assert [e.type for e in events(app, "email.secondary_confirmed")] == [
        "email.secondary_confirmed"
    ]
    assert len(events(app, "email.secondary_added")) == 1


def test_replacing_needs_a_new_confirmation_and_kills_the_old_link(app, client, smtp_sink):
    """Replacing the secondary address resets its confirmation; the first link is refused."""
    account_id = make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    _add(client, SECONDARY)
    first = _confirm_path(smtp_sink, SECONDARY)
    client.get(first)
    _add(client, "ivan.autre@example.net")
    row = account(app, account_id)
    assert row.secondary_email == "ivan.autre@example.net"
    assert row.confirmed_secondary_email is None
    _add(client, "ivan.troisieme@example.net")
    second = _confirm_path(smtp_sink, "ivan.autre@example.net")
    assert client.get(second).status_code == 410  # replaced meanwhile
    third = _confirm_path(smtp_sink, "ivan.troisieme@example.net")
    assert client.get(third).status_code == 200
    assert account(app, account_id).confirmed_secondary_email == "ivan.troisieme@example.net"


def test_remove_stops_the_routing(app, client, smtp_sink):
    """After removal, account messages go to the primary address only."""
    account_id = make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    _add(client, SECONDARY)
    client.get(_confirm_path(smtp_sink, SECONDARY))
    response = post_form(client, "/account/emails/remove", {}, page="/account/emails")
    assert response.status_code == 302
    assert account(app, account_id).secondary_email is None
    assert _reset_recipients(app.test_client(), smtp_sink, 1) == ["ivan@example.org"]
    assert len(events(app, "email.secondary_removed")) == 1
    assert len(mails_to(smtp_sink, SECONDARY)) == 1  # the confirmation only


def test_add_requires_the_password_and_another_address(app, client, smtp_sink):
    """A wrong password or the primary address itself are refused next to the field."""
    account_id = make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    wrong = _add(client, SECONDARY, password="Pas-le-bon-1")
    assert wrong.status_code == 200 and "Le mot de passe n&#39;est pas le bon." in text(wrong)
    assert f'value="{SECONDARY}"' in text(wrong)  # what was typed is kept
    same = _add(client, "IVAN@example.org")
    assert "différent du courriel principal" in text(same)
    invalid = _add(client, "pas-une-adresse")
    assert "pas valide" in text(invalid)
    assert account(app, account_id).secondary_email is None
    assert mails_to(smtp_sink, SECONDARY) == []


def test_emails_page_needs_a_session(app, client):
    """Without a session the e-mails page sends to the login, keeping where to come back."""
    response = client.get("/account/emails")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
