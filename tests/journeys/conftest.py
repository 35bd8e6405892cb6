"""The seeds' journeys in headless Chromium: Compte and the three services as real
servers, a screenshot of every page in test-output/<test>/."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Page

from clients.demo_upstream import register_franceconnect
from idp.core.extensions import db
from tests.clients.stack import start_services
from tests.support.captcha import record_captcha_answers
from tests.support.upstream import upstream_compte

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def backend() -> str:
    """Journeys exercise pages, not the database: SQLite only (the integration tests of
    each area run on PostgreSQL too)."""
    return "sqlite"


@pytest.fixture
def settings(settings: dict) -> dict:
    """Mails really go to the SMTP sink (Flask-Mail suppresses sending when TESTING)."""
    return {**settings, "MAIL_SUPPRESS_SEND": False}


DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


class Shots:
    """Numbered full-page screenshots: shots(page, "login") -> 01-login.png. With
    `docs="launcher"`, and COMPTE_DOCS_SCREENSHOTS=1 in the environment, the picture also
    replaces docs/screenshots/launcher.png (the README's pictures)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def __call__(self, page: Page, name: str, docs: str | None = None) -> Path:
        watch = getattr(page, "accessibility_watch", None)
        if watch:
            watch.check()  # every page photographed is checked by axe, at 1280 and 390 px
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
        page.screenshot(path=str(path), full_page=True)
        if docs and os.environ.get("COMPTE_DOCS_SCREENSHOTS") == "1":
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_SCREENSHOTS / f"{docs}.png")
        return path


@pytest.fixture
def shots(output_dir: Path) -> Shots:
    for old in output_dir.glob("*.png"):
        old.unlink()
    return Shots(output_dir)


@pytest.fixture
def stack(app, live_server, tmp_path) -> Iterator[dict]:
    """Compte (live) + formadist, cpf and ecommunautes, registered as by scripts/demo."""
    answers = record_captcha_answers(app)
    with ExitStack() as exit_stack:
        services = start_services(app, live_server, tmp_path, exit_stack)
        yield {"compte": live_server, "app": app, "captcha": answers, **services}
    with app.app_context():
        db.session.remove()


@pytest.fixture
def franceconnect(app, live_server, tmp_path) -> Iterator[dict]:
    """A second Compte playing FranceConnect, declared in Compte as the provider
    "franceconnect" with its citizen, as scripts/demo does (clients/demo_upstream.py). On
    `localhost`, Compte on 127.0.0.1: a browser keeps cookies per host name, not per port."""
    with upstream_compte(tmp_path, host="localhost") as upstream:
        credentials = register_franceconnect(app, upstream.app, tmp_path / "franceconnect.json")
        yield {"url": upstream.url, "app": upstream.app, **credentials}
