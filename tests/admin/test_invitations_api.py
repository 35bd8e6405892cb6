"""The invitations API over real HTTP with client_credentials tokens (scope `invitations`)."""

from __future__ import annotations

import pytest
import requests

from idp.admin.models import Invitation
from idp.core.extensions import db
from idp.launcher.services import set_entry
from idp.oidc.clients import create_client
from tests.support.mail import links_in, wait_for_mail


@pytest.fixture
def settings(settings):
    # Flask-Mail suppresses sending when TESTING is on: these tests read the real sink.
    return {**settings, "MAIL_SUPPRESS_SEND": False}


@pytest.fixture
def services(app) -> dict[str, tuple[str, str]]:
    """Two service clients allowed client_credentials, one with the `invitations` scope."""
    made = {}
    with app.app_context():
        for client_id, scopes in (("formadist", "invitations"), ("cpf", "launcher")):
            client, secret = create_client(
                client_id.title(),
                client_id=client_id,
                grant_types=["client_credentials"],
                scopes=scopes,
            )
            set_entry(client_id, name=client_id.title(), url=f"http://127.0.0.1:5001/{client_id}")
            made[client_id] = (client.client_id, secret)
        db.session.commit()
    return made


def _token(base: str, credentials: tuple[str, str], scope: str) -> str:
    response = requests.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=credentials,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_service_invites_to_itself(app, live_server, services, smtp_sink):
    """A service's client_credentials token creates an invitation to itself; the mail goes."""
    token = _token(live_server, services["formadist"], "invitations")
    response = requests.post(
        f"{live_server}/api/invitations",
        json={"email": "Ivan@Exemple.fr", "given_name": "Ivan", "family_name": "Pierre"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["email"] == "ivan@exemple.fr" and data["client_id"] == "formadist"
    assert data["status"] == "pending" and data["origin"] == "api:formadist"
    assert "token" not in data and data["mail_sent"] is True
    mail = wait_for_mail(smtp_sink, "ivan@exemple.fr")
    assert "Formadist" in mail.text
    assert any("/invitation/" in link for link in links_in(mail))

    auth = {"Authorization": f"Bearer {token}"}
    shown = requests.get(f"{live_server}{response.headers['Location']}", headers=auth, timeout=10)
    assert shown.json()["id"] == data["id"]
    listing = requests.get(f"{live_server}/api/invitations", headers=auth, timeout=10).json()
    assert [row["id"] for row in listing["invitations"]] == [data["id"]]
    revoked = requests.delete(
        f"{live_server}/api/invitations/{data['id']}", headers=auth, timeout=10
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_service_cannot_invite_elsewhere(app, live_server, services):
    """A service may not invite people to another service."""
    token = _token(live_server, services["formadist"], "invitations")
    response = requests.post(
        f"{live_server}/api/invitations",
        json={"email": "ivan@exemple.fr", "client_id": "cpf"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0


def test_api_refuses_missing_token_wrong_scope_and_bad_input(app, live_server, services):
    """No token → 401; a token without `invitations` → 403; bad input → 400 with a message."""
    url = f"{live_server}/api/invitations"
    assert requests.post(url, json={"email": "a@b.fr"}, timeout=10).status_code == 401
    other = _token(live_server, services["cpf"], "launcher")
    response = requests.post(
        url, json={"email": "a@b.fr"}, headers={"Authorization": f"Bearer {other}"}, timeout=10
    )
    assert response.status_code == 403
    token = _token(live_server, services["formadist"], "invitations")
    auth = {"Authorization": f"Bearer {token}"}
    response = requests.post(url, json={"email": "pas-une-adresse"}, headers=auth, timeout=10)
    assert response.status_code == 400
    assert response.json()["field"] == "email"
    assert "invalide" in response.json()["error_description"]
    response = requests.post(url, json={"email": ["a@b.fr"]}, headers=auth, timeout=10)
    assert response.status_code == 400 and response.json()["field"] == "email"
    response = requests.post(url, data="not json", headers=auth, timeout=10)
    assert response.status_code == 400
    response = requests.post(
        url, json={"email": "a@b.fr", "expires_in_days": 1000}, headers=auth, timeout=10
    )
    assert response.status_code == 400
    assert requests.get(f"{url}/999", headers=auth, timeout=10).status_code == 404


def _person_token(app, client_id: str, account_id: int, value: str) -> str:
    """An access token of a person (as the code flow stores it), scope `invitations`."""
    import time

    from idp.core.digest import secret_digest
    from idp.oidc.models import Token

    with app.app_context():
        db.session.add(
            Token(
                client_id=client_id,
                account_id=account_id,
                access_token_hash=secret_digest(value),
                family_id=value[:36],
                scope="openid invitations",
                issued_at=int(time.time()),
                expires_in=600,
            )
        )
        db.session.commit()
    return value


def test_an_admin_token_may_invite_to_any_service(app, live_server, services, make_account):
    """A token held by an admin invites to another service; a non-admin's token may not."""
    admin = _person_token(app, "formadist", make_account("boss@exemple.fr", admin=True), "a" * 43)
    agent = _person_token(app, "formadist", make_account("agent@exemple.fr"), "b" * 43)
    url = f"{live_server}/api/invitations"
    body = {"email": "ivan@exemple.fr", "client_id": "cpf"}
    refused = requests.post(
        url, json=body, headers={"Authorization": f"Bearer {agent}"}, timeout=10
    )
    assert refused.status_code == 403
    created = requests.post(
        url, json=body, headers={"Authorization": f"Bearer {admin}"}, timeout=10
    )
    assert created.status_code == 201, created.text
    assert created.json()["client_id"] == "cpf"
    with app.app_context():
        invitation = db.session.get(Invitation, created.json()["id"])
        assert invitation.created_by is not None
