"""The registration form in Chromium: the "Afficher le mot de passe" button, the live
checklist and its spoken summary, and the focus on the error summary after a failed
submit, with no rule left ticked for the emptied password field."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect


@pytest.mark.browser
def test_password_toggle_checklist_and_error_focus(live_server, page, shot):
    """Toggle shows/hides the password and keeps focus; the live region counts met rules;
    after a failed submit the focus is on the summary and the checklist is blank."""
    page.goto(live_server + "/register")
    password = page.locator("#password")
    toggle = page.locator("#password + button.password-toggle")
    assert toggle.inner_text() == "Afficher le mot de passe"
    assert toggle.get_attribute("aria-pressed") is None  # the label alone says the state

    password.fill("abcdefgh")
    summary = page.locator("#password-rules-summary")
    assert summary.get_attribute("aria-live") == "polite"
    assert summary.inner_text() == "Critères respectés : 2 sur 4"  # length, no name
    password.fill("Formation#2026")
    assert summary.inner_text() == "Critères respectés : 4 sur 4"

    toggle.click()
    assert password.get_attribute("type") == "text"
    assert toggle.inner_text() == "Masquer le mot de passe"
    assert page.evaluate("document.activeElement.classList.contains('password-toggle')")
    shot("password-shown")

    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#form-errors")).to_be_focused()
    page.wait_for_load_state("load")  # every deferred script has run
    assert password.input_value() == "" and password.get_attribute("type") == "password"
    assert page.locator("#password-rules li.ok, #password-rules li.ko").count() == 0
    assert summary.inner_text() == ""
    shot("failed-submit")
