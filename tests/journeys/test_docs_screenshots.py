"""The pictures of docs/screenshots/: the main pages at 1280 and 390 px, light and dark.
Skipped unless COMPTE_DOCS_SCREENSHOTS=1 (`scripts/screenshots` sets it), so the suite
does not pay for them; axe checks these pages like every other (tests/support/browser.py)."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect

from tests.journeys.conftest import DOCS_SCREENSHOTS
from tests.journeys.helpers import solve_captcha, submit, url_matching
from tests.support.accounts import PASSWORD, make_account

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("COMPTE_DOCS_SCREENSHOTS") != "1",
        reason="writes docs/screenshots/: run scripts/screenshots",
    ),
]

WIDTHS = (1280, 390)
SCHEMES = ("light", "dark")


def photograph(page: Page, name: str) -> None:
    """docs/screenshots/<name>-<width>[-dark].png for each width and colour scheme; the
    page is left at 1280 px, light."""
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            suffix = "" if scheme == "light" else "-dark"
            page.screenshot(
                path=str(DOCS_SCREENSHOTS / f"{name}-{width}{suffix}.png"), full_page=True
            )
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_docs_screenshots(app, page: Page, stack):
    """Login, registration with an error, check your mail, Mes services, profile,
    security, and Formadist with its services' menu open."""
    compte, formadist = stack["compte"], stack["formadist"]["url"]
    make_account(app, "ivan@example.org")

    page.goto(compte + "/login")
    photograph(page, "login")

    page.goto(compte + "/register")
    page.locator("input[name=civility][value=m]").check()
    page.locator("#given_name").fill("Ivan")
    page.locator("#family_name").fill("Pierre")
    page.locator("#birthdate").fill("1985-04-12")
    page.locator("#email").fill("ivan.pierre@example.org")
    page.locator("#email_confirm").fill("ivan.pierre@example.com")
    page.locator("#password").fill("Formation#2026")
    page.locator("#password_confirm").fill("Formation#2026")
    solve_captcha(page, stack["captcha"])
    page.locator("#accept_terms").check()
    submit(page)
    expect(page.get_by_role("alert")).to_contain_text("Confirmation du courriel")
    photograph(page, "register-error")

    page.locator("#email_confirm").fill("ivan.pierre@example.org")
    for name in ("password", "password_confirm"):
        page.locator(f"#{name}").fill("Formation#2026")
    if page.locator("input[name=captcha_answer]").count():
        solve_captcha(page, stack["captcha"])
    submit(page)
    page.wait_for_url(re.compile(r".*/register/check-email"))
    photograph(page, "check-email")

    page.goto(formadist + "/")
    page.wait_for_url(url_matching(compte + "/login"))
    page.locator("#identifier").fill("ivan@example.org")
    page.locator("#password").fill(PASSWORD)
    submit(page)
    page.wait_for_url(url_matching(formadist + "/"))
    menu = page.get_by_role("navigation", name="Mes services")
    menu.locator("summary").click()
    expect(menu.get_by_role("link", name=re.compile("E-communautés"))).to_be_visible()
    photograph(page, "formadist-menu-open")

    for path, name in (("/", "mes-services"), ("/account", "profile")):
        page.goto(compte + path)
        photograph(page, name)
    page.goto(compte + "/account/security")
    photograph(page, "security")
