"""The admin pages' layout in headless Chromium: the accounts search box on a phone (390 px)
and the audit table on a laptop (1280 px), measured with Playwright."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from idp.audit.models import AuditEvent
from idp.core.extensions import db
from tests.support.accounts import PASSWORD, make_admin
from tests.support.browser import sign_in_with_password

EMAIL = "ada.admin@example.org"
LONG_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 " * 5


@pytest.fixture
def settings(settings):
    return {**settings, "RATELIMIT_ENABLED": False, "ADMIN_REQUIRE_MFA": False}


# The event labels whose box is narrower than their longest word: a word cut in two.
WORDS_CUT = """el => [...el.querySelectorAll('a.audit-type')].filter(a => {
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = getComputedStyle(a).font;
  const words = a.textContent.trim().split(/\\s+/);
  const longest = Math.max(...words.map(w => ctx.measureText(w).width));
  return a.getBoundingClientRect().width + 1 < longest;
}).map(a => a.textContent)"""


def _admin_signed_in(app, page, live_server: str) -> None:
    account_id = make_admin(app, EMAIL)
    with app.app_context():
        for n in range(3):  # long values: a user agent, a scope, an e-mail domain
            db.session.add(
                AuditEvent(
                    type="token.issued",
                    account_id=account_id,
                    client_id=f"client-{'x' * 40}-{n}",
                    ip_address="2001:db8:85a3:8d3:1319:8a2e:370:7348",
                    user_agent=LONG_AGENT[:300],
                    details={"scope": "openid profile email phone address offline_access"},
                )
            )
        for kind in ("factor.totp_added", "admin.granted"):  # labels with long words
            db.session.add(AuditEvent(type=kind, account_id=account_id, details={"first": True}))
        db.session.commit()
    sign_in_with_password(page, live_server, EMAIL, PASSWORD)


@pytest.mark.browser
def test_search_box_on_a_phone_and_audit_table_on_a_laptop(app, live_server, page, shot):
    """390 px: the search box spans the form and is at least 44 px tall. 1280 px: the audit
    table fits the page (nothing off the right edge) in a keyboard-focusable named region."""
    _admin_signed_in(app, page, live_server)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/admin/users")
    box = page.locator("input[type=search]").bounding_box()
    form = page.locator("form[role=search]").bounding_box()
    assert box["height"] >= 44, box
    assert box["width"] >= form["width"] - 2 * 24, (box, form)  # the card's padding aside
    shot("users-390")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server + "/admin/audit")
    region = page.get_by_role("region", name="Événements, du plus récent au plus ancien")
    expect(region).to_have_attribute("tabindex", "0")
    sizes = region.evaluate(
        "el => [el.scrollWidth, el.clientWidth, document.documentElement.scrollWidth]"
    )
    assert sizes[0] <= sizes[1] + 1, sizes  # the table fits its column: no hidden columns
    assert sizes[2] <= 1280, sizes  # and the page has no horizontal scroll
    region.focus()
    expect(region).to_be_focused()
    shot("audit-1280")


@pytest.mark.browser
def test_activity_reads_as_cards_and_the_audit_table_scrolls_on_a_phone(
    app, live_server, page, shot
):
    """390 px: "Mon activité récente" fits the screen, each event a card whose values follow
    their column's name ("Application : …"); the audit table scrolls inside its region
    instead of squeezing its columns until words break mid-word."""
    _admin_signed_in(app, page, live_server)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/account/data")
    table = page.get_by_role("table", name="Mon activité récente")
    sizes = table.evaluate("el => [el.getBoundingClientRect().right, el.parentElement.clientWidth]")
    assert sizes[0] <= 390, sizes  # within the screen, nothing cut
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    cell = page.get_by_role("row").nth(1).get_by_role("cell").nth(2)  # row 0: the headers
    shown = cell.evaluate("td => [getComputedStyle(td, '::before').content, td.innerText]")
    assert shown == ['"Application : "', "—"], shown  # the name drawn before the value
    expect(page.get_by_role("columnheader", name="Application")).to_be_attached()
    shot("activity-390")

    page.goto(live_server + "/admin/audit")
    region = page.get_by_role("region", name="Événements, du plus récent au plus ancien")
    sizes = region.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert sizes[0] > sizes[1], sizes  # it scrolls (the keyboard reaches the region)
    narrowest = region.evaluate(
        "el => Math.min(...[...el.querySelectorAll('tbody td')].map(td => td.offsetWidth))"
    )
    assert narrowest >= 128, narrowest  # 8rem each: it scrolls rather than squeezes
    shot("audit-390")
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert region.evaluate(WORDS_CUT) == [], width
