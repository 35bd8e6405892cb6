"""The most used passwords are refused (idp/accounts/common_passwords.py, the `not_common`
rule of every preset): the shipped list, its case-insensitive lookup, and what a person sees
at registration, password change and password reset."""

from __future__ import annotations

import fnmatch
import gzip
import re
import secrets
import tomllib
from html import unescape

import pytest

from idp.accounts import common_passwords, policy
from idp.core.config import ROOT
from tests.support.accounts import PASSWORD, account, login, make_account, post_form, text
from tests.support.captcha import record_captcha_answers
from tests.support.mail import links_in, wait_for_mail
from tests.support.registration import register

# In the list ("azerty123", 8th thousand), yet meets every other rule of both presets: an
# upper-case letter, letters, digits, 9 characters, no name.
COMMON = "Azerty123"
REFUSAL = "Ce mot de passe figure parmi les plus utilisés ou divulgués : choisissez-en un autre."
CHECKLIST_LINE = "Ne figure pas parmi les mots de passe les plus utilisés ou divulgués"
STRONG = "Vertige-Cobalt-47"


def strong_random() -> str:
    """A password nobody uses: a prefix that meets both presets' character rules (5 letters,
    3 digits, upper, lower, special), then 20 random hex characters (hex holds no letter of
    "Ivan" or "Petrov": the name rule cannot fail by chance)."""
    return "Kqzwx-739-" + secrets.token_hex(10)


def error_of(html: str, field: str) -> str:
    """The error text shown under `field` (empty when there is none)."""
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    return unescape(match[1]) if match else ""


def checklist_item(html: str, key: str) -> str:
    """The opening tag of the checklist line of rule `key`."""
    match = re.search(rf'<li data-rule="{key}"[^>]*>', html)
    assert match, f"no checklist line for {key}"
    return match[0]


# --- The list ---------------------------------------------------------------------------


def test_the_list_ships_100000_passwords_with_its_source_and_licence():
    """The gzip file holds the 100,000 most used passwords, most used first; the package
    declares it (an installed Compte has it) and its README names the source and licence."""
    with gzip.open(common_passwords.LIST_PATH, "rt", encoding="utf-8") as lines:
        passwords = [line.rstrip("\n") for line in lines]
    assert len(passwords) == 100_000
    assert passwords[:3] == ["123456", "password", "12345678"]
    assert common_passwords.LIST_PATH.stat().st_size < 400_000

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["idp"]
    relative = common_passwords.LIST_PATH.relative_to(ROOT / "idp").as_posix()
    assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns)
    readme = (common_passwords.LIST_PATH.parent / "README.md").read_text()
    assert "SecLists" in readme and "MIT License" in readme
    assert any(fnmatch.fnmatch("accounts/data/README.md", pattern) for pattern in patterns)


def test_the_list_is_read_once_per_process():
    """Every lookup uses the same set, read at the first one (96,518 entries once folded)."""
    first = common_passwords.entries()
    assert common_passwords.entries() is first
    assert len(first) == 96_518


@pytest.mark.parametrize(
    "variant", ["azerty123", "AZERTY123", "AzErTy123", COMMON, "ＡＺＥＲＴＹ１２３"]
)
def test_case_and_width_variants_are_common(variant):
    """Case does not matter, nor full-width forms (compared NFKC-normalised, case-folded)."""
    assert common_passwords.is_common(variant)


def test_what_is_not_in_the_list_is_not_common():
    """An accent, a strong password or nothing at all is not a common password."""
    assert not common_passwords.is_common("Azérty123")  # accents are kept (documented)
    assert not common_passwords.is_common(STRONG)
    assert not common_passwords.is_common("")


# --- The rule -------------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["cnfpt", "cpf"])
def test_a_common_password_is_refused_for_that_reason_alone(preset):
    """A common password that meets every other rule of the preset is refused, with the
    sentence that says why (and the checklist line marked as not met)."""
    assert policy.check(COMMON, policy=preset, given_name="Ivan", family_name="Petrov") == [REFUSAL]
    results = policy.statuses(COMMON, policy=preset)
    assert [rule.key for rule, met in results if not met] == ["not_common"]
    assert [rule.message for rule, met in results if not met] == [CHECKLIST_LINE]


