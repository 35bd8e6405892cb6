"""“Applications connectées” after the services were used: the profile and the admin user
page list each service that received the person's data (first-party services included,
which never ask for consent), with its name, what it received and its last use."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations

import idp
from idp.core.extensions import db
from idp.oidc.models import Consent
from tests.oidc.helpers import tokens_in_process, userinfo_status
from tests.support.accounts import make_admin
from tests.support.sessions import TWO_FACTORS, signed_in

SCOPE = "openid profile email offline_access"


def _connected_apps(html: str) -> str:
    """The "Applications connectées" section of a page."""
    match = re.search(r'aria-labelledby="(?:connected-apps|apps)-title".*?</section>', html, re.S)
    assert match, "no Applications connectées section"
    return match.group(0)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_service_used_once_is_listed_on_the_profile(app, person, make_rp):
    """After a code flow with a first-party service (no consent page), the profile lists it
    by name, with what it received in words and when it was last used."""
    rp = make_rp("Formadist", first_party=True)
    make_rp("E-communautés", first_party=True)  # never used: not listed
    tokens_in_process(app, person, rp, scope=SCOPE)
    section = _connected_apps(signed_in(app, person.id).get("/account").get_data(as_text=True))
    assert "Formadist" in section and "E-communautés" not in section
    assert "Votre adresse électronique" in section
    assert "Votre nom et prénom" in section
    assert "dernière utilisation le" in section
    assert "Aucune application" not in section


def test_withdrawing_a_first_party_service_revokes_its_tokens(app, person, make_rp):
    """ "Retirer l’accès" on a first-party service ends its tokens and takes it off the list."""
    rp = make_rp("Formadist", first_party=True)
    tokens = tokens_in_process(app, person, rp, scope=SCOPE)
    browser = signed_in(app, person.id)
    page = browser.get("/account").get_data(as_text=True)
    done = browser.post(
        f"/account/applications/{rp.client_id}/revoke", data={"csrf_token": _csrf(page)}
    )
    assert done.status_code == 302
    assert userinfo_status(app, tokens["access_token"]) == 401
    section = _connected_apps(browser.get("/account").get_data(as_text=True))
    assert "Formadist" not in section


def test_the_admin_user_page_lists_the_services_used(app, person, make_rp):
    """The admin's page of the account lists the service used, by name (its id on hover),
    what it received in words and its last use."""
    rp = make_rp("Formadist", first_party=True)
    tokens_in_process(app, person, rp, scope=SCOPE)
    admin_id = make_admin(app)
    html = signed_in(app, admin_id, TWO_FACTORS).get(f"/admin/users/{person.id}")
    section = _connected_apps(html.get_data(as_text=True))
    assert f'title="{rp.client_id}">Formadist<' in section
    assert "Votre adresse électronique" in section
    assert "Aucune application connectée" not in section
    assert " à " in section  # the last use, in words


def test_services_used_before_the_upgrade_are_filled_in(app, person, make_rp):
    """The migration that came with the list fills it in for services used before it: a
    first-party service with a stored token and no consent row is listed after it runs,
    with the scopes of its latest token; a third-party service is not (it asked)."""
    rp = make_rp("Formadist", first_party=True)
    tokens_in_process(app, person, rp, scope="openid email")
    tokens_in_process(app, person, rp, scope=SCOPE)
    with app.app_context():
        db.session.query(Consent).delete()  # as before the version that records them
        db.session.commit()
        section = _connected_apps(signed_in(app, person.id).get("/account").get_data(as_text=True))
        assert "Formadist" not in section
        with (
            db.engine.begin() as connection,
            Operations.context(MigrationContext.configure(connection)),
        ):
            _migration("7d2e4f6a8b10_connected_apps_backfill").upgrade()
        rows = db.session.query(Consent).all()
    assert [(row.client_id, row.scopes) for row in rows] == [(rp.client_id, SCOPE)]
    section = _connected_apps(signed_in(app, person.id).get("/account").get_data(as_text=True))
    assert "Formadist" in section and "Votre nom et prénom" in section


def _migration(name: str):
    path = Path(idp.__file__).parent / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
