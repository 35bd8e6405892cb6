"""The approximate place of a session (sessions page, new sign-in mail) comes from a local
place database only when GEOIP_DATABASE names one: here a tiny .mmdb built by the test."""

from __future__ import annotations

import logging
import re

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from tests.support.accounts import make_account, text
from tests.support.devices import FIREFOX_WINDOWS, SAFARI_IPHONE, signed_in_browser
from tests.support.mail import wait_for_subject

EMAIL = "ivan@example.org"
LYON = "203.0.113.7"  # a city and its country in the test database
GERMANY = "198.51.100.20"  # only a country


@pytest.fixture
def settings(settings):
    return {**settings, "RATELIMIT_ENABLED": False}


@pytest.fixture
def place_database(tmp_path) -> str:
    """A GeoLite2-City-shaped database that knows two networks."""
    writer = MMDBWriter(
        ip_version=6, database_type="GeoLite2-City", languages=["fr", "en"], ipv4_compatible=True
    )
    writer.insert_network(
        IPSet(["203.0.113.0/24"]),
        {
            "city": {"names": {"fr": "Lyon", "en": "Lyons"}},
            "country": {"iso_code": "FR", "names": {"fr": "France", "en": "France"}},
        },
    )
    writer.insert_network(
        IPSet(["198.51.100.0/24"]),
        {"country": {"iso_code": "DE", "names": {"fr": "Allemagne", "en": "Germany"}}},
    )
    path = tmp_path / "places.mmdb"
    writer.to_db_file(str(path))
    return str(path)


def _places(html: str) -> list[str]:
    return re.findall(r'<dd class="session-place">(.*?)</dd>', html)


def test_the_page_shows_the_place_when_a_database_is_configured(app, place_database):
    """Each browser's city and country (or country alone) from the database, in the
    page's language; an address it does not know (127.0.0.1) has no place."""
    app.config["GEOIP_DATABASE"] = place_database
    make_account(app, EMAIL)
    signed_in_browser(app, EMAIL, SAFARI_IPHONE, address=GERMANY)
    signed_in_browser(app, EMAIL, SAFARI_IPHONE, address="127.0.0.1")
    laptop = signed_in_browser(app, EMAIL, FIREFOX_WINDOWS, address=LYON)
    page = text(laptop.get("/account/sessions"))
    assert _places(page) == ["Lyon, France", "Allemagne"]
    assert page.count("Lieu approximatif") == 2
    english = text(laptop.get("/account/sessions", headers={"Accept-Language": "en"}))
    assert _places(english) == ["Lyons, France", "Germany"]


def test_no_place_without_the_setting(app, place_database):
    """GEOIP_DATABASE empty (the default): no place, even for an address the database
    would know."""
    assert app.config["GEOIP_DATABASE"] == ""
    make_account(app, EMAIL)
    laptop = signed_in_browser(app, EMAIL, FIREFOX_WINDOWS, address=LYON)
    page = text(laptop.get("/account/sessions"))
    assert _places(page) == [] and "Lyon" not in page and "Lieu approximatif" not in page


def test_an_unreadable_database_shows_no_place_and_says_so_once(app, tmp_path, caplog):
    """A file that is no place database: the page works without places; the log says it
    once, not at every page."""
    broken = tmp_path / "broken.mmdb"
    broken.write_bytes(b"not a database")
    app.config["GEOIP_DATABASE"] = str(broken)
    make_account(app, EMAIL)
    laptop = signed_in_browser(app, EMAIL, FIREFOX_WINDOWS, address=LYON)
    with caplog.at_level(logging.WARNING, logger="idp.accounts.places"):
        for _ in range(2):
            response = laptop.get("/account/sessions")
            assert response.status_code == 200 and _places(text(response)) == []
    said = [r for r in caplog.records if "GEOIP_DATABASE" in r.getMessage()]
    assert len(said) == 1 and str(broken) in said[0].getMessage()


def test_the_new_sign_in_mail_tells_the_place(app, smtp_sink, place_database):
    """The mail of a sign-in from a new browser gives its approximate place."""
    app.config["GEOIP_DATABASE"] = place_database
    make_account(app, EMAIL)
    signed_in_browser(app, EMAIL, FIREFOX_WINDOWS)
    signed_in_browser(app, EMAIL, SAFARI_IPHONE, address=LYON)
    mail = wait_for_subject(smtp_sink, EMAIL, "Nouvelle connexion")
    assert "Lieu approximatif : Lyon, France" in mail.text
