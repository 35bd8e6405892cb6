"""The captcha over real HTTP: answers readable by live-server tests, and captcha.js."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest

from tests.captcha.conftest import FORM_URL, csrf_in
from tests.support.captcha import captcha_fields

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def test_live_server_tests_can_read_answers(form_app, live_server, captcha_answers):
    """Over HTTP, the recorder still gives the answer of the page's captcha; it passes."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(live_server + FORM_URL).read().decode()
    data = {"csrf_token": csrf_in(page), "name": "Ivan", **captcha_fields(captcha_answers, page)}
    body = urllib.parse.urlencode(data).encode()
    assert opener.open(live_server + FORM_URL, data=body).read().decode() == "accepted:Ivan"


@pytest.mark.browser
def test_script_renews_in_place_and_enter_submits(
    form_app, live_server, captcha_answers, output_dir, chromium
):
    """In Chromium: "Nouveaux caractères" swaps image and sound without reloading (CSP
    respected, no console error); Enter in the answer field submits the form itself."""
    from playwright.sync_api import expect

    from tests.support.browser import close_contexts

    browser = chromium
    try:
        page = browser.new_page(locale="fr-FR")
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(  # CSP violations and script errors; failed loads are checked below
            "console",
            lambda message: (
                errors.append(message.text)
                if message.type == "error" and "Failed to load resource" not in message.text
                else None
            ),
        )
        page.on(
            "response",
            lambda response: (
                errors.append(f"{response.status} {response.url}")
                if response.status >= 400 and not response.url.endswith("/favicon.ico")
                else None
            ),
        )
        page.goto(live_server + FORM_URL)
        image = page.locator("img.captcha-image")
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") == 280
        old_id = page.locator('input[name="captcha_id"]').input_value()
        page.evaluate("window.notReloaded = true")
        page.get_by_label("Nom").fill("Ivan")
        page.get_by_label("Caractères affichés dans l'image").fill("zzz")
        page.screenshot(path=str(output_dir / "1-before.png"), full_page=True)

        page.get_by_role("button", name="Nouveaux caractères").click()
        expect(image).not_to_have_attribute("src", re.compile(re.escape(old_id)))
        new_id = page.locator('input[name="captcha_id"]').input_value()
        assert new_id != old_id and page.evaluate("window.notReloaded") is True
        expect(page.locator("audio.captcha-audio")).to_have_attribute(
            "src", f"/captcha/{new_id}.wav"
        )
        expect(page.locator("a.captcha-audio-link")).to_have_attribute(
            "href", f"/captcha/{new_id}.wav"
        )
        answer = page.get_by_label("Caractères affichés dans l'image")
        expect(answer).to_have_value("")
        expect(answer).to_be_focused()
        expect(page.get_by_role("status")).to_contain_text("nouveaux caractères", ignore_case=True)
        expect(image).to_have_js_property("complete", True)
        page.screenshot(path=str(output_dir / "2-renewed.png"), full_page=True)

        answer.fill(captcha_answers[new_id].lower())
        answer.press("Enter")
        expect(page.locator("body")).to_have_text("accepted:Ivan")
        assert errors == []
    finally:
        close_contexts(browser)
