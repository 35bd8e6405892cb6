"""Client applications through the admin pages (HTTP, CSRF, real database, audit)."""

from __future__ import annotations

import re

import pytest

from idp.audit.models import AuditEvent
from idp.core.digest import secret_digest
from idp.core.extensions import db
from idp.launcher.models import LauncherEntry
from idp.oidc.clients import create_client, get_client
from tests.admin.conftest import csrf_token

FORM = {
    "name": "Formadist",
    "redirect_uris": "https://formadist.example/callback\nhttp://localhost:5001/callback",
    "post_logout_redirect_uris": "https://formadist.example/",
    "backchannel_logout_uri": "https://formadist.example/logout/backchannel",
    "frontchannel_logout_uri": "",
    "auth_method": "client_secret_basic",
    "jwks": "",
    "jwks_uri": "",
    "scopes": ["openid", "profile", "email", "launcher"],
    "grant_types": ["authorization_code", "refresh_token"],
    "id_token_alg": "ES256",
    "access_token_format": "jwt",
    "pairwise": "y",
    "launcher_name": "Formadist",
    "launcher_description": "Vos formations en ligne",
    "launcher_icon_url": "/static/launcher/formadist.svg",
    "launcher_url": "https://formadist.example/",
    "launcher_position": "10",
    "launcher_visible": "y",
}


def post_form(client, url: str, data: dict, page_url: str | None = None):
    page = client.get(page_url or url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})


def events(app, event_type: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.type == event_type)))


def make_client(app, name: str = "Ecommunautes", **kwargs) -> str:
    with app.app_context():
        client, _ = create_client(
            name=name, redirect_uris=["https://ecommunautes.example/cb"], **kwargs
        )
        db.session.commit()
        return client.client_id


def test_anonymous_is_sent_to_login(client):
    """Every admin page redirects an anonymous visitor to the login page, with `next`."""
    for url in ("/admin/", "/admin/clients", "/admin/clients/new"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
        assert "next=" in response.headers["Location"]


def test_non_admin_gets_403(app, user_client):
    """A logged-in account without the admin role is refused (403) on pages and actions."""
    client_id = make_client(app)
    assert user_client.get("/admin/").status_code == 403
    assert user_client.get("/admin/clients").status_code == 403
    assert user_client.get(f"/admin/clients/{client_id}").status_code == 403
    # A POST with a valid CSRF token (from the page the account can see) is still refused.
    token = csrf_token(user_client.get("/").get_data(as_text=True))
    response = user_client.post(f"/admin/clients/{client_id}/disable", data={"csrf_token": token})
    assert response.status_code == 403
    assert "Accès refusé" in response.get_data(as_text=True)
    with app.app_context():
        assert get_client(client_id).disabled is False


def test_admin_home_has_the_menu(admin_client):
    """The admin home lists the sections; the sub-menu links to Applications."""
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert "Administration" in html
    assert 'href="/admin/clients"' in html


def test_create_client_shows_secret_once_and_keeps_only_its_hash(app, admin_client):
    """Creating a client shows its secret on one page; the database holds only its SHA-256,
    the launcher entry is set and the action is audited."""
    response = post_form(admin_client, "/admin/clients/new", FORM)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "ne sera plus jamais affiché" in html
    secret = re.search(r'id="secret"[^>]*value="([^"]+)"', html).group(1)
    client_id = re.search(r"<code>([^<]+)</code>", html).group(1)
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        client = get_client(client_id)
        assert client.name == "Formadist"
        assert client.client_secret_hash == secret_digest(secret)
        assert secret not in repr(client.__dict__)
        assert client.redirect_uris == [
            "https://formadist.example/callback",
            "http://localhost:5001/callback",
        ]
        assert client.scope.split() == ["openid", "profile", "email", "launcher"]
        assert (client.id_token_signed_response_alg, client.subject_type) == ("ES256", "pairwise")
        assert client.access_token_format == "jwt"
        assert client.backchannel_logout_uri == "https://formadist.example/logout/backchannel"
        entry = db.session.scalar(db.select(LauncherEntry).filter_by(client_id=client_id))
        assert (entry.name, entry.url, entry.position, entry.visible) == (
            "Formadist",
            "https://formadist.example/",
            10,
            True,
        )
    # The edit page never shows the secret again.
    edit = admin_client.get(f"/admin/clients/{client_id}").get_data(as_text=True)
    assert secret not in edit
    assert "empreinte" in edit
    listing = admin_client.get("/admin/clients").get_data(as_text=True)
    assert "Formadist" in listing and client_id in listing and secret not in listing
    created = events(app, "admin.client.created")
    assert len(created) == 1 and created[0].client_id == client_id
    assert created[0].actor_id is not None
    assert secret not in str(created[0].details)


@pytest.mark.parametrize(
    ("change", "field_id", "message"),
    [
        ({"redirect_uris": "https://app.example/cb#frag"}, "redirect_uris", "fragment"),
        ({"redirect_uris": "http://app.example/cb"}, "redirect_uris", "https://"),
        ({"redirect_uris": ""}, "redirect_uris", "adresse de retour"),
        ({"auth_method": "private_key_jwt"}, "auth_method", "clés publiques"),
        ({"jwks": "{not json"}, "jwks", "JSON"),
        ({"backchannel_logout_uri": "http://rp.example/bc"}, "backchannel_logout_uri", "https"),
        ({"launcher_url": ""}, "launcher_url", "adresse"),
        ({"name": ""}, "name", ""),
    ],
)
def test_bad_input_gets_a_message_next_to_the_field(app, admin_client, change, field_id, message):
    """Bad input re-renders the form with the message tied to its field; nothing is saved
    and what was typed is kept."""
    response = post_form(admin_client, "/admin/clients/new", {**FORM, **change})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html, re.S)
    assert error, html[:3000]
    assert message in error.group(1)
    assert 'aria-describedby="' in html and f"{field_id}-error" in html
    assert "Le formulaire contient des erreurs" in html
    assert "Vos formations en ligne" in html  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LauncherEntry)) == 0


