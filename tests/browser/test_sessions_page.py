"""The sessions page in headless Chromium, with the keyboard only: two browsers signed in;
from the first, reach the other browser's "Se déconnecter de cet appareil" by Tab and
press Enter; the other browser is signed out. Screenshots go to test-output/<test>/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.accounts import PASSWORD, make_account
from tests.support.browser import sign_in_with_password

EMAIL = "ivan@example.org"


@pytest.fixture
def settings(settings):
    return {**settings, "RATELIMIT_ENABLED": False}


def _sign_in(page, live_server: str) -> None:
    sign_in_with_password(page, live_server, EMAIL, PASSWORD)


@pytest.mark.browser
def test_signing_out_another_browser_with_the_keyboard(app, live_server, page, shot, chromium):
    """Headings name each browser, this one first; Tab reaches the other browser's button
    (its accessible name says which browser); Enter signs that browser out."""
    make_account(app, EMAIL)
    other_context = chromium.new_context(locale="fr-FR")
    try:
        other = other_context.new_page()
        _sign_in(other, live_server)
        _sign_in(page, live_server)
        page.goto(live_server + "/account/sessions")
        expect(page.get_by_role("heading", level=1)).to_have_text("Vos appareils et sessions")
        entries = page.get_by_role("list", name="Navigateurs connectés").locator(":scope > li")
        expect(entries).to_have_count(2)
        expect(entries.first.get_by_role("heading", level=2)).to_contain_text("Cet appareil")
        shot("sessions")

        button = entries.nth(1).get_by_role(
            "button", name=re.compile(r"^Se déconnecter de cet appareil — .*dernière activité")
        )
        for _ in range(60):  # Tab through the page until the button has the focus
            page.keyboard.press("Tab")
            if button.evaluate("element => element === document.activeElement"):
                break
        else:
            pytest.fail("the button cannot be reached with the Tab key")
        page.keyboard.press("Enter")
        expect(page.get_by_text("L’appareil a été déconnecté.")).to_be_visible()
        expect(entries).to_have_count(1)
        shot("after-signing-out-the-other")

        other.goto(live_server + "/account")
        expect(other).to_have_url(re.compile(r"/login"))
    finally:
        other_context.close()
