"""axe-core (WCAG 2.2 AA) in a real browser, the Content-Security-Policy on: the checker
itself, and the header every page shares, at 1280 and 390 px."""

from __future__ import annotations

import pytest

from tests.support.accessibility import axe_violations, check_accessibility
from tests.support.accounts import PASSWORD, make_account

pytestmark = pytest.mark.browser

EMAIL = "ivan@example.org"


def test_axe_runs_while_the_pages_csp_stays_enforced(live_server, page):
    """The login page is served with its CSP; axe runs in it, and an inline script added
    to the page is still refused by the browser (the CSP was not bypassed)."""
    response = page.goto(live_server + "/login")
    policy = response.headers.get("content-security-policy", "")
    assert "script-src" in policy and "'unsafe-inline'" not in policy.split("script-src")[1]
    assert isinstance(axe_violations(page), list)
    assert page.evaluate("() => axe.version").startswith("4.")
    ran = page.evaluate(
        """() => {
          const script = document.createElement('script');
          script.textContent = 'window.inlineRan = true';
          document.head.append(script);
          return window.inlineRan === true;
        }"""
    )
    assert not ran, "an inline script ran: the page's CSP is not enforced"


def test_the_header_links_are_large_enough_on_a_phone(app, live_server, page):
    """Signed out (Se connecter, Créer un compte) and signed in (Mes services, Mon profil,
    Se déconnecter): no axe violation at 1280 nor 390 px, target-size included."""
    make_account(app, EMAIL)
    page.goto(live_server + "/login")
    check_accessibility(page)
    page.locator("#identifier").fill(EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(live_server + "/")
    check_accessibility(page)
