"""The cnfpt registration with the keyboard alone (Tab, typing, Space, Enter; never a
click): one mistake, corrected from the error list, then the mail's link. Every element the
Tab key reaches shows a focus ring; axe checks each page on the way (tests/support/browser.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.captcha import record_captcha_answers
from tests.support.mail import links_in, wait_for_mail

pytestmark = pytest.mark.browser

EMAIL = "ivan.pierre@example.org"
PASSWORD = "Formation#2026"

# The focused element, whether it is the one sought, and whether a person sees it: on
# screen, with an outline (or a shadow) drawn around it.
_FOCUS = """(selector) => {
  const el = document.activeElement;
  if (!el || el === document.body) return {found: false, seen: true, what: 'body'};
  const style = getComputedStyle(el);
  // Inside a date field, Tab also stops on the browser's own calendar button, which the
  // browser rings itself (the field is then :focus-within, not :focus).
  const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== 'none' || !el.matches(':focus');
  const box = el.getBoundingClientRect();
  const onScreen = box.width > 0 && box.height > 0 && box.bottom > 0
    && box.top < window.innerHeight && box.right > 0 && box.left < window.innerWidth;
  return {found: el.matches(selector), seen: ring && onScreen,
    what: `${el.outerHTML.slice(0, 160)} (outline ${style.outlineStyle} ${style.outlineWidth},`
      + ` box at ${Math.round(box.left)},${Math.round(box.top)})`};
}"""


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until `selector` has the focus; each element reached must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUS, selector)
        assert focus["seen"], f"the focus is not visible on {focus['what']}"
        if focus["found"]:
            return
    pytest.fail(f"{selector} cannot be reached with the Tab key")


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def test_registration_with_the_keyboard_only(app, live_server, page, shot, smtp_sink):
    """Login page → Tab to "Créer un compte" → the form typed with a wrong e-mail
    confirmation → Enter → the error list; its link leads to the field, corrected →
    captcha, terms, Enter → "Vérifiez votre boîte mail"; the mail's link confirms."""
    answers = record_captcha_answers(app)
    page.goto(live_server + "/login")
    tab_to(page, "a[href$='/register']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/register")
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer mon compte")

    tab_to(page, "input[name=civility]")
    page.keyboard.press("Space")
    type_into(page, "#given_name", "Ivan")
    type_into(page, "#family_name", "Pierre")
    type_into(page, "#birthdate", "12041985")
    type_into(page, "#email", EMAIL)
    type_into(page, "#email_confirm", "ivan.pierre@example.com")  # the mistake
    type_into(page, "#password", PASSWORD)
    type_into(page, "#password_confirm", PASSWORD)
    challenge = page.locator("input[name=captcha_id]").input_value()
    type_into(page, "#captcha_answer", answers[challenge])
    tab_to(page, "#accept_terms")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")

    page.wait_for_load_state()
    errors = page.get_by_role("alert")
    expect(errors).to_contain_text("Confirmation du courriel")
    shot("register-error")
    # Nothing typed is lost but the mistake; the error list's link leads to the field.
    expect(page.locator("#given_name")).to_have_value("Ivan")
    expect(page.locator("#email")).to_have_value(EMAIL)
    tab_to(page, "#form-errors a[href='#email_confirm']")
    page.keyboard.press("Enter")
    tab_to(page, "#email_confirm")  # the next Tab from the anchor, or the field itself
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(EMAIL)
    for name in ("password", "password_confirm"):  # passwords are never sent back
        if not page.locator(f"#{name}").input_value():
            type_into(page, f"#{name}", PASSWORD)
    if page.locator("#captcha_answer").count():  # a new challenge after the error
        challenge = page.locator("input[name=captcha_id]").input_value()
        type_into(page, "#captcha_answer", answers[challenge])
    if not page.locator("#accept_terms").is_checked():
        tab_to(page, "#accept_terms")
        page.keyboard.press("Space")
    tab_to(page, "button[type=submit].register-submit, input[type=submit].register-submit")
    page.keyboard.press("Enter")

    # The fragment of the error list's link stays on through the redirect (as browsers do).
    page.wait_for_url(re.compile(r".*/register/check-email(#email_confirm)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre boîte mail")
    expect(page.locator("main")).to_contain_text(EMAIL)
    shot("check-email")

    link = next(u for u in links_in(wait_for_mail(smtp_sink, EMAIL)) if "/register/confirm/" in u)
    page.goto(link)
    page.wait_for_url("**/login?identifier=*")
    expect(page.locator("main")).to_contain_text("Votre compte est activé")
    expect(page.locator("#identifier")).to_have_value(EMAIL)
