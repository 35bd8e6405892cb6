"""The "Mes services" page: the landing page after a direct login."""

from __future__ import annotations

import re

import pytest

from tests.launcher.conftest import log_in, make_account, make_service
from tests.support.sessions import sign_in


def test_login_lands_on_mes_services_with_the_tiles(app, client):
    """Logging in straight to Compte lands on "Mes services": greeting, one tile per service."""
    make_account(app)
    make_service(
        app,
        "Formadist",
        "https://formadist.example/",
        description="Plateforme de formation à distance",
        icon_url="/static/launcher/formadist.svg",
        position=1,
    )
    make_service(app, "E-communautés", "https://ecommunautes.example/", position=3)
    response = log_in(client)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.request.path == "/"
    assert "<h1" in html and "Mes services" in html
    assert "Bonjour Ivan" in html
    # Each tile is one link holding the icon, the name and the description.
    tiles = re.findall(r'<li class="tile">\s*<a href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)
    assert [href for href, _ in tiles] == [
        "https://formadist.example/",
        "https://ecommunautes.example/",
    ]
    assert "Plateforme de formation à distance" in tiles[0][1]
    assert 'src="/static/launcher/formadist.svg"' in tiles[0][1]
    # No icon registered: the generic one.
    assert 'src="/static/launcher/service.svg"' in tiles[1][1]
    assert response.headers["Cache-Control"] == "no-store"


def test_page_does_not_nudge_a_password_change(app, client):
    """Unlike seed 000's landing page, nothing invites the person to change the password."""
    sign_in(client, make_account(app))
    make_service(app, "Formadist", "https://formadist.example/")
    html = client.get("/").get_data(as_text=True).lower()
    for nudge in ("changer", "modifier", "changez", "modifiez", "mettre à jour", "nouveau mot"):
        assert nudge not in html, nudge


def test_account_pages_are_one_click_away(app, client):
    """A "Mon compte" area links to the profile, e-mails, password and security."""
    sign_in(client, make_account(app))
    html = client.get("/").get_data(as_text=True)
    section = html.split('id="account-title"', 1)[1].split("</section>", 1)[0]
    links = dict(re.findall(r'<a href="([^"]+)">([^<]+)</a>', section))
    assert "Mon compte" in html
    assert set(links.values()) == {
        "Mes informations personnelles",
        "Mes adresses électroniques",
        "Mot de passe",
        "Sécurité et applications connectées",
    }
    assert all(href.startswith("/account") for href in links)
    for href in links:  # every link leads to a page that exists
        assert client.get(href.split("#")[0]).status_code == 200, href


def test_empty_state_gives_the_support_contact(app, client):
    """With no service yet, a friendly sentence and the support contact, no empty list."""
    sign_in(client, make_account(app))
    html = client.get("/").get_data(as_text=True)
    assert "aucun service n'y est encore relié" in html.replace("&#39;", "'")
    main = html.split('id="main"', 1)[1].split("</main>", 1)[0]
    assert 'href="tel:0800100310"' in main
    assert "support@compte.example" in main
    assert 'class="tiles' not in main


def test_disabled_and_hidden_services_have_no_tile(app, client):
    """Only visible entries of enabled clients become tiles."""
    from idp.core.extensions import db
    from idp.oidc.clients import get_client, set_disabled

    sign_in(client, make_account(app))
    make_service(app, "Formadist", "https://formadist.example/")
    make_service(app, "Caché", "https://cache.example/", visible=False)
    off = make_service(app, "Arrêté", "https://off.example/")
    with app.app_context():
        set_disabled(get_client(off), True)
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "https://formadist.example/" in html
    assert "https://cache.example/" not in html and "https://off.example/" not in html


def test_anonymous_visitor_is_sent_to_login(client):
    """Without a session, "/" asks the person to log in."""
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.browser
def test_tiles_in_a_browser_keyboard_and_no_csp_error(app, live_server, output_dir, chromium):
    """In Chromium: the tiles show, Tab reaches each tile link, no CSP or script error."""
    from playwright.sync_api import expect

    from tests.support.browser import close_contexts

    account_id = make_account(app)
    for position, name in enumerate(("formadist", "cpf", "ecommunautes")):
        make_service(
            app,
            name.capitalize(),
            f"http://127.0.0.1:{5001 + position}/",
            description=f"Le service {name}",
            icon_url=f"/static/launcher/{name}.svg",
            position=position,
        )
    test_client = app.test_client()
    sign_in(test_client, account_id)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    cookie = test_client.get_cookie(cookie_name).value

    browser = chromium
    try:
        context = browser.new_context(locale="fr-FR", viewport={"width": 1100, "height": 800})
        context.add_cookies([{"name": cookie_name, "value": cookie, "url": live_server}])
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",  # CSP violations are reported as console errors
            lambda message: (
                errors.append(message.text)
                if message.type == "error" and "Refused" in message.text
                else None
            ),
        )
        broken: list[str] = []
        page.on(
            "response",
            lambda response: (
                broken.append(response.url)
                if response.status >= 400 and not response.url.endswith("/favicon.ico")
                else None
            ),
        )
        page.goto(live_server + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Mes services")
        tiles = page.locator(".tile a")
        expect(tiles).to_have_count(3)
        for index in range(3):  # every icon really loaded
            assert tiles.nth(index).locator("img").evaluate("i => i.naturalWidth") > 0
        page.screenshot(path=str(output_dir / "mes-services.png"), full_page=True)
        seen = []
        for _ in range(15):
            page.keyboard.press("Tab")
            href = page.evaluate("document.activeElement.getAttribute('href')")
            if href and href.startswith("http://127.0.0.1:500"):
                seen.append(href)
        assert seen == [
            "http://127.0.0.1:5001/",
            "http://127.0.0.1:5002/",
            "http://127.0.0.1:5003/",
        ]
        assert errors == [] and broken == []
    finally:
        close_contexts(browser)
