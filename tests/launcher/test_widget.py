"""The optional widget: a server-rendered menu becomes a keyboard-usable drop-down."""

from __future__ import annotations

import pytest

from tests.support.servers import free_port, serve_wsgi

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# What a service renders server-side from the JSON API (see docs/launcher.md).
SERVICE_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Formadist</title>
<link rel="stylesheet" href="{compte}/static/launcher/widget.css"></head>
<body>
  <header>
    <nav data-compte-launcher aria-label="Mes services">{open}
      <ul>
        <li><a href="http://127.0.0.1:5001/" aria-current="page">Formadist</a></li>
        <li><a href="http://127.0.0.1:5002/">Mon compte formation</a></li>
        <li><a href="http://127.0.0.1:5003/">E-communautés</a></li>
      </ul>{close}
    </nav>
  </header>
  <main><h1>Mon parcours de formation</h1><a href="#" id="elsewhere">Ailleurs</a></main>
  <script src="{compte}/launcher/widget.js"></script>
</body></html>
"""


# The menu as a bare list (the widget adds a button) or inside <details> (a disclosure that
# works without JavaScript: the widget keeps it and adds the keys).
WRAPPERS = {
    "list": ("", ""),
    "details": ("<details><summary>Mes services</summary>", "</details>"),
}


def service_app(compte_url: str, wrapper: str):
    """A stand-in service page with a strict CSP: scripts from Compte only, nothing inline."""
    opening, closing = WRAPPERS[wrapper]
    body = (
        SERVICE_PAGE.replace("{compte}", compte_url)
        .replace("{open}", opening)
        .replace("{close}", closing)
        .encode()
    )
    csp = f"default-src 'self'; script-src {compte_url}; style-src {compte_url}"

    def wsgi(environ, start_response):
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Security-Policy", csp),
            ],
        )
        return [body]

    return wsgi


def test_widget_script_is_served_for_other_origins(client):
    """/launcher/widget.js is JavaScript that other sites may include, cached for an hour."""
    response = client.get("/launcher/widget.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "max-age=3600" in response.headers["Cache-Control"]
    assert "data-compte-launcher" in response.get_data(as_text=True)


@pytest.mark.browser
@pytest.mark.parametrize("wrapper", sorted(WRAPPERS))
def test_widget_turns_the_menu_into_a_keyboard_drop_down(
    live_server, output_dir, wrapper, chromium
):
    """In Chromium: a "Mes services" control opens the list; arrows, Home/End, Escape work."""
    from playwright.sync_api import expect

    from tests.support.browser import close_contexts

    service = service_app(live_server, wrapper)
    with serve_wsgi(service, free_port()) as service_url:
        browser = chromium
        try:
            page = browser.new_page(locale="fr-FR")
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "console",
                lambda message: errors.append(message.text) if message.type == "error" else None,
            )
            page.goto(service_url)
            if wrapper == "list":
                button = page.get_by_role("button", name="Mes services")
                expect(button).to_have_attribute("aria-expanded", "false")
            else:
                button = page.locator("summary")
            first = page.get_by_role("link", name="Formadist")
            expect(first).to_be_hidden()
            page.screenshot(path=str(output_dir / "1-closed.png"))

            button.focus()
            page.keyboard.press("Enter")
            expect(first).to_be_visible()
            if wrapper == "list":
                expect(button).to_have_attribute("aria-expanded", "true")
            page.keyboard.press("ArrowDown")
            expect(first).to_be_focused()
            page.keyboard.press("ArrowDown")
            expect(page.get_by_role("link", name="Mon compte formation")).to_be_focused()
            page.keyboard.press("End")
            expect(page.get_by_role("link", name="E-communautés")).to_be_focused()
            page.keyboard.press("ArrowDown")  # wraps around
            expect(first).to_be_focused()
            page.keyboard.press("Home")
            expect(first).to_be_focused()
            page.screenshot(path=str(output_dir / "2-open.png"))

            page.keyboard.press("Escape")
            expect(button).to_be_focused()
            if wrapper == "list":
                expect(button).to_have_attribute("aria-expanded", "false")
            expect(first).to_be_hidden()

            button.click()  # a click opens it, a click elsewhere closes it
            expect(first).to_be_visible()
            page.locator("h1").click()
            expect(first).to_be_hidden()
            assert errors == []
        finally:
            close_contexts(browser)
