"""Registration mail goes where the page says (issue 11, defects 1, 4 and 14): the
account-existence notice reaches every address of the account and the address typed; a
secondary address given at registration gets its own link; "Modifier mon adresse" on the
check-your-mail page sends a fresh link to the corrected address and kills the old one."""

from __future__ import annotations

import re
from html import unescape

import pytest

from idp.accounts.models import Account
from idp.core.clock import utcnow
from idp.core.extensions import db
from tests.support.accounts import account_by_email, login, make_account, post_form, text
from tests.support.captcha import record_captcha_answers
from tests.support.forms import EMAIL, PASSWORD
from tests.support.mail import links_in, mails_to, wait_for_mail, wait_for_subject
from tests.support.registration import confirm_link, path_of, register

SECONDARY = "ivan.perso@example.net"
NEW = "ivan.corrige@yopmail.com"
NIR = "2 55 08 14 168 025 38"


@pytest.fixture
def answers(app):
    """Characters of every captcha the app creates (test-only observer)."""
    return record_captcha_answers(app)


def _with_confirmed_secondary(app, email: str = EMAIL) -> None:
    account_id = make_account(app, email=email, secondary_email=SECONDARY)
    with app.app_context():
        db.session.get(Account, account_id).secondary_email_confirmed_at = utcnow()
        db.session.commit()


def _visible(html: str) -> str:
    """The page's text without tags, token values or whitespace differences."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'value="[^"]*"', "", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _change_address(client, new: str, confirm: str | None = None):
    return post_form(
        client, "/register/change-email", {"email": new, "email_confirm": confirm or new}
    )


# --- defect 1: the notice goes where the page says -------------------------------------


def test_the_existence_notice_reaches_both_addresses_and_the_page_names_one_of_them(
    app, client, smtp_sink, answers
):
    """Registering again with the primary address of an account whose secondary address is
    confirmed: the page names the primary address, and the notice reaches it and the
    secondary address."""
    _with_confirmed_secondary(app)
    response = register(client, answers)
    page = text(client.get(response.headers["Location"]))
    assert f"Nous avons envoyé un courriel à {EMAIL}" in _visible(page)
    notice = wait_for_subject(smtp_sink, EMAIL, "Tentative de création de compte")
    assert set(notice.recipients) == {EMAIL, SECONDARY}
    assert "Un compte existe déjà avec cette adresse" in notice.text


def test_the_page_is_the_same_for_a_known_and_a_new_address(app, client, smtp_sink, answers):
    """The check-your-mail page says the same words for an address with an account and a
    new one (no enumeration), and they are true for both: no promise of an activation link."""
    _with_confirmed_secondary(app)
    fresh_client = app.test_client()
    fresh = register(fresh_client, answers, email=NEW, email_confirm=NEW)
    fresh_page = _visible(text(fresh_client.get(fresh.headers["Location"])))
    known = register(client, answers)
    known_page = _visible(text(client.get(known.headers["Location"])))
    assert known_page.replace(EMAIL, "X") == fresh_page.replace(NEW, "X")
    assert "Cliquez sur le lien qu'il contient pour activer votre compte" not in known_page
    assert "si un compte existe déjà avec ces informations" in known_page


def test_a_nir_of_another_account_still_mails_the_address_typed(app, client, smtp_sink, answers):
    """With a NIR that is another account's, the page's "we sent a mail to <address
    typed>" stays true: that address is told no account was made, without the owner's
    address; the owner gets the notice."""
    make_account(app, email="titulaire@yopmail.com", nir="255081416802538")
    register(client, answers, nir=NIR, civility="mme", birthdate="1955-08-14")
    owner = wait_for_mail(smtp_sink, "titulaire@yopmail.com")
    assert "numéro de sécurité sociale" in owner.text
    typed = wait_for_mail(smtp_sink, EMAIL)
    assert typed.recipients == [EMAIL]
    assert "Aucun compte n'a été créé" in typed.text
    assert "titulaire" not in typed.text
    assert account_by_email(app, EMAIL) is None


# --- defect 4: the secondary address given at registration gets its link -------------


def test_a_secondary_address_given_at_registration_gets_its_link_once_the_account_is_active(
    app, client, smtp_sink, answers
):
    """The confirmation mail announces the secondary address's own link; confirming the
    account sends it to that address alone; following it confirms the address, so that
    password messages reach it."""
    register(client, answers, secondary_email=SECONDARY)
    first = wait_for_mail(smtp_sink, EMAIL)
    assert first.recipients == [EMAIL]
    assert f"Votre courriel secondaire {SECONDARY} recevra son propre lien" in first.text
    assert mails_to(smtp_sink, SECONDARY) == []  # not before the account is real
    client.get(path_of(confirm_link(first)))
    link_mail = wait_for_subject(smtp_sink, SECONDARY, "Confirmez votre courriel secondaire")
    assert link_mail.recipients == [SECONDARY]
    link = next(u for u in links_in(link_mail) if "/account/emails/confirm/" in u)
    assert app.test_client().get(path_of(link)).status_code == 200
    assert account_by_email(app, EMAIL).confirmed_secondary_email == SECONDARY


def test_a_pending_secondary_address_can_be_sent_its_link_again(app, client, smtp_sink):
    """ "Mes courriels" shows the secondary address as pending with a button that sends
    its link again; the new link confirms it."""
    make_account(app, email="ivan@example.org", secondary_email=SECONDARY)
    login(client, "ivan@example.org", "Tournesol-2026")
    page = text(client.get("/account/emails"))
    assert "en attente de confirmation" in page and "Renvoyer le lien à" in page
    response = post_form(client, "/account/emails/resend", {}, page="/account/emails")
    assert response.status_code == 302
    assert "Un nouveau lien de confirmation a été envoyé" in text(client.get("/account/emails"))
    mail = wait_for_mail(smtp_sink, SECONDARY)
    link = next(u for u in links_in(mail) if "/account/emails/confirm/" in u)
    assert client.get(path_of(link)).status_code == 200
    assert "Renvoyer le lien" not in text(client.get("/account/emails"))


# --- defect 14: "Modifier mon adresse" ---------------------------------------------------


def test_changing_the_address_sends_a_fresh_link_there_and_kills_the_old_one(
    app, client, smtp_sink, answers
):
    """From the check-your-mail page, "Modifier mon adresse" offers the typed address; the
    corrected one gets a link that activates the account with everything else typed
    (names, password); the link sent to the wrong address is refused."""
    register(client, answers, given_name="Ivana", secondary_email=SECONDARY)
    old_link = confirm_link(wait_for_mail(smtp_sink, EMAIL))
    sent = text(client.get("/register/check-email"))
    assert 'href="/register/change-email"' in sent and "Modifier mon adresse" in sent
    form = text(client.get("/register/change-email"))
    assert f'value="{EMAIL}"' in form

    response = _change_address(client, NEW)
    assert response.status_code == 302
    page = _visible(text(client.get(response.headers["Location"])))
    assert f"Nous avons envoyé un courriel à {NEW}" in page

    mail = wait_for_mail(smtp_sink, NEW)
    assert mail.text.startswith("Bonjour Ivana,")
    assert client.get(path_of(old_link)).status_code == 404
    assert account_by_email(app, EMAIL) is None
    assert client.get(path_of(confirm_link(mail))).status_code == 302
    account = account_by_email(app, NEW)
    assert account.is_confirmed and account.secondary_email == SECONDARY
    response = login(app.test_client(), NEW, PASSWORD)
    assert response.status_code == 302 and "/login" not in response.headers["Location"]


def test_changing_the_address_answers_alike_whatever_the_first_address_had(
    app, client, smtp_sink, answers
):
    """After registering with an address that has an account, correcting it gives the new
    address a confirmation link as for any registration (nothing tells the two apart), and
    the account of the first address is untouched."""
    make_account(app, email=EMAIL)
    register(client, answers, given_name="Ivana")
    wait_for_mail(smtp_sink, EMAIL)
    _change_address(client, NEW)
    mail = wait_for_mail(smtp_sink, NEW)
    assert mail.text.startswith("Bonjour Ivana,")
    assert client.get(path_of(confirm_link(mail))).status_code == 302
    assert account_by_email(app, NEW).given_name == "Ivana"
    assert account_by_email(app, EMAIL).given_name == "Ivan"


def test_changing_to_an_address_with_an_account_answers_as_registration_does(
    app, client, smtp_sink, answers
):
    """Correcting to an address that has an account: the same page as for a new address,
    the owner gets the notice, and the pending registration's link stops working."""
    make_account(app, email=NEW)
    register(client, answers)
    old_link = confirm_link(wait_for_mail(smtp_sink, EMAIL))
    response = _change_address(client, NEW.upper())
    assert response.headers["Location"].endswith("/register/check-email")
    assert f"Nous avons envoyé un courriel à {NEW}" in _visible(
        text(client.get("/register/check-email"))
    )
    assert "Un compte existe déjà" in wait_for_mail(smtp_sink, NEW).text
    assert client.get(path_of(old_link)).status_code == 404