def test_duplicate_name_is_refused(app, admin_client):
    """A second client with the same name (case ignored) is refused with a clear message."""
    make_client(app, name="Formadist")
    response = post_form(admin_client, "/admin/clients/new", {**FORM, "name": "formadist"})
    html = response.get_data(as_text=True)
    assert "porte déjà ce nom" in html
    assert 'id="name-error"' in html


def test_edit_client_and_launcher_entry(app, admin_client):
    """Editing changes the settings and the launcher entry; audited as updated."""
    client_id = make_client(app)
    url = f"/admin/clients/{client_id}"
    page = admin_client.get(url).get_data(as_text=True)
    assert "https://ecommunautes.example/cb" in page
    data = {
        **FORM,
        "name": "E-communautés",
        "redirect_uris": "https://ecommunautes.example/cb2",
        "launcher_name": "E-communautés",
        "launcher_url": "https://ecommunautes.example/",
        "launcher_visible": "",
    }
    data.pop("launcher_visible")
    response = post_form(admin_client, url, data)
    assert response.status_code == 302
    with app.app_context():
        client = get_client(client_id)
        assert client.name == "E-communautés"
        assert client.redirect_uris == ["https://ecommunautes.example/cb2"]
        entry = db.session.scalar(db.select(LauncherEntry).filter_by(client_id=client_id))
        assert entry.visible is False
    assert len(events(app, "admin.client.updated")) == 1


def test_switch_to_secret_method_shows_a_new_secret(app, admin_client):
    """A public client switched to client_secret_post gets a secret, shown once."""
    client_id = make_client(app, auth_method="none")
    response = post_form(
        admin_client,
        f"/admin/clients/{client_id}",
        {**FORM, "name": "Public", "auth_method": "client_secret_post", "launcher_name": ""},
    )
    html = response.get_data(as_text=True)
    secret = re.search(r'id="secret"[^>]*value="([^"]+)"', html).group(1)
    with app.app_context():
        assert get_client(client_id).client_secret_hash == secret_digest(secret)


