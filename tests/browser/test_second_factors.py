"""Adding an authenticator app in headless Chromium with the keyboard alone: the QR code
and its text alternative, a wrong code then the right one, the recovery codes downloaded
as .txt, back to "Sécurité". A screenshot of each page goes to test-output/<test>/."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from tests.support.accounts import PASSWORD, make_account
from tests.support.browser import sign_in_with_password

EMAIL = "ivan@example.org"


@pytest.fixture
def settings(settings):
    return {**settings, "EMAIL_CODE_FACTOR": True}


def _tab_to(page, name: str, tag: str = "A", limit: int = 60) -> None:
    """Press Tab until the focused element is a `tag` whose label or text starts with
    `name` (a person using the keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " const text = e.labels && e.labels[0] ? e.labels[0].textContent : e.textContent;"
            " return [e.tagName, (text || '').trim()]; }"
        )
        if focused[0] == tag and focused[1].startswith(name):
            return
    raise AssertionError(f"{name!r} cannot be reached with Tab")


@pytest.mark.browser
def test_add_an_authenticator_app_with_the_keyboard(app, live_server, page, shot, smtp_sink):
    """Every step is reachable with Tab and Enter; the QR code has a text alternative and
    the key is written out; a wrong code is explained; the codes download as a .txt."""
    make_account(app)
    sign_in_with_password(page, live_server, EMAIL, PASSWORD)

    page.goto(live_server + "/account/security")
    assert page.get_by_role("heading", name="Sécurité", level=1).is_visible()
    shot("security")
    _tab_to(page, "Ajouter une application d'authentification")
    page.keyboard.press("Enter")
    page.wait_for_url("**/account/security/totp")
    qr = page.get_by_role("img", name=re.compile("QR code de configuration"))
    assert qr.is_visible()
    secret = page.locator("code.totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    code_field = page.get_by_label("Code à 6 chiffres affiché par l'application")
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    assert code_field.get_attribute("inputmode") == "numeric"
    shot("totp-add")

    _tab_to(page, "Code à 6 chiffres", "INPUT")
    page.keyboard.type("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.keyboard.press("Enter")
    page.locator("#code-error").wait_for()
    assert page.get_by_role("alert").first.is_visible()
    assert "vérifiez que l'heure de votre téléphone" in page.locator("#code-error").inner_text()
    assert page.get_by_label("Code à 6 chiffres").get_attribute("aria-invalid") == "true"
    shot("totp-wrong-code")

    _tab_to(page, "Code à 6 chiffres", "INPUT")
    page.keyboard.type(pyotp.TOTP(secret).now())
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Vos codes de secours").wait_for()
    codes = page.locator("ol.recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    # Shown by accounts-recovery.js (deferred): wait for it rather than read at once.
    expect(page.get_by_role("button", name="Copier les codes")).to_be_visible()
    expect(page.get_by_role("button", name="Imprimer")).to_be_visible()
    shot("recovery-codes")

    _tab_to(page, "Télécharger (.txt)")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "codes-de-secours.txt"
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert all(code in saved for code in codes) and EMAIL in saved

    _tab_to(page, "J'ai noté mes codes, continuer")
    page.keyboard.press("Enter")
    page.wait_for_url("**/account/security")
    assert "Activée." in page.content()
    assert "Il vous reste 10 codes de secours." in page.content()
    shot("security-with-app")
