"""Password change (history, policy, other sessions ended, mails) and reset by link."""

from __future__ import annotations

import time
from urllib.parse import unquote

from idp.accounts.models import Account
from idp.core.clock import utcnow
from idp.core.extensions import db
from tests.support.accounts import (
    NEW_PASSWORD,
    PASSWORD,
    account,
    events,
    login,
    make_account,
    post_form,
    text,
)
from tests.support.mail import links_in, mails_to, wait_for_mail, wait_for_subject


def _confirm_secondary(app, account_id: int, address: str = "ivan.perso@example.net") -> None:
    with app.app_context():
        row = db.session.get(Account, account_id)
        row.secondary_email, row.secondary_email_confirmed_at = address, utcnow()
        db.session.commit()


def _change(client, current: str, new: str, confirm: str | None = None):
    return post_form(
        client,
        "/account/password",
        {"current_password": current, "new_password": new, "confirm": confirm or new},
    )


def test_change_accepts_a_new_password_and_ends_other_sessions(app, client, smtp_sink):
    """A new password is accepted; another browser's session ends, this one goes on; the
    notice goes to both addresses."""
    account_id = make_account(app)
    _confirm_secondary(app, account_id)
    other = app.test_client()
    login(client, "ivan@example.org", PASSWORD)
    login(other, "ivan@example.org", PASSWORD)
    assert other.get("/account").status_code == 200

    response = _change(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    assert other.get("/account").status_code == 302  # the other session is over
    # (the other browser's sign-in was mailed too: a new device)
    notice = wait_for_subject(smtp_sink, "ivan@example.org", "changé")
    assert "ivan.perso@example.net" in notice.recipients
    assert [e.account_id for e in events(app, "password.changed")] == [account_id]
    fresh = app.test_client()
    assert login(fresh, "ivan@example.org", NEW_PASSWORD).status_code == 302


def test_change_refuses_every_former_password(app, client):
    """A password the account ever had is refused with a clear message, not only the last."""
    make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    assert _change(client, PASSWORD, NEW_PASSWORD).status_code == 302
    assert _change(client, NEW_PASSWORD, "Troisieme-3").status_code == 302
    refused = _change(client, "Troisieme-3", PASSWORD)
    assert refused.status_code == 200
    assert "déjà utilisé ce mot de passe" in text(refused)
    assert PASSWORD not in text(refused)


def test_change_asks_the_right_current_password_and_the_policy(app, client):
    """A wrong current password, a weak one or a mismatched confirmation are refused with a
    message next to the field; the password stays unchanged."""
    account_id = make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    before = account(app, account_id).password_hash
    wrong = text(_change(client, "Pas-le-bon-1", NEW_PASSWORD))
    assert "Le mot de passe actuel n&#39;est pas le bon." in wrong
    weak = text(_change(client, PASSWORD, "ivanpetrov"))
    assert "Au moins une lettre majuscule" in weak and 'id="new_password-error"' in weak
    assert '<li data-rule="upper" class="ko">' in weak  # the checklist marks what failed
    assert '<li data-rule="min_length" data-param="8" class="ok">' in weak
    mismatch = text(_change(client, PASSWORD, NEW_PASSWORD, confirm="Autre-chose-9"))
    assert "ne sont pas identiques" in mismatch
    assert account(app, account_id).password_hash == before


def test_change_page_shows_the_policy_checklist(app, client):
    """The rules of the policy are listed on the page (works without JavaScript)."""
    make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    html = text(client.get("/account/password"))
    assert 'class="checklist policy-checklist"' in html and "Au moins 8 caractères" in html
    assert 'autocomplete="new-password"' in html


def _request_reset(client, email: str):
    return post_form(client, "/password/forgot", {"email": email})


def test_forgot_password_answers_the_same_for_unknown_addresses(app, client, smtp_sink):
    """The same page whether the address has an account or not; only the owner gets mail."""
    make_account(app)
    known = text(_request_reset(client, "ivan@example.org"))
    unknown = text(_request_reset(client, "nobody@example.org"))
    assert "Si un compte existe" in known
    assert known.replace("ivan@", "X@") == unknown.replace("nobody@", "X@")
    wait_for_mail(smtp_sink, "ivan@example.org")
    assert mails_to(smtp_sink, "nobody@example.org") == []


def test_an_account_on_a_special_use_domain_can_ask_a_link(app, client, smtp_sink):
    """The demo's demo@compte.localhost (a domain email_validator refuses for a new address)
    can sign in, so it can ask a reset link too; a string without @ is still refused."""
    make_account(app, email="demo@compte.localhost")
    assert "Si un compte existe" in text(_request_reset(client, "demo@compte.localhost"))
    assert "/password/reset/" in wait_for_mail(smtp_sink, "demo@compte.localhost").text
    refused = text(_request_reset(client, "pas-une-adresse"))
    assert "Cette adresse électronique n'est pas valide." in refused


def test_an_office_behind_one_address_asks_many_reset_links(app, smtp_sink):
    """Twelve people behind one proxy each ask a link (more than the former 10 per hour per
    address); typos are not counted; one mailbox asked too often pauses that address only,
    with the address kept, the wait said and Retry-After — the same page for any address."""
    app.config.update(STEADY_ANSWERS=False, RESET_EMAIL_RATE_LIMIT="2 per hour")
    make_account(app)
    for n in range(12):
        assert "Si un compte existe" in text(_request_reset(app.test_client(), f"a{n}@x.org"))
    client = app.test_client()
    typo = _request_reset(client, "pas-une-adresse")
    assert typo.status_code == 200 and "Si un compte existe" not in text(typo)  # not counted
    for address in ("ivan@example.org", "nobody@example.org"):
        for _ in range(2):
            assert "Si un compte existe" in text(_request_reset(client, address))
        paused = _request_reset(app.test_client(), address)
        page = text(paused)
        assert paused.status_code == 429 and 3500 <= int(paused.headers["Retry-After"]) <= 3601
        assert f'value="{address}"' in page and "Réessayez dans 60 minutes." in page
    assert "Si un compte existe" in text(_request_reset(client, "other@example.org"))


def test_reset_link_goes_to_both_addresses_and_works_once(app, client, smtp_sink):
    """The reset link reaches the primary and the confirmed secondary address; it sets a
    new password once, ends every session and opens the login with the e-mail filled in."""
    account_id = make_account(app)
    _confirm_secondary(app, account_id)
    logged_in = app.test_client()
    login(logged_in, "ivan@example.org", PASSWORD)

    _request_reset(client, "IVAN@example.org")
    mail = wait_for_mail(smtp_sink, "ivan.perso@example.net")
    assert "ivan@example.org" in mail.recipients
    link = next(u for u in links_in(mail) if "/password/reset/" in u)
    path = "/password/reset/" + link.rsplit("/", 1)[1]
    assert "Bonjour Ivan" in mail.text

    response = post_form(client, path, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert unquote(response.headers["Location"]) == "/login?identifier=ivan@example.org"
    assert logged_in.get("/account").status_code == 302  # every session ended
    assert [e.account_id for e in events(app, "password.reset")] == [account_id]
    assert login(app.test_client(), "ivan@example.org", NEW_PASSWORD).status_code == 302

    again = client.get(path)
    assert again.status_code == 410 and "Ce lien a déjà servi" in text(again)
    assert 'href="/password/forgot"' in text(again)


def test_reset_applies_the_history_and_the_policy(app, client, smtp_sink):
    """The reset form refuses the current (or any former) password and weak ones."""
    make_account(app)
    _request_reset(client, "ivan@example.org")
    link = next(u for u in links_in(wait_for_mail(smtp_sink, "ivan@example.org")) if "/reset/" in u)
    path = "/password/reset/" + link.rsplit("/", 1)[1]
    reused = post_form(client, path, {"new_password": PASSWORD, "confirm": PASSWORD})
    assert reused.status_code == 200 and "déjà utilisé ce mot de passe" in text(reused)
    weak = post_form(client, path, {"new_password": "court", "confirm": "court"})
    assert "Au moins 8 caractères" in text(weak)
    assert client.get(path).status_code == 200  # the link still works after refusals


def test_reset_link_expires(app, client, smtp_sink):
    """An expired reset link shows a clear page with a way to get a new one."""
    app.config["RESET_MAX_AGE"] = 1
    make_account(app)
    _request_reset(client, "ivan@example.org")
    link = next(u for u in links_in(wait_for_mail(smtp_sink, "ivan@example.org")) if "/reset/" in u)
    time.sleep(2.1)
    response = client.get("/password/reset/" + link.rsplit("/", 1)[1])
    assert response.status_code == 410
    assert "Ce lien a expiré" in text(response) and "Recevoir un nouveau lien" in text(response)


def test_forged_reset_link_is_refused(app, client):
    """A link not signed by Compte is refused without error."""
    response = client.get("/password/reset/not-a-token")
    assert response.status_code == 400 and "pas valide" in text(response)


def test_reset_link_dies_when_the_password_changes(app, client, smtp_sink):
    """A reset link sent before a password change no longer works afterwards."""
    make_account(app)
    _request_reset(client, "ivan@example.org")
    link = next(u for u in links_in(wait_for_mail(smtp_sink, "ivan@example.org")) if "/reset/" in u)
    login(client, "ivan@example.org", PASSWORD)
    _change(client, PASSWORD, NEW_PASSWORD)
    assert client.get("/password/reset/" + link.rsplit("/", 1)[1]).status_code == 410
