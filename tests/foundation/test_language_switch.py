"""The "Français / English" switch: on every page, remembered, never an open redirect."""

from __future__ import annotations

import pytest

from tests.support.accounts import text


def test_every_page_offers_both_languages_each_named_in_itself(client):
    """The header links to "Français" and "English", each with its lang and hreflang, the
    language of the page marked as the current one."""
    html = text(client.get("/login", headers={"Accept-Language": "fr"}))
    assert '<html lang="fr">' in html
    assert 'lang="en" hreflang="en">English</a>' in html
    assert 'hreflang="fr" aria-current="true">Français</a>' in html
    assert "/language/en?next=/login" in html


def test_the_switch_keeps_the_way_back_to_a_service_but_no_unsafe_address(client):
    """On a login page the switch's link keeps a `next` that Compte would follow (the
    pending authorization request) and drops one it would not: never echoed in the page."""
    authorize = "/oauth/authorize?client_id=x&scope=openid"
    html = text(client.get("/login", query_string={"next": authorize}))
    assert "next=/login?next%3D%252Foauth%252Fauthorize" in html.replace("&amp;", "&")
    html = text(client.get("/login", query_string={"next": "https://evil.example/"}))
    assert "evil.example" not in html


def test_choosing_english_shows_the_same_page_in_english_and_remembers_it(client):
    """English: back to the same page (with its query), the next pages in English whatever
    the browser prefers; a one-year Lax cookie only the server reads."""
    response = client.get(
        "/language/en", query_string={"next": "/login?identifier=ivan@example.org"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?identifier=ivan@example.org"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("compte_language=en;")
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    page = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    html = text(page)
    assert '<html lang="en">' in html and "Log in" in html and "Skip to content" in html
    assert 'hreflang="en" aria-current="true">English</a>' in html

    client.get("/language/fr", query_string={"next": "/login"})
    assert '<html lang="fr">' in text(client.get("/login", headers={"Accept-Language": "en"}))


def test_the_cookie_is_secure_over_https(client):
    """Behind HTTPS the language cookie is Secure too."""
    response = client.get("/language/en?next=/login", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", ""],
)
def test_the_switch_never_sends_anywhere_else(client, target):
    """A `next` that is not a path on Compte goes to Compte's home page instead."""
    response = client.get("/language/en", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_an_unknown_language_is_a_404(client):
    """Only French and English exist; nothing is remembered for another code."""
    response = client.get("/language/de?next=/login")
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers or "compte_language" not in str(
        response.headers.get_all("Set-Cookie")
    )


def test_a_services_ui_locales_wins_for_its_sign_in_until_the_person_chooses(client):
    """ui_locales of an authorization request wins over the remembered choice for the pages
    of that sign-in (OpenID Connect); choosing with the switch then wins again."""
    client.get("/language/fr?next=/login")
    client.get("/oauth/authorize", query_string={"ui_locales": "en-GB", "client_id": "x"})
    assert '<html lang="en">' in text(client.get("/login"))
    client.get("/language/fr?next=/login")
    assert '<html lang="fr">' in text(client.get("/login"))
