"""Every logout ends on "Vous êtes déconnecté", naming the services that were told: Compte's
own button, RP-initiated logout with or without id_token_hint (after confirmation),
"Se déconnecter de cet appareil", "Se déconnecter partout", a logout after a password
change. Only a registered post_logout_redirect_uri takes the browser back to its service."""

from __future__ import annotations

import re

import pytest

from tests.oidc.helpers import tokens_in_session
from tests.support.accounts import text
from tests.support.forms import csrf_of
from tests.support.sessions import signed_in

BYE = "http://127.0.0.1:9/bye"


@pytest.fixture
def settings(settings):
    return {**settings, "RATELIMIT_ENABLED": False}


@pytest.fixture
def services(make_rp):
    """Two services told by front-channel logout, as the demo services are."""
    return [
        make_rp(
            name,
            first_party=True,
            frontchannel_logout_uri=f"http://127.0.0.1:9/{name.lower()}/front",
            post_logout_redirect_uris=[BYE],
        )
        for name in ("Formadist", "E-communautés")
    ]


def _told(html: str) -> list[str]:
    """The names the logged-out page lists as told."""
    listed = re.search(r'aria-labelledby="logout-told">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", listed.group(1)) if listed else []


def _ends_on_logged_out_page(response, names: list[str]) -> str:
    html = text(response)
    assert response.status_code == 200, html[:500]
    assert '<h1 id="logged-out-title">Vous êtes déconnecté</h1>' in html
    assert _told(html) == names
    assert "data-continue" not in html  # the page stays: nothing sends it on to the login
    return html


def _using(app, person, rp_list):
    client = signed_in(app, person.id)
    tokens = [tokens_in_session(client, rp) for rp in rp_list]
    return client, tokens


def test_compte_logout_after_two_services_names_both(app, person, services):
    """Compte's own "Se déconnecter" after two services were used stays on "Vous êtes
    déconnecté", names both, and offers to sign in again."""
    client, _ = _using(app, person, services)
    page = text(client.get("/account"))
    html = _ends_on_logged_out_page(
        client.post("/logout", data={"csrf_token": csrf_of(page)}),
        ["Formadist", "E-communautés"],
    )
    assert 'id="logout-login-again" href="/login"' in html
    assert client.get("/account").status_code == 302


def test_rp_logout_with_hint_and_no_redirect_names_the_services(app, person, services):
    """RP-initiated logout with a valid id_token_hint and no post_logout_redirect_uri logs
    out at once and names the services."""
    client, tokens = _using(app, person, services)
    response = client.get("/oauth/logout", query_string={"id_token_hint": tokens[1]["id_token"]})
    _ends_on_logged_out_page(response, ["Formadist", "E-communautés"])
    assert client.get("/account").status_code == 302


def test_rp_logout_with_registered_redirect_goes_back_to_the_service(app, person, services):
    """With a registered post_logout_redirect_uri the page goes on to the service (state
    kept) once the front-channel iframes have loaded: the service shows its own page."""
    client, tokens = _using(app, person, services)
    response = client.get(
        "/oauth/logout",
        query_string={
            "id_token_hint": tokens[0]["id_token"],
            "post_logout_redirect_uri": BYE,
            "state": "s1",
        },
    )
    html = text(response)
    assert response.status_code == 200
    assert f'data-continue="{BYE}?state=s1"' in html
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rp_logout_without_hint_confirms_then_names_the_services(app, person, services, method):
    """Without id_token_hint (GET or POST), the confirmation page's "Me déconnecter" ends on
    the same page, naming the services; nothing is redirected (no client to trust)."""
    client, _ = _using(app, person, services)
    ask = client.open("/oauth/logout", method=method)
    assert ask.status_code == 200 and "Voulez-vous vous déconnecter" in text(ask)
    assert client.get("/account").status_code == 200  # not logged out by asking
    response = client.post(
        "/oauth/logout", data={"csrf_token": csrf_of(text(ask)), "confirm": "Me déconnecter"}
    )
    _ends_on_logged_out_page(response, ["Formadist", "E-communautés"])


def test_rp_logout_confirmation_cancel_keeps_the_session(app, person, services):
    """The confirmation's second button says « Annuler » (not « Rester connecté », the
    login page's longer-session box) and leads to "Mes services", still signed in."""
    client, _ = _using(app, person, services)
    ask = text(client.get("/oauth/logout"))
    assert 'name="cancel" type="submit" value="Annuler"' in ask
    response = client.post("/oauth/logout", data={"csrf_token": csrf_of(ask), "cancel": "Annuler"})
    assert response.status_code == 302 and response.headers["Location"] == "/"  # "Mes services"
    assert client.get("/account").status_code == 200


def test_sessions_page_this_device_names_the_services(app, person, services):
    """ "Se déconnecter de cet appareil" on this browser's entry is the ordinary logout."""
    client, _ = _using(app, person, services)
    page = text(client.get("/account/sessions"))
    session_id = re.search(r"/account/sessions/(\d+)/logout", page).group(1)
    response = client.post(
        f"/account/sessions/{session_id}/logout", data={"csrf_token": csrf_of(page)}
    )
    _ends_on_logged_out_page(response, ["Formadist", "E-communautés"])


def test_logout_everywhere_names_the_services_of_every_session(app, person, services):
    """ "Se déconnecter partout" names the services of this browser and of the others."""
    here, _ = _using(app, person, services[:1])
    _using(app, person, services[1:])  # another browser, another service
    page = text(here.get("/account/sessions"))
    response = here.post("/account/logout-everywhere", data={"csrf_token": csrf_of(page)})
    html = _ends_on_logged_out_page(response, ["Formadist", "E-communautés"])
    assert "sur tous vos appareils" in html


def test_logout_after_a_password_change_names_the_services(app, person, services):
    """The session kept through a password change still knows its services at logout."""
    client, _ = _using(app, person, services)
    page = text(client.get("/account/password"))
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_of(page),
            "current_password": person.password,
            "new_password": "Autre-Formation-2027!",
            "confirm": "Autre-Formation-2027!",
        },
    )
    assert changed.status_code == 302, text(changed)[:2000]
    page = text(client.get("/account"))
    response = client.post("/logout", data={"csrf_token": csrf_of(page)})
    _ends_on_logged_out_page(response, ["Formadist", "E-communautés"])


def test_a_service_without_logout_address_is_named_as_not_told(app, person, make_rp):
    """A service that cannot be told is named apart, so that the person closes it."""
    told = make_rp("Formadist", first_party=True, frontchannel_logout_uri="http://127.0.0.1:9/f")
    silent = make_rp("Vieux service", first_party=True)
    client, _ = _using(app, person, [told, silent])
    page = text(client.get("/account"))
    html = _ends_on_logged_out_page(
        client.post("/logout", data={"csrf_token": csrf_of(page)}), ["Formadist"]
    )
    untold = re.search(r'aria-labelledby="logout-untold">(.*?)</ul>', html, re.S)
    assert untold and "<li>Vieux service</li>" in untold.group(1)
