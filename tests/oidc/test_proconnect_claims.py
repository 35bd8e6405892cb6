"""ProConnect's claims (usual_name, uid, siret, siren, organizational_unit,
belonging_population, phone), asked by scopes named after them or by `organization`, in the
ID token and at userinfo as a relying party reads them (on PostgreSQL, userinfo is the
lean path's)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.accounts.models import Account
from idp.core.extensions import db
from idp.oidc.claims import all_claims
from idp.oidc.models import Client
from idp.organizations import services as organizations
from tests.oidc.helpers import tokens_in_process
from tests.support.accounts import post_form, text
from tests.support.sessions import signed_in

PROCONNECT_SCOPE = "openid given_name usual_name email uid siret"
SIRET = "13002526500013"


def id_token_claims(app, id_token: str) -> dict:
    """The ID token's claims, its signature checked against the published JWKS."""
    keys = KeySet.import_key_set(app.test_client().get("/oauth/jwks").json)
    return dict(jwt.decode(id_token, keys).claims)


def userinfo_of(app, access_token: str) -> dict:
    answer = app.test_client().get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json


def both(app, person, rp, scope: str) -> tuple[dict, dict]:
    """(ID token claims, userinfo answer) of a code flow asking `scope`."""
    tokens = tokens_in_process(app, person, rp, scope=scope)
    return id_token_claims(app, tokens["id_token"]), userinfo_of(app, tokens["access_token"])


@pytest.fixture
def organization(app):
    """The person's e-mail domain (example.fr) belongs to the DINUM."""
    with app.test_request_context():
        organizations.create("DINUM", SIRET, ["example.fr"], "Pôle ProConnect")
        db.session.commit()


@pytest.fixture
def proconnect(make_rp):
    """ProConnect as a client of Compte (first-party: no consent page in these tests)."""
    return make_rp("ProConnect", first_party=True)


def test_proconnect_request_gets_its_claims(app, person, proconnect, organization):
    """ProConnect's own request (`openid given_name usual_name email uid siret`) gets those
    claims, and only those, in the ID token and at userinfo; uid is the sub, usual_name
    falls back to the family name."""
    claims, info = both(app, person, proconnect, PROCONNECT_SCOPE)
    expected = {
        "sub": person.sub,
        "given_name": "Ivan",
        "usual_name": "Petit",
        "email": person.email,
        "email_verified": True,
        "uid": person.sub,
        "siret": SIRET,
    }
    assert info == expected
    assert {k: claims[k] for k in expected} == expected
    for other in ("family_name", "name", "siren", "phone", "organizational_unit"):
        assert other not in claims and other not in info


def test_organization_scope_gives_the_organization_claims(app, person, proconnect, organization):
    """The `organization` scope releases siret, siren, the unit and the population set by
    an administrator for the person (their own unit winning over the organisation's)."""
    _, info = both(app, person, proconnect, "openid organization")
    assert info == {
        "sub": person.sub,
        "siret": SIRET,
        "siren": "130025265",
        "organizational_unit": "Pôle ProConnect",
    }
    with app.test_request_context():
        account = db.session.get(Account, person.id)
        organizations.set_for_account(account, None, "Bureau des identités", "prestataire")
        db.session.commit()
    claims, info = both(app, person, proconnect, "openid organization")
    assert info["organizational_unit"] == claims["organizational_unit"] == "Bureau des identités"
    assert info["belonging_population"] == claims["belonging_population"] == "prestataire"


def test_a_person_without_organization_gets_no_siret(app, person, proconnect):
    """Without an organisation (no domain, no choice), siret, siren and the unit are absent
    from the ID token and userinfo: never null."""
    claims, info = both(app, person, proconnect, f"{PROCONNECT_SCOPE} organization")
    for name in ("siret", "siren", "organizational_unit", "belonging_population"):
        assert name not in claims and name not in info
    assert info["usual_name"] == "Petit"


def test_usual_name_from_the_profile_and_phone(app, person, proconnect):
    """The person gives a usual name on their profile (checked like every name field): the
    `usual_name` claim is it from then on; the `phone` scope also gives `phone`."""
    browser = signed_in(app, person.id)
    page = text(browser.get("/account"))
    assert "Nom d’usage" in page and "un autre nom que votre nom de famille" in page
    form = {
        "civility": "m",
        "given_name": "Ivan",
        "family_name": "Petit",
        "birthdate": "",
        "phone": "",
        "mobile": "06 12 34 56 78",
        "address": "",
    }
    refused = post_form(browser, "/account", {**form, "usual_name": "Petit<script>"})
    assert 'id="usual_name-error"' in text(refused)
    saved = post_form(browser, "/account", {**form, "usual_name": "  Petit-Durand "})
    assert saved.status_code == 302
    claims, info = both(app, person, proconnect, "openid usual_name phone")
    assert info["usual_name"] == claims["usual_name"] == "Petit-Durand"
    assert info["phone"] == info["phone_number"] == "06 12 34 56 78"


def test_discovery_lists_the_claims_and_scopes(client):
    """Discovery advertises the new claims and the scopes ProConnect sends."""
    meta = client.get("/.well-known/openid-configuration").json
    for claim in (
        "usual_name",
        "uid",
        "siret",
        "siren",
        "organizational_unit",
        "belonging_population",
        "phone",
    ):
        assert claim in meta["claims_supported"]
    for scope in (
        "organization",
        "given_name",
        "usual_name",
        "uid",
        "siret",
        "siren",
        "organizational_unit",
        "belonging_population",
    ):
        assert scope in meta["scopes_supported"]


def test_consent_names_the_organization(app, person, make_rp, organization):
    """The consent page says in words what ProConnect's scopes release."""
    rp = make_rp("Service de l’État")
    browser = signed_in(app, person.id)
    query = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": rp.redirect_uri,
        "scope": "openid usual_name siret organization",
        "state": "s",
        "nonce": "n",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    page = text(browser.get("/oauth/authorize", query_string=query))
    assert "Votre nom d’usage" in page
    assert "Le numéro SIRET de votre organisation" in page
    assert "Votre organisation (SIRET), votre service et votre statut" in page


ORGANIZATION_READ = re.compile(r"\b(FROM|JOIN)\s+\"?organization", re.IGNORECASE)


def test_no_organization_query_for_a_client_that_cannot_have_its_claims(
    app, person, make_rp, organization
):
    """Userinfo (each request of a relying party) reads no organisation table for a client
    allowed no scope releasing the organisation's claims."""
    rp = make_rp("Formadist", first_party=True, scopes=["openid", "profile", "email"])
    tokens = tokens_in_process(app, person, rp, scope="openid profile email")
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        info = userinfo_of(app, tokens["access_token"])
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    assert info["family_name"] == "Petit" and "siret" not in info
    assert not [s for s in seen if ORGANIZATION_READ.search(s)]


def test_the_organization_is_read_only_when_wanted(app, person, make_rp, organization):
    """A caller that names the claims it may release gets the organisation's only when one
    of them is wanted; the account's own values need no query."""
    rp = make_rp("ProConnect")
    with app.test_request_context():
        client = db.session.scalar(db.select(Client).where(Client.client_id == rp.client_id))
        account = db.session.get(Account, person.id)
        account.belonging_population = "agent"
        assert "siret" not in all_claims(account, client, wanted=["email", "phone"])
        assert all_claims(account, client, wanted=["siret"])["siret"] == SIRET
        plain = all_claims(account, client, wanted=[])
        assert plain["belonging_population"] == "agent" and "siren" not in plain
