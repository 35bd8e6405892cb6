"""The cnfpt registration walked in headless Chromium as a person would: fill every field,
solve the captcha, read the mail from the sink, open the link, land on the login page with
the e-mail filled, log in. A screenshot of each page goes to test-output/<test>/."""

from __future__ import annotations

import re

import pytest

from tests.support.captcha import record_captcha_answers
from tests.support.mail import links_in, wait_for_mail
from tests.support.registration import add_service

EMAIL = "pierreivan@yopmail.com"
PASSWORD = "Formation#2026"


def fill_identity(page) -> None:
    """Every field of the registration form but the password, the captcha and the terms."""
    page.get_by_label("Monsieur", exact=True).check()
    page.get_by_label("Prénom").fill("Ivan")
    page.get_by_label("Nom", exact=True).fill("Pierre")
    page.get_by_label("Nom de naissance").fill("Pierre")
    page.get_by_label("Date de naissance").fill("1985-05-01")
    page.locator("#email").fill(EMAIL)
    page.locator("#email_confirm").fill(EMAIL)
    page.get_by_label("Courriel secondaire").fill("ivan.perso@yopmail.com")
    page.get_by_label("Téléphone fixe").fill("01 23 45 67 89")
    page.get_by_label("Téléphone mobile").fill("06 12 34 56 78")
    page.get_by_label("Numéro de sécurité sociale", exact=True).fill("1 85 05 78 006 084 91")


@pytest.mark.browser
def test_cnfpt_registration_in_a_browser(app, live_server, page, shot, smtp_sink):
    """Register, confirm from the mail, log in: every page is usable and photographed."""
    answers = record_captcha_answers(app)
    add_service(app, "Formadist", "https://formadist.example", "Formation à distance du CNFPT")
    page.goto(live_server + "/login")
    shot("login")
    page.get_by_role("link", name="Créer un compte").first.click()
    page.wait_for_url("**/register")
    assert page.get_by_role("heading", name="Créer mon compte").is_visible()
    shot("register-empty")

    fill_identity(page)

    # The live checklist: a name inside the password is flagged while typing.
    page.locator("#password").fill("Ivan2026")
    assert "ko" in page.locator('li[data-rule="no_name"]').get_attribute("class")
    assert "ok" in page.locator('li[data-rule="min_length"]').get_attribute("class")
    page.locator("#password").fill(PASSWORD)
    for rule in ("min_length", "non_letter", "upper", "no_name"):
        assert "ok" in page.locator(f'li[data-rule="{rule}"]').get_attribute("class")
    page.locator("#password_confirm").fill(PASSWORD)

    challenge = page.locator('input[name="captcha_id"]').input_value()
    assert page.locator("img.captcha-image").is_visible()
    page.locator('input[name="captcha_answer"]').fill(answers[challenge])
    page.get_by_label("J'ai lu et j'accepte les conditions d'utilisation").check()
    shot("register-filled")
    page.get_by_role("button", name="Créer mon compte").click()

    page.wait_for_url("**/register/check-email")
    assert page.get_by_role("heading", name="Vérifiez votre boîte mail").is_visible()
    assert EMAIL in page.content()
    shot("check-email")

    mail = wait_for_mail(smtp_sink, EMAIL)
    assert mail.text.startswith("Bonjour Ivan,") and "Formadist" in mail.text
    link = next(u for u in links_in(mail) if "/register/confirm/" in u)
    assert link.startswith(live_server)
    page.goto("about:blank")
    page.set_content(mail.message.get_body(preferencelist=("html",)).get_content())
    shot("confirmation-mail")
    page.get_by_role("link", name=re.compile("Confirmer mon adresse")).click()

    page.wait_for_url(re.compile(r".*/login\?identifier=.*"))
    assert page.locator("#identifier").input_value() == EMAIL
    assert "Votre compte est activé" in page.content()
    shot("login-prefilled")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(live_server + "/")
    assert page.get_by_role("heading", name="Mes services").is_visible()
    shot("my-services")


@pytest.mark.browser
def test_the_live_checklist_leaves_common_passwords_to_the_server(app, live_server, page, shot):
    """While typing, the common-password line is never ticked (only the server holds the
    list); a submitted common password comes back refused, with the reason under the field
    and that line marked; typing a new password clears the server's mark."""
    answers = record_captcha_answers(app)
    page.goto(live_server + "/register")
    fill_identity(page)
    common = page.locator('li[data-rule="not_common"]')
    assert "(vérifié à l'envoi)" in common.inner_text()

    page.locator("#password").fill("Azerty123")
    for rule in ("min_length", "non_letter", "upper", "no_name"):
        assert "ok" in page.locator(f'li[data-rule="{rule}"]').get_attribute("class")
    assert not re.search(r"\b(ok|ko)\b", common.get_attribute("class") or "")
    page.locator("#password_confirm").fill("Azerty123")
    challenge = page.locator('input[name="captcha_id"]').input_value()
    page.locator('input[name="captcha_answer"]').fill(answers[challenge])
    page.get_by_label("J'ai lu et j'accepte les conditions d'utilisation").check()
    page.get_by_role("button", name="Créer mon compte").click()

    page.wait_for_load_state()
    error = page.locator("#password-error")
    assert error.inner_text() == (
        "Ce mot de passe figure parmi les plus utilisés ou divulgués : choisissez-en un autre."
    )
    assert "ko" in common.get_attribute("class")
    shot("common-password-refused")
    page.locator("#password").fill("Vertige-Cobalt-47")
    assert not re.search(r"\b(ok|ko)\b", common.get_attribute("class") or "")
    assert "ok" in page.locator('li[data-rule="upper"]').get_attribute("class")