def test_disable_enable_rotate_and_delete(app, admin_client):
    """Disable, enable, rotate the secret (new one shown once, old hash gone) and delete
    after a confirmation page; each action is audited with the admin as actor."""
    client_id = make_client(app)
    edit_url = f"/admin/clients/{client_id}"
    with app.app_context():
        old_hash = get_client(client_id).client_secret_hash

    assert post_form(admin_client, f"{edit_url}/disable", {}, edit_url).status_code == 302
    with app.app_context():
        assert get_client(client_id).disabled is True
    assert "désactivée" in admin_client.get("/admin/clients").get_data(as_text=True)

    assert post_form(admin_client, f"{edit_url}/enable", {}, edit_url).status_code == 302
    with app.app_context():
        assert get_client(client_id).disabled is False

    response = post_form(admin_client, f"{edit_url}/rotate-secret", {}, edit_url)
    html = response.get_data(as_text=True)
    secret = re.search(r'id="secret"[^>]*value="([^"]+)"', html).group(1)
    assert "L’ancien secret ne fonctionne plus" in html
    with app.app_context():
        new_hash = get_client(client_id).client_secret_hash
        assert new_hash == secret_digest(secret) and new_hash != old_hash

    confirm = admin_client.get(f"{edit_url}/delete")
    assert "définitive" in confirm.get_data(as_text=True)
    with app.app_context():
        assert get_client(client_id) is not None  # the GET deleted nothing
    response = post_form(admin_client, f"{edit_url}/delete", {})
    assert response.status_code == 302
    with app.app_context():
        assert get_client(client_id) is None
    for event_type in (
        "admin.client.disabled",
        "admin.client.enabled",
        "admin.client.secret_rotated",
        "admin.client.deleted",
    ):
        found = events(app, event_type)
        assert len(found) == 1 and found[0].client_id == client_id and found[0].actor_id


def test_actions_need_csrf(app, admin_client):
    """A POST without the CSRF token changes nothing."""
    client_id = make_client(app)
    response = admin_client.post(f"/admin/clients/{client_id}/disable")
    assert response.status_code == 400
    response = admin_client.post(f"/admin/clients/{client_id}/delete")
    assert response.status_code == 400
    with app.app_context():
        assert get_client(client_id).disabled is False


def test_unknown_client_is_404(admin_client):
    """An unknown client_id answers a readable 404."""
    assert admin_client.get("/admin/clients/nope").status_code == 404


def test_initial_access_token_from_the_admin_page(app, admin_client):
    """The admin page issues an initial access token, shown once, stored hashed, audited."""
    from idp.core.digest import secret_digest
    from idp.oidc.models import InitialAccessToken

    response = post_form(
        admin_client,
        "/admin/clients/registration-tokens",
        {"expires_in_days": "3", "max_uses": "2"},
        "/admin/clients",
    )
    html = response.get_data(as_text=True)
    token = re.search(r'id="secret"[^>]*value="([^"]+)"', html).group(1)
    with app.app_context():
        row = db.session.scalar(db.select(InitialAccessToken))
        assert row.token_hash == secret_digest(token)
        assert row.max_uses == 2
    assert token not in admin_client.get("/admin/clients").get_data(as_text=True)
    assert len(events(app, "admin.initial_access_token.created")) == 1


def test_initial_access_token_can_be_revoked(app, admin_client, client):
    """A token revoked from the admin page no longer opens registration; audited."""
    from idp.oidc.models import InitialAccessToken

    response = post_form(
        admin_client,
        "/admin/clients/registration-tokens",
        {"expires_in_days": "7", "max_uses": ""},
        "/admin/clients",
    )
    token = re.search(r'id="secret"[^>]*value="([^"]+)"', response.get_data(as_text=True)).group(1)
    with app.app_context():
        row = db.session.scalar(db.select(InitialAccessToken))
        assert row.max_uses is None
        token_id = row.id
    listing = admin_client.get("/admin/clients").get_data(as_text=True)
    assert f"/admin/clients/registration-tokens/{token_id}/revoke" in listing
    revoke = post_form(
        admin_client, f"/admin/clients/registration-tokens/{token_id}/revoke", {}, "/admin/clients"
    )
    assert revoke.status_code == 302
    metadata = {"client_name": "X", "redirect_uris": ["https://x.example/cb"]}
    refused = client.post(
        "/oauth/register", json=metadata, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 401
    assert len(events(app, "admin.initial_access_token.revoked")) == 1
