"""A demo service's header on a phone: its "Mes services" menu behaves like Compte's
launcher widget and never hides "Se déconnecter"; its colours hold at night."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.journeys.helpers import url_matching
from tests.support.accounts import PASSWORD, make_account
from tests.support.contrast import text_contrast

pytestmark = pytest.mark.browser

EMAIL = "ivan@example.org"


def test_services_menu_on_a_phone_closes_like_the_widget_and_keeps_logout_reachable(
    page: Page, stack, shots
):
    """At 390 px: header targets of 44 px; Escape closes the menu and gives focus back to
    its button; a click elsewhere closes it; open, "Se déconnecter" stays visible and
    clickable (nothing covers it); in dark mode the text keeps 4.5:1."""
    make_account(stack["app"], EMAIL)
    formadist = stack["formadist"]["url"]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(formadist + "/")
    page.wait_for_url(url_matching(stack["compte"] + "/login"))
    page.locator("#identifier").fill(EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(url_matching(formadist + "/"))

    menu = page.get_by_role("navigation", name="Mes services")
    expect(menu).to_have_class("rp-launcher compte-launcher-enhanced")  # the widget ran
    button, entries = menu.locator("summary"), menu.locator("ul")
    logout = page.get_by_role("button", name="Se déconnecter")
    for target in (button, logout, page.get_by_role("link", name="Mon compte")):
        box = target.bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44, box

    button.click()
    expect(entries).to_be_visible()
    page.keyboard.press("Escape")
    expect(entries).to_be_hidden()
    expect(button).to_be_focused()

    button.click()
    expect(entries).to_be_visible()
    page.locator("main h1").click()
    expect(entries).to_be_hidden()

    button.click()
    expect(entries).to_be_visible()
    shots(page, "formadist-390-menu-open")
    expect(logout).to_be_in_viewport()
    # The element drawn at the middle of the button is the button: the menu is not on it.
    assert logout.evaluate(
        """button => { const r = button.getBoundingClientRect();
        const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return button.contains(hit); }"""
    )

    page.emulate_media(color_scheme="dark")
    shots(page, "formadist-390-dark")
    for element in (
        page.locator("main p").first,
        page.locator("main p.card"),  # no course yet for this new account
        page.get_by_role("link", name="Mon compte", exact=True),
        menu.locator("li a").first,
    ):
        assert text_contrast(element) >= 4.5
