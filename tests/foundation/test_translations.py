"""The English translation: pages switch language, and the catalogue is complete and safe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from idp.accounts.services import create_account
from idp.core.extensions import db

ROOT = Path(__file__).resolve().parents[2]
PO_FILE = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_l": None, "lazy_gettext": None, "_": None, "gettext": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|\{[^{}]*\}")
PASSWORD = "Traduction-2026!"
EMAIL = "ivan.translate@example.org"

# Key labels of each page, in French and in English.
LOGIN = [
    ("Se connecter", "Log in"),
    ("Mot de passe", "Password"),
    ("Créer un compte", "Create an account"),
    ("Mot de passe oublié ?", "Forgot your password?"),
]
REGISTER = [
    ("Créer mon compte", "Create my account"),
    ("Prénom", "First name"),
    ("Conditions d'utilisation", "Terms of use"),
]
SERVICES = [
    ("Mes services", "My services"),
    ("Mon profil", "My profile"),
    ("Se déconnecter", "Log out"),
]


def catalogue():
    with PO_FILE.open("rb") as handle:
        return read_po(handle, locale="en")


def page(client, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True).replace("&#39;", "'")


def assert_language(html: str, labels: list[tuple[str, str]], language: str) -> None:
    """Every label is in `language` and none of them is left in the other language."""
    wanted, unwanted = (1, 0) if language == "en" else (0, 1)
    assert f'<html lang="{language}"' in html
    for label in labels:
        assert label[wanted] in html, label[wanted]
        assert f">{label[unwanted]}<" not in html, f"leftover: {label[unwanted]}"


def log_in(client) -> None:
    """Create a confirmed account and log in through the real login form."""
    with client.application.app_context():
        create_account(
            email=EMAIL, password=PASSWORD, given_name="Ivan", family_name="Pierre", confirmed=True
        )
        db.session.commit()
    form = page(client, "/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    response = client.post(
        "/login", data={"identifier": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code in (302, 303), response.status_code


def test_login_page_in_english(client):
    """With Accept-Language: en the login page is in English, with no French key label left."""
    html = page(client, "/login", **{"Accept-Language": "en-GB,en;q=0.9"})
    assert_language(html, LOGIN, "en")
    assert "Se connecter" not in html and "Mot de passe" not in html


@pytest.mark.parametrize("header", [{"Accept-Language": "fr-FR,fr;q=0.9"}, {}])
def test_login_page_in_french_by_default(client, header):
    """With Accept-Language: fr, or no header at all, the login page is in French."""
    html = page(client, "/login", **header)
    assert_language(html, LOGIN, "fr")


def test_registration_page_in_english(client):
    """With Accept-Language: en the registration page is in English."""
    html = page(client, "/register", **{"Accept-Language": "en"})
    assert_language(html, REGISTER, "en")


def test_registration_page_in_french(client):
    """With Accept-Language: fr the registration page is in French."""
    html = page(client, "/register", **{"Accept-Language": "fr"})
    assert_language(html, REGISTER, "fr")


def test_my_services_in_english(client):
    """Logged in, "Mes services" reads "My services" for an English browser."""
    log_in(client)
    html = page(client, "/", **{"Accept-Language": "en"})
    assert_language(html, SERVICES, "en")
    assert "Hello Ivan" in html


def test_my_services_in_french(client):
    """Logged in with no language preference, "Mes services" stays in French."""
    log_in(client)
    html = page(client, "/")
    assert_language(html, SERVICES, "fr")
    assert "Bonjour Ivan" in html


def test_ui_locales_switches_to_english(client):
    """?ui_locales=en (OpenID Connect) gives English even to a French browser."""
    html = page(client, "/login?ui_locales=en", **{"Accept-Language": "fr"})
    assert_language(html, LOGIN, "en")


def test_catalogue_is_complete():
    """The English catalogue has no untranslated, fuzzy or half-translated plural entry."""
    cat = catalogue()
    assert not cat.fuzzy
    problems = []
    for message in cat:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
    assert len(cat) > 100
    assert problems == []


def test_placeholders_are_kept():
    """Every translation uses exactly the placeholders of its French source."""
    mismatches = []
    for message in catalogue():
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            pairs = [(message.id[0], message.string[0]), (message.id[1], message.string[1])]
        else:
            pairs = [(message.id, message.string)]
        for source, translation in pairs:
            if set(PLACEHOLDER.findall(source)) != set(PLACEHOLDER.findall(translation)):
                mismatches.append((source, translation))
    assert mismatches == []


def test_catalogue_covers_the_code():
    """Every string marked for translation in idp/ and templates/ is in the catalogue
    (if this fails: run scripts/update-translations and translate the new entries)."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    extracted = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
        )
    }
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue() if m.id}
    assert sorted(extracted - known) == []