def test_a_wrong_correction_keeps_what_was_typed(app, client, smtp_sink, answers):
    """Two different addresses: a clear error, the typed address kept, nothing sent."""
    register(client, answers)
    wait_for_mail(smtp_sink, EMAIL)
    response = _change_address(client, NEW, "autre@yopmail.com")
    page = unescape(text(response))
    assert response.status_code == 400
    assert "Les deux adresses électroniques ne sont pas identiques." in page
    assert f'value="{NEW}"' in page
    assert mails_to(smtp_sink, NEW) == []


def test_without_a_pending_registration_there_is_nothing_to_change(app, client):
    """Another browser (no registration in its session) is sent to the registration form."""
    response = client.get("/register/change-email")
    assert response.status_code == 302 and response.headers["Location"].endswith("/register")


def test_corrections_count_with_resending_and_a_paused_one_keeps_the_address(
    app, client, smtp_sink, answers
):
    """Each correction sends a mail, so it counts with "Renvoyer le courriel" for the new
    address (REGISTRATION_RESEND_RATE_LIMIT), only once accepted: a wrong confirmation is
    not counted; past the limit the form comes back (429, Retry-After) with the address
    typed and the exact wait, and nothing is sent."""
    app.config["REGISTRATION_RESEND_RATE_LIMIT"] = "1 per 15 minutes"
    register(client, answers)
    wait_for_mail(smtp_sink, EMAIL)
    assert _change_address(client, NEW, "autre@yopmail.com").status_code == 400  # not counted
    assert _change_address(client, NEW).status_code == 302
    wait_for_mail(smtp_sink, NEW)
    other = "ivan.autre@yopmail.com"
    assert _change_address(client, other).status_code == 302  # another mailbox: its own count
    wait_for_mail(smtp_sink, other)
    paused = _change_address(client, NEW)
    page = unescape(text(paused))
    assert paused.status_code == 429 and 1 <= int(paused.headers["Retry-After"]) <= 900
    assert f'value="{NEW}"' in page and re.search(r"Réessayez dans \d+ minutes?\.", page)
    assert len(mails_to(smtp_sink, NEW)) == 1