@pytest.mark.parametrize("preset", ["cnfpt", "cpf"])
def test_a_strong_random_password_passes(preset):
    """A random password meets every rule, the common-password one included."""
    password = strong_random()
    assert policy.check(password, policy=preset, given_name="Ivan", family_name="Petrov") == []


# --- What a person sees ---------------------------------------------------------------


def test_registration_refuses_a_common_password_next_to_the_field(app, client):
    """The registration form refuses a common password: the reason is under the password
    field, the checklist marks that line, the other lines are met, no account is made."""
    answers = record_captcha_answers(app)
    response = register(client, answers, password=COMMON, password_confirm=COMMON)
    html = text(response)
    assert response.status_code == 400
    assert REFUSAL in error_of(html, "password")
    assert 'aria-describedby="password-hint password-error"' in html
    assert 'class="ko"' in checklist_item(html, "not_common")
    for key in ("min_length", "non_letter", "upper", "no_name"):
        assert 'class="ok"' in checklist_item(html, key)
    assert COMMON not in html  # the password is never shown back
    assert "Vérifiez votre boîte mail" not in html

    accepted = register(client, answers, password=STRONG, password_confirm=STRONG)
    assert accepted.status_code == 302
    assert accepted.headers["Location"].endswith("/register/check-email")


def test_registration_page_says_the_common_rule_is_checked_on_submit(app, client):
    """Before any submit, the checklist shows the common-password line unmarked, flagged for
    the live script as the server's (data-server-only) and saying it is checked on submit."""
    html = text(client.get("/register"))
    line = checklist_item(html, "not_common")
    assert "data-server-only" in line and "class=" not in line
    assert f'{CHECKLIST_LINE} <span class="rule-note">(vérifié à l\'envoi)</span>' in unescape(html)


def _change(client, current: str, new: str):
    return post_form(
        client,
        "/account/password",
        {"current_password": current, "new_password": new, "confirm": new},
    )


@pytest.mark.parametrize("common", [COMMON, "PASSWORD1", "Qwerty123"])
def test_password_change_refuses_a_common_password(app, client, common):
    """Changing to a common password (any case) is refused with the reason under the new
    password field; the password stays unchanged; a strong one is then accepted."""
    account_id = make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    before = account(app, account_id).password_hash

    refused = _change(client, PASSWORD, common)
    html = text(refused)
    assert refused.status_code == 200
    assert error_of(html, "new_password") == REFUSAL
    assert 'class="ko"' in checklist_item(html, "not_common")
    assert account(app, account_id).password_hash == before

    accepted = _change(client, PASSWORD, strong_random())
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/account"


def test_password_reset_refuses_a_common_password(app, client, smtp_sink):
    """A reset link does not accept a common password (the reason is under the field, the
    link still works); a strong password is then set and logs in."""
    make_account(app)
    post_form(client, "/password/forgot", {"email": "ivan@example.org"})
    mail = wait_for_mail(smtp_sink, "ivan@example.org")
    link = next(u for u in links_in(mail) if "/password/reset/" in u)
    path = "/password/reset/" + link.rsplit("/", 1)[1]

    refused = post_form(client, path, {"new_password": "azerty123", "confirm": "azerty123"})
    html = text(refused)
    assert refused.status_code == 200
    assert REFUSAL in error_of(html, "new_password")
    assert 'class="ko"' in checklist_item(html, "not_common")
    assert login(app.test_client(), "ivan@example.org", PASSWORD).status_code == 302

    accepted = post_form(client, path, {"new_password": STRONG, "confirm": STRONG})
    assert accepted.status_code == 302
    assert login(app.test_client(), "ivan@example.org", STRONG).status_code == 302
