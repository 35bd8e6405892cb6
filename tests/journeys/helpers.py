"""Steps shared by the journeys."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.mail import links_in, wait_for_mail


def url_matching(prefix: str) -> re.Pattern:
    return re.compile("^" + re.escape(prefix))


def submit(page: Page) -> None:
    """Press the form's main button (the big primary one)."""
    page.locator("main form [name=submit]").first.click()


def solve_captcha(page: Page, answers: dict) -> None:
    challenge = page.locator("input[name=captcha_id]").input_value()
    page.locator("input[name=captcha_answer]").fill(answers[challenge])


def confirm_by_mail(page: Page, sink, email: str) -> str:
    """Read the confirmation mail from the SMTP sink and open its link."""
    mail = wait_for_mail(sink, email, timeout=20)
    link = next(u for u in links_in(mail) if "/register/confirm/" in u)
    page.goto(link)
    return mail.text


def sign_out_everywhere(page: Page, service_url: str) -> None:
    """Press "Se déconnecter" in a service and follow Compte's logout to the service's
    "logged out" page (confirming at Compte when it asks)."""
    page.get_by_role("button", name="Se déconnecter").click()
    for _ in range(3):
        try:
            page.wait_for_url(url_matching(service_url + "/logged-out"), timeout=5_000)
            return
        except Exception:  # noqa: BLE001 — Compte shows a page first: continue from it
            button = page.locator("main").get_by_role(
                "button", name=re.compile("déconnecter|continuer", re.I)
            )
            link = page.locator("main").get_by_role("link", name=re.compile("continuer", re.I))
            if button.count():
                button.first.click()
            elif link.count():
                link.first.click()
    expect(page).to_have_url(url_matching(service_url + "/logged-out"))
