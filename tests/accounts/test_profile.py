"""The profile page: identity editing with validation, sections one click from the header."""

from __future__ import annotations

from datetime import date

from tests.support.accounts import (
    PASSWORD,
    account,
    events,
    login,
    make_account,
    post_form,
    text,
)

IDENTITY = {
    "civility": "m",
    "given_name": "Ivan",
    "family_name": "Petrov",
    "birth_name": "",
    "birthdate": "1980-04-12",
    "phone": "01 23 45 67 89",
    "mobile": "+33 6 12 34 56 78",
    "address": "1 rue de la Paix\n75002 Paris",
}


def test_profile_is_one_click_from_the_header_with_every_section(app, client):
    """After login the header links to the profile, which shows identity, e-mails,
    password and security, with the include points of the other areas."""
    make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    assert 'href="/account"' in text(client.get("/"))
    html = text(client.get("/account"))
    for section in ("Identité", "Courriels", "Mot de passe", "Sécurité"):
        assert f">{section}</h2>" in html
    assert 'href="/account/emails"' in html and 'href="/account/password"' in html


def test_identity_is_saved_and_audited(app, client):
    """Valid identity fields are saved; the audit lists which fields changed."""
    account_id = make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    response = post_form(client, "/account", {**IDENTITY, "birthdate": "12/04/1980"})
    assert response.status_code == 302
    row = account(app, account_id)
    assert (row.civility, row.birthdate, row.mobile) == (
        "m",
        date(1980, 4, 12),
        "+33 6 12 34 56 78",
    )
    assert row.address == "1 rue de la Paix\n75002 Paris"
    assert "Vos informations ont été enregistrées." in text(client.get("/account"))
    [event] = events(app, "profile.updated")
    assert set(event.details["fields"]) >= {"civility", "birthdate", "phone", "mobile", "address"}


def test_invalid_identity_is_refused_next_to_the_field_and_kept(app, client):
    """Bad values get a message next to their field; what was typed stays; nothing saved."""
    account_id = make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    bad = {**IDENTITY, "given_name": "", "phone": "abc", "birthdate": "31/02/1980"}
    response = post_form(client, "/account", bad)
    html = text(response)
    assert response.status_code == 200
    assert 'id="given_name-error"' in html and "Indiquez votre prénom." in html
    assert 'id="phone-error"' in html and 'value="abc"' in html
    assert 'id="birthdate-error"' in html and "JJ/MM/AAAA" in html
    assert "Le formulaire contient des erreurs" in html
    future = post_form(client, "/account", {**IDENTITY, "birthdate": "2999-01-01"})
    assert "pas plausible" in text(future)
    assert account(app, account_id).phone is None


def test_profile_needs_a_session(app, client):
    """Without a session the profile sends to the login page with `next`."""
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
