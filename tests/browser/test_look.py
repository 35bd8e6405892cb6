"""Compte's pages at night and on phones, as Chromium draws them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.contrast import background_luminance, text_contrast

pytestmark = pytest.mark.browser


@pytest.fixture
def backend() -> str:
    """Colours and sizes do not depend on the database: SQLite only."""
    return "sqlite"


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_text_keeps_its_contrast_in_dark_and_light_mode(live_server, page: Page, scheme, shot):
    """Following prefers-color-scheme, a form with errors keeps 4.5:1 or more for body text,
    links, the main button and the error messages (dark mode really is dark)."""
    page.emulate_media(color_scheme=scheme)
    page.goto(live_server + "/register")
    page.locator("main form [name=submit]").first.click()
    errors = page.locator("main .error")
    expect(errors.first).to_be_visible()
    shot(f"register-errors-{scheme}")
    body = page.locator("main h1")
    assert (background_luminance(body) < 0.05) == (scheme == "dark")
    checked = {
        "body text": page.locator("main label").first,
        "link": page.locator(".site-header nav a").first,
        "button": page.locator("main form [name=submit]").first,
        "error": errors.first,
        "hint": page.locator("main .hint").first,
        "footer": page.locator(".site-footer p").last,
    }
    ratios = {name: round(text_contrast(element), 2) for name, element in checked.items()}
    assert all(value >= 4.5 for value in ratios.values()), ratios


def test_header_targets_are_big_enough_on_a_phone(live_server, page: Page, shot):
    """At 390 px every link and button of the header (the language switch included) is a
    target of at least 24×24 px (axe target-size, WCAG 2.5.8)."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/login")
    shot("login-390")
    targets = page.locator(".site-header a, .site-header button")
    assert targets.count() >= 3
    for index in range(targets.count()):
        box = targets.nth(index).bounding_box()
        assert box and box["width"] >= 24 and box["height"] >= 24, (
            targets.nth(index).inner_text(),
            box,
        )
