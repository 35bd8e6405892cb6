"""Invitations through the admin pages and the public link: mail, pre-fill, login, expiry."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from idp.admin import invitations as service
from idp.admin.models import Invitation
from idp.audit.models import AuditEvent
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.launcher.services import set_entry
from tests.admin.conftest import PASSWORD, csrf_token
from tests.support.mail import links_in, mails_to, wait_for_mail

SERVICE_URL = "http://127.0.0.1:5001/"


@pytest.fixture
def settings(settings):
    # Flask-Mail suppresses sending when TESTING is on: these tests read the real sink.
    return {**settings, "MAIL_SUPPRESS_SEND": False}


@pytest.fixture
def formadist(app) -> str:
    """A target service: the launcher entry of the formadist client."""
    with app.app_context():
        set_entry(
            "formadist",
            name="Formadist",
            url=SERVICE_URL,
            description="Plateforme de formation à distance",
        )
        db.session.commit()
    return "formadist"


def _invite_by_page(admin_client, **fields):
    page = admin_client.get("/admin/invitations/new").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "email": "ivan.pierre@exemple.fr",
        "client_id": "formadist",
        "civility": "m",
        "given_name": "Ivan",
        "family_name": "Pierre",
        "expires_in_days": "30",
        **fields,
    }
    return admin_client.post("/admin/invitations/new", data=data)


def _token_of(mail) -> str:
    link = next(link for link in links_in(mail) if "/invitation/" in link)
    return link.rsplit("/invitation/", 1)[1]


def _invitation(app, email="ivan.pierre@exemple.fr") -> Invitation:
    with app.app_context():
        invitation = db.session.scalar(
            db.select(Invitation).where(Invitation.email == email).order_by(Invitation.id.desc())
        )
        db.session.expunge(invitation)
        return invitation


def test_invitation_pages_refuse_non_admins(client, user_client):
    """Anonymous people go to login; ordinary accounts get 403."""
    assert "/login" in client.get("/admin/invitations").headers["Location"]
    assert user_client.get("/admin/invitations").status_code == 403
    assert user_client.get("/admin/invitations/new").status_code == 403


def test_admin_invites_and_mail_names_the_service(app, admin_client, formadist, smtp_sink):
    """The admin page sends a mail naming the service, with a link to /invitation/<token>."""
    response = _invite_by_page(admin_client)
    assert response.status_code == 302
    mail = wait_for_mail(smtp_sink, "ivan.pierre@exemple.fr")
    assert "Formadist" in mail.subject
    assert "Bonjour Ivan" in mail.text
    assert "Formadist" in mail.text and "ivan.pierre@exemple.fr" in mail.text
    token = _token_of(mail)
    assert mail.html and token in mail.html
    invitation = _invitation(app)
    assert invitation.status() == "pending" and invitation.token_hash != token
    assert token not in json.dumps(service.as_dict(invitation))
    listing = admin_client.get("/admin/invitations").get_data(as_text=True)
    assert "ivan.pierre@exemple.fr" in listing and "en attente" in listing
    with app.app_context():
        event = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.type == "invitation.created")
        )
        assert event.actor_id is not None and event.client_id == "formadist"


def test_bad_input_gets_messages_and_keeps_values(admin_client, formadist):
    """A wrong e-mail, no service or a silly validity: messages by the fields, values kept."""
    response = _invite_by_page(
        admin_client, email="pas-une-adresse", client_id="", expires_in_days="0"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Adresse électronique invalide." in html
    assert "Choisissez le service." in html
    assert "La durée de validité va de 1 à 365 jours." in html
    assert 'value="Ivan"' in html and 'value="pas-une-adresse"' in html
    response = _invite_by_page(admin_client, client_id="inconnu")
    assert response.status_code == 200  # not a valid choice: refused by the form


def test_link_without_account_opens_prefilled_registration(app, client, formadist):
    """Without an account, the link opens registration pre-filled, e-mail locked."""
    with app.test_request_context():
        _, token = service.create_invitation(
            email="Ivan.Pierre@Exemple.fr", client_id="formadist", given_name="Ivan"
        )
        db.session.commit()
    response = client.get(f"/invitation/{token}")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/register"
    assert parse_qs(location.query)["invitation"] == [token]
    with app.app_context():
        data = service.prefill_from_request({"invitation": token})
    assert data["email"] == "ivan.pierre@exemple.fr" and data["email_locked"] is True
    assert data["given_name"] == "Ivan" and data["service_name"] == "Formadist"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ivan.pierre@exemple.fr" in html
    assert re.search(
        r"<input[^>]*readonly[^>]*ivan\.pierre@exemple\.fr|"
        r"<input[^>]*ivan\.pierre@exemple\.fr[^>]*readonly",
        html,
    )


def test_link_with_account_logs_in_then_lands_on_service(app, client, formadist, make_account):
    """With an account, login opens with the e-mail filled; afterwards, the service."""
    make_account("ivan.pierre@exemple.fr", given_name="Ivan")
    with app.test_request_context():
        _, token = service.create_invitation(email="ivan.pierre@exemple.fr", client_id="formadist")
        db.session.commit()
    response = client.get(f"/invitation/{token}")
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    query = parse_qs(location.query)
    assert query["identifier"] == ["ivan.pierre@exemple.fr"]
    next_url = query["next"][0]
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="ivan.pierre@exemple.fr"' in login_page
    response = client.post(
        response.headers["Location"],
        data={
            "identifier": "ivan.pierre@exemple.fr",
            "password": PASSWORD,
            "csrf_token": csrf_token(login_page),
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(next_url)
    response = client.get(next_url)
    assert response.status_code == 302 and response.headers["Location"] == SERVICE_URL
    invitation = _invitation(app)
    assert invitation.status() == "accepted" and invitation.account_id is not None


def test_link_opened_by_another_account_says_so(app, formadist, make_account, login):
    """Someone logged in with another account is told the invitation is not for them."""
    make_account("other@exemple.fr")
    browser = login(app.test_client(), "other@exemple.fr")
    with app.test_request_context():
        _, token = service.create_invitation(email="ivan@exemple.fr", client_id="formadist")
        db.session.commit()
    response = browser.get(f"/invitation/{token}", follow_redirects=True)
    assert response.status_code == 409
    assert "destinée à un autre compte" in response.get_data(as_text=True)
    assert _invitation(app, "ivan@exemple.fr").status() == "pending"


def test_expired_revoked_and_unknown_links_say_so(app, client, admin_client, formadist):
    """Expired, revoked and unknown links show a clear page with a way forward, never a 500."""
    with app.test_request_context():
        expired, expired_token = service.create_invitation(
            email="late@exemple.fr", client_id="formadist"
        )
        expired.expires_at = utcnow() - timedelta(minutes=1)
        revoked, revoked_token = service.create_invitation(
            email="nope@exemple.fr", client_id="formadist"
        )
        db.session.commit()
        revoked_id = revoked.id
    response = client.get(f"/invitation/{expired_token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 410 and "Cette invitation a expiré" in html
    assert SERVICE_URL in html and "Créer un compte" in html

    page = admin_client.get("/admin/invitations").get_data(as_text=True)
    response = admin_client.post(
        f"/admin/invitations/{revoked_id}/revoke", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302
    response = client.get(f"/invitation/{revoked_token}")
    assert response.status_code == 410
    assert "Cette invitation a été annulée" in response.get_data(as_text=True)
    with app.app_context():
        assert service.prefill_from_request({"invitation": revoked_token}) is None
        assert service.prefill_from_request({"invitation": expired_token}) is None

    response = client.get("/invitation/not-a-real-token")
    assert response.status_code == 404
    assert "n'est pas valable" in response.get_data(as_text=True)


def test_resend_sends_a_new_link_and_kills_the_old_one(app, admin_client, formadist, smtp_sink):
    """Re-sending mails a fresh link; the former link no longer works."""
    _invite_by_page(admin_client)
    first = _token_of(wait_for_mail(smtp_sink, "ivan.pierre@exemple.fr"))
    invitation_id = _invitation(app).id
    page = admin_client.get("/admin/invitations").get_data(as_text=True)
    response = admin_client.post(
        f"/admin/invitations/{invitation_id}/resend", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302
    second = _token_of(wait_for_mail(smtp_sink, "ivan.pierre@exemple.fr", count=2))
    assert second != first
    assert admin_client.get(f"/invitation/{first}").status_code == 404
    with app.app_context():
        assert service.find_by_token(second).id == invitation_id


def test_revoked_invitation_cannot_be_resent(app, admin_client, formadist, smtp_sink):
    """A revoked invitation is not re-sent; the admin is told why."""
    _invite_by_page(admin_client)
    wait_for_mail(smtp_sink, "ivan.pierre@exemple.fr")
    invitation_id = _invitation(app).id
    page = admin_client.get("/admin/invitations").get_data(as_text=True)
    admin_client.post(
        f"/admin/invitations/{invitation_id}/revoke", data={"csrf_token": csrf_token(page)}
    )
    page = admin_client.get("/admin/invitations").get_data(as_text=True)
    response = admin_client.post(
        f"/admin/invitations/{invitation_id}/resend",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert "ne peut être renvoyée" in response.get_data(as_text=True)
    assert len(mails_to(smtp_sink, "ivan.pierre@exemple.fr")) == 1


def test_landing_after_confirmation_is_the_service(app, formadist, make_account):
    """After confirmation the person lands on the invited service; the invitation is used."""
    with app.test_request_context():
        _, token = service.create_invitation(email="ivan@exemple.fr", client_id="formadist")
        db.session.commit()
    account_id = make_account("ivan@exemple.fr")
    other_id = make_account("else@exemple.fr")
    with app.app_context():
        from idp.accounts.models import Account

        other = db.session.get(Account, other_id)
        assert service.landing_url_after_confirmation(other, token) is None
        account = db.session.get(Account, account_id)
        assert service.landing_url_after_confirmation(account, token) == SERVICE_URL
        assert service.landing_url_after_confirmation(account, None) is None
    assert _invitation(app, "ivan@exemple.fr").status() == "accepted"


# --- CLI ------------------------------------------------------------------------------------


def test_cli_add_list_resend_revoke(app, cli, formadist, smtp_sink):
    """`compte invitations add|list|resend|revoke` work and mail the person."""
    result = cli(
        "invitations", "add", "--email", "ivan@exemple.fr", "--service", "formadist",
        "--given-name", "Ivan", "--expires-in", "7", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["status"] == "pending" and data["mail_sent"] is True
    mail = wait_for_mail(smtp_sink, "ivan@exemple.fr")
    link = next(link for link in links_in(mail) if "/invitation/" in link)
    assert link.startswith(app.config["ISSUER"] + "/invitation/")  # the public address
    with app.app_context():
        assert service.find_by_token(_token_of(mail)).id == data["id"]

    listing = json.loads(cli("invitations", "list", "--json").output)
    assert [row["email"] for row in listing] == ["ivan@exemple.fr"]
    assert "ivan@exemple.fr" in cli("invitations", "list").output

    result = cli("invitations", "resend", str(data["id"]))
    assert result.exit_code == 0, result.output
    wait_for_mail(smtp_sink, "ivan@exemple.fr", count=2)

    result = cli("invitations", "revoke", str(data["id"]), "--json")
    assert json.loads(result.output)["status"] == "revoked"
    assert json.loads(cli("invitations", "list", "--status", "pending", "--json").output) == []


def test_cli_refuses_bad_input(cli, formadist):
    """Unknown service, bad e-mail, unknown id: a clear error and a non-zero exit code."""
    from click.testing import CliRunner

    from idp.cli import main

    result = cli("invitations", "add", "--email", "ivan@exemple.fr", "--service", "nope")
    assert result.exit_code != 0 and "Ce service n'existe pas." in result.output
    result = cli("invitations", "add", "--email", "ivan", "--service", "formadist")
    assert result.exit_code != 0 and "Adresse électronique invalide." in result.output
    result = cli("invitations", "revoke", "12345")
    assert result.exit_code != 0 and "No invitation 12345" in result.output
    assert CliRunner().invoke(main, ["invitations", "add"]).exit_code == 2  # missing options


def test_logged_in_invitee_goes_straight_to_the_service(app, formadist, make_account, login):
    """Already logged in with the invited address: the link leads straight to the service."""
    make_account("ivan@exemple.fr")
    browser = login(app.test_client(), "ivan@exemple.fr")
    with app.test_request_context():
        _, token = service.create_invitation(email="ivan@exemple.fr", client_id="formadist")
        db.session.commit()
    response = browser.get(f"/invitation/{token}", follow_redirects=False)
    assert response.headers["Location"].endswith(f"/invitation/{token}/continue")
    response = browser.get(response.headers["Location"])
    assert response.status_code == 302 and response.headers["Location"] == SERVICE_URL
    assert _invitation(app, "ivan@exemple.fr").status() == "accepted"
    # The used link still leads there, and never to a 500.
    assert browser.get(f"/invitation/{token}").headers["Location"] == SERVICE_URL


def test_resending_an_expired_invitation_renews_it(app, cli, formadist, smtp_sink):
    """An expired invitation re-sent gets a new expiry and a working link."""
    with app.test_request_context():
        invitation, _ = service.create_invitation(email="late@exemple.fr", client_id="formadist")
        invitation.expires_at = utcnow() - timedelta(days=1)
        db.session.commit()
        invitation_id = invitation.id
    result = cli("invitations", "resend", str(invitation_id), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "pending"
    token = _token_of(wait_for_mail(smtp_sink, "late@exemple.fr"))
    with app.app_context():
        assert service.prefill_from_request({"invitation": token})["email"] == "late@exemple.fr"
