"""Issue 11, defect 3, over real HTTP between Compte and Formadist: a convocation link,
a new account, the confirmation mail, one login, and the person is on the course."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from html import unescape
from urllib.parse import urljoin

import pytest
import requests

from tests.clients.browser import form_with, login_at_compte, submit
from tests.clients.stack import start_services
from tests.support.captcha import captcha_fields, record_captcha_answers
from tests.support.forms import person
from tests.support.mail import wait_for_mail
from tests.support.registration import confirm_link

EMAIL = "convoquee@example.org"
PASSWORD = "Formation#2026"


@pytest.fixture
def services(app, live_server, tmp_path) -> Iterator[dict[str, dict]]:
    with ExitStack() as stack:
        yield start_services(app, live_server, tmp_path, stack)


def test_convocation_link_register_confirm_login_lands_on_the_course(
    app, services, live_server, smtp_sink
):
    """Formadist's convocation link → Compte (naming Formadist) → "Créer un compte" → the
    mail → confirm → login → Formadist's page of that course, never its home page."""
    answers = record_captcha_answers(app)
    browser = requests.Session()
    convocation = services["formadist"]["url"] + "/invitation?formation=NUMERIQUE-2026"
    login_page = browser.get(convocation, timeout=15)
    assert login_page.url.startswith(live_server + "/login")
    assert "Pour accéder à Formadist, connectez-vous." in login_page.text

    create = re.search(r'href="(/register\?[^"]*)"[^>]*>\s*Créer un compte', login_page.text)
    form_page = browser.get(urljoin(live_server, unescape(create.group(1))), timeout=15)
    assert "Créez votre compte pour accéder à Formadist." in form_page.text
    form = form_with(form_page, "captcha_id")
    fields = {**person(email=EMAIL, password=PASSWORD), **captcha_fields(answers, form_page.text)}
    sent = submit(browser, form, **fields)
    assert sent.url.endswith("/register/check-email"), sent.url

    confirmed = browser.get(confirm_link(wait_for_mail(smtp_sink, EMAIL)), timeout=15)
    assert confirmed.url.startswith(live_server + "/login")
    course = login_at_compte(browser, confirmed, EMAIL, PASSWORD)
    assert course.url == convocation
    assert "Le numérique au service des usagers" in course.text
