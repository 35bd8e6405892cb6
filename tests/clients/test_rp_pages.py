"""The services' pages, their demo data and the login redirect (no Compte needed)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from clients.common.launcher import parse_entries
from tests.clients.conftest import open_session


def test_unauthenticated_visit_goes_straight_to_compte(rp_app, test_issuer):
    """Any page without a session redirects to Compte's authorization endpoint: code flow,
    PKCE S256, a nonce, the launcher and offline_access scopes."""
    response = rp_app.test_client().get("/formations/MARCHES-2026")
    assert response.status_code == 302
    url = urlsplit(response.headers["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{test_issuer.url}/oauth/authorize"
    query = parse_qs(url.query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"][0] and query["nonce"][0] and query["state"][0]
    assert set(query["scope"][0].split()) >= {"openid", "offline_access", "launcher"}
    assert query["redirect_uri"] == ["http://127.0.0.1:5999/auth/callback"]


@pytest.mark.parametrize("target", ["//evil.test/x", "https://evil.test/", "javascript:alert(1)"])
def test_login_next_is_never_an_open_redirect(rp_app, target):
    """/login?next=<foreign URL> stores the home page instead."""
    client = rp_app.test_client()
    client.get("/login", query_string={"next": target})
    with client.session_transaction() as session:
        assert session["rp_next"] == "/"


def test_callback_with_error_shows_a_page_not_a_500(rp_app):
    """Coming back with error=access_denied (or a bad state) gives a clear page, 400."""
    response = rp_app.test_client().get("/auth/callback?error=access_denied&state=x")
    assert response.status_code == 400
    assert "Vous avez refusé" in response.get_data(as_text=True)
    response = rp_app.test_client().get("/auth/callback?code=abc&state=unknown")
    assert response.status_code == 400


def test_another_name_of_the_same_server_is_sent_to_the_registered_address(rp_app):
    """localhost:5999 for a service registered at 127.0.0.1:5999 (the demo's addresses): the
    page is asked again at 127.0.0.1, path and query kept, before any login starts there —
    Compte comes back to 127.0.0.1, where the login's cookie must be."""
    asked = "/invitation?formation=NUMERIQUE-2026"
    response = rp_app.test_client().get(asked, base_url="http://localhost:5999")
    assert response.status_code == 302
    assert response.headers["Location"] == "http://127.0.0.1:5999" + asked


def test_a_forgotten_state_asks_again_for_the_page_first_wanted(rp_app, test_issuer):
    """Back from Compte after the service forgot its request (Authlib keeps it an hour: an
    account created and confirmed the next morning), the service asks Compte again for the
    page first wanted instead of failing; a second time within a minute it shows the page
    "La connexion n'a pas abouti", whose "Réessayer" still keeps that page."""
    browser = rp_app.test_client()
    browser.get("/formations/NUMERIQUE-2026")  # the convocation link, signed out
    with browser.session_transaction() as session:
        for key in [k for k in session if k.startswith("_state_")]:
            del session[key]  # what an hour does
    again = browser.get("/auth/callback?code=abc&state=forgotten")
    assert again.status_code == 302
    assert again.headers["Location"].startswith(f"{test_issuer.url}/oauth/authorize")
    with browser.session_transaction() as session:
        assert session["rp_next"] == "/formations/NUMERIQUE-2026"
    failed = browser.get("/auth/callback?code=abc&state=forgotten-again")
    assert failed.status_code == 400
    page = failed.get_data(as_text=True)
    assert "la demande de connexion de ce navigateur n'est plus connue ici" in page
    assert "/login?next=/formations/NUMERIQUE-2026" in page


DEMO_CLAIMS = {"sub": "sub-1", "given_name": "Ivan", "email": "demo@compte.localhost"}


def test_formadist_parcours_and_session_page(rp_app):
    """The demo account's first login finds two sample sessions; the session page shows
    its modules; a session it is not enrolled in is 404."""
    browser = rp_app.test_client()
    open_session(rp_app, browser, claims=DEMO_CLAIMS)
    page = browser.get("/").get_data(as_text=True)
    assert "Mon parcours de formation" in page
    assert "Les fondamentaux de la commande publique" in page
    assert "Bonjour Ivan" in page
    detail = browser.get("/formations/MARCHES-2026").get_data(as_text=True)
    assert "Rédiger un cahier des charges" in detail
    assert browser.get("/formations/NUMERIQUE-2026").status_code == 404


def test_formadist_new_account_has_no_invented_sessions(rp_app):
    """A new account's first login finds no past sessions (January–March 2026) it never
    followed: an empty path that says how sessions arrive."""
    browser = rp_app.test_client()
    claims = {"sub": "sub-new", "given_name": "Léa", "email": "lea@exemple.fr"}
    open_session(rp_app, browser, sub="sub-new", claims=claims)
    page = browser.get("/").get_data(as_text=True)
    assert "Bonjour Léa" in page
    assert "Vous n'êtes inscrit à aucune session pour le moment" in page
    assert "commande publique" not in page and "2026" not in page
    assert browser.get("/formations/MARCHES-2026").status_code == 404


def test_formadist_invitation_enrols_the_person(rp_app):
    """The invitation page adds the session to the person's path."""
    browser = rp_app.test_client()
    open_session(rp_app, browser)
    page = browser.get("/invitation?formation=NUMERIQUE-2026").get_data(as_text=True)
    assert "Le numérique au service des usagers" in page
    assert browser.get("/formations/NUMERIQUE-2026").status_code == 200


def test_page_without_launcher_api_hides_the_menu(rp_app):
    """The stand-in issuer has no launcher API: the page still works, without the menu."""
    browser = rp_app.test_client()
    open_session(rp_app, browser)
    page = browser.get("/")
    assert page.status_code == 200
    assert 'aria-label="Mes services"' not in page.get_data(as_text=True)
    assert "Se déconnecter" in page.get_data(as_text=True)


def test_parse_entries_marks_the_current_service_and_drops_bad_links():
    """The menu keeps http(s) links only, makes icons absolute and marks this service."""
    data = {
        "entries": [
            {
                "client_id": "f",
                "name": "Formadist",
                "url": "http://127.0.0.1:5001/",
                "icon_url": "/static/launcher/formadist.svg",
            },
            {"client_id": "c", "name": "CPF", "url": "http://127.0.0.1:5002/", "current": False},
            {"client_id": "x", "name": "Bad", "url": "javascript:alert(1)"},
            "garbage",
        ]
    }
    entries = parse_entries(
        data, issuer="http://127.0.0.1:5000", own_client_id="f", own_url="http://127.0.0.1:5001"
    )
    assert [e.name for e in entries] == ["Formadist", "CPF"]
    assert entries[0].current and not entries[1].current
    assert entries[0].icon_url == "http://127.0.0.1:5000/static/launcher/formadist.svg"
    assert parse_entries("nonsense", issuer="x", own_client_id="f", own_url="x") == []


def _app_for(service_module, test_issuer, tmp_path):
    import importlib

    module = importlib.import_module(f"clients.{service_module}")
    return module.create_app(
        {
            "ISSUER": test_issuer.url,
            "CLIENT_ID": service_module,
            "CLIENT_SECRET": "s",
            "BASE_URL": "http://127.0.0.1:5998",
            "SECRET_KEY": "k",
            "INSTANCE_PATH": str(tmp_path / service_module),
        }
    )


def test_cpf_dashboard_shows_seed_004_summary(test_issuer, tmp_path):
    """The CPF dashboard: hours CPF and DIF, open and closed files, delegations, identity."""
    app = _app_for("cpf", test_issuer, tmp_path)
    browser = app.test_client()
    open_session(
        app,
        browser,
        claims={
            "sub": "sub-1",
            "given_name": "Ivan",
            "family_name": "Pierre",
            "email": "ivan@example.org",
        },
    )
    page = browser.get("/").get_data(as_text=True)
    for text in (
        "Synthèse de votre compte",
        "Heures CPF disponibles",
        "Heures DIF non rattachées",
        "Dossiers de formation en cours",
        "Dossiers de formation clos",
        "Mes délégations",
        "Mes informations personnelles",
        "ivan@example.org",
        "72 h",
    ):
        assert text in page


def test_ecommunautes_join_and_leave_with_csrf(test_issuer, tmp_path):
    """Joining and leaving are POSTs protected by CSRF; what is joined is kept per sub."""
    import re

    app = _app_for("ecommunautes", test_issuer, tmp_path)
    browser = app.test_client()
    open_session(app, browser)
    page = browser.get("/").get_data(as_text=True)
    assert "Achat public" in page and "Transformation numérique" in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert browser.post("/communautes/rh/rejoindre").status_code == 400  # no CSRF token
    joined = browser.post(
        "/communautes/rh/rejoindre", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Vous avez rejoint la communauté « Ressources humaines »" in joined
    left = browser.post(
        "/communautes/achats/quitter", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Vous avez quitté la communauté « Achat public »" in left
    assert (
        browser.post("/communautes/nope/rejoindre", data={"csrf_token": token}).status_code == 400
    )
