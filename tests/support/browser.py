"""Playwright fixtures for every browser test: ONE headless Chromium (/usr/bin/chromium)
per test session — Playwright's sync API allows a single instance per thread.

@pytest.mark.browser
def test_x(live_server, page, shot):
    page.goto(live_server + "/register")
    shot("register")          # test-output/<test>/01-register.png
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.accessibility import AccessibilityWatch, watch_actions

CHROMIUM = os.environ.get("COMPTE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    """The session's headless Chromium (missing: skipped with the reason, failed in CI)."""
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium, monkeypatch) -> Iterator:
    """A fresh browser context (no cookies) and page, in French, 1280×900; axe checks every
    page it visits at 1280 and 390 px (tests/support/accessibility.py)."""
    context = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    watch = AccessibilityWatch(tab)
    watch_actions(tab, watch, monkeypatch.setattr)
    tab.accessibility_watch = watch  # the screenshot fixtures check what they photograph
    try:
        yield tab
        watch.check()  # the last page, which no action left
    finally:
        context.close()


@pytest.fixture
def shot(page, output_dir: Path) -> Callable[[str], Path]:
    """`shot(name)` saves a full-page screenshot as output_dir/NN-name.png; returns its path."""
    counter = {"n": 0}

    def take(name: str) -> Path:
        page.accessibility_watch.check()
        counter["n"] += 1
        path = output_dir / f"{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def close_contexts(browser) -> None:
    """Close what a test opened on the shared browser (never the browser itself)."""
    for context in list(browser.contexts):
        context.close()


def sign_in_with_password(page, base: str, email: str, password: str) -> None:
    """Compte's login page, filled and sent with Enter; waits for "Mes services"."""
    page.goto(base + "/login")
    page.locator("#identifier").fill(email)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")
    page.wait_for_url(base + "/")
