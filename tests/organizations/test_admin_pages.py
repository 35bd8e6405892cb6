"""The organisation pages of /admin (list, add, edit, delete) and a person's organisation on
their admin page: HTTP with CSRF, real database, audit."""

from __future__ import annotations

import re

from idp.accounts.models import Account
from idp.core.extensions import db
from idp.organizations.models import Organization
from tests.support.accounts import events, make_account, make_admin, post_form, text
from tests.support.sessions import TWO_FACTORS, signed_in

DINUM = "13002526500013"
JUSTICE = "11000201100044"
FORM = {
    "name": "DINUM",
    "siret": "130 025 265 00013",
    "domains": "numerique.gouv.fr\nmodernisation.gouv.fr\n",
    "organizational_unit": "Pôle ProConnect",
}


def admin(app):
    return signed_in(app, make_admin(app), TWO_FACTORS)


def organization(app, siret: str) -> dict | None:
    """What is stored of the organisation with this SIRET (None: there is none)."""
    with app.app_context():
        row = db.session.scalar(db.select(Organization).where(Organization.siret == siret))
        if row is None:
            return None
        return {"id": row.id, "domains": row.domain_names, "unit": row.organizational_unit}


def test_add_edit_delete_an_organization(app):
    """An administrator adds an organisation with two domains (listed, in the menu), edits
    its domains and unit, then deletes it after a confirmation page; all audited."""
    browser = admin(app)
    assert 'href="/admin/organizations"' in text(browser.get("/admin/"))
    added = post_form(browser, "/admin/organizations/new", FORM)
    assert added.status_code == 302
    listing = text(browser.get(added.headers["Location"]))
    assert "L’organisation « DINUM » est ajoutée." in listing
    assert DINUM in listing and "modernisation.gouv.fr" in listing
    row = organization(app, DINUM)
    assert row["domains"] == ["modernisation.gouv.fr", "numerique.gouv.fr"]

    page = f"/admin/organizations/{row['id']}"
    assert "modernisation.gouv.fr\nnumerique.gouv.fr</textarea>" in text(browser.get(page))
    edited = post_form(
        browser, page, {**FORM, "domains": "numerique.gouv.fr", "organizational_unit": ""}
    )
    assert edited.status_code == 302
    row = organization(app, DINUM)
    assert (row["domains"], row["unit"]) == (["numerique.gouv.fr"], None)

    confirm = text(browser.get(f"{page}/delete"))
    assert "Supprimer « DINUM » ?" in confirm
    deleted = post_form(browser, f"{page}/delete", {})
    assert deleted.status_code == 302
    assert organization(app, DINUM) is None
    assert [
        len(events(app, f"admin.organization.{k}")) for k in ("created", "updated", "deleted")
    ] == [1, 1, 1]
    assert events(app, "admin.organization.updated")[0].details["fields"] == [
        "organizational_unit",
        "domains",
    ]


def test_mistakes_are_told_next_to_their_field(app):
    """A SIRET with a wrong key and a domain of another organisation are refused in French,
    next to their field, with what was typed kept; nothing is saved."""
    browser = admin(app)
    post_form(
        browser,
        "/admin/organizations/new",
        {**FORM, "name": "Justice", "siret": JUSTICE, "domains": "justice.gouv.fr"},
    )
    bad_siret = post_form(browser, "/admin/organizations/new", {**FORM, "siret": "13002526500014"})
    html = text(bad_siret)
    assert bad_siret.status_code == 200
    assert 'id="siret-error"' in html and "Ce SIRET n’existe pas" in html
    assert 'value="13002526500014"' in html
    taken = post_form(
        browser,
        "/admin/organizations/new",
        {**FORM, "domains": "numerique.gouv.fr\njustice.gouv.fr"},
    )
    html = text(taken)
    assert 'id="domains-error"' in html
    assert "Le domaine justice.gouv.fr est déjà celui de l’organisation « Justice »." in html
    assert organization(app, DINUM) is None


def test_set_the_organization_of_a_person(app):
    """On a person's admin page, the administrator picks an organisation, a unit and a
    population; "selon le domaine" gives the domain's back. The page says which applies."""
    browser = admin(app)
    post_form(browser, "/admin/organizations/new", FORM)
    post_form(
        browser,
        "/admin/organizations/new",
        {**FORM, "name": "Justice", "siret": JUSTICE, "domains": "justice.gouv.fr"},
    )
    justice = organization(app, JUSTICE)
    person = make_account(app, "ivan@numerique.gouv.fr")
    page = f"/admin/users/{person}"
    html = text(browser.get(page))
    assert "Organisation retenue : DINUM (SIRET 13002526500013), selon le domaine" in html
    assert "Selon le domaine de l’adresse" in html and "Stagiaire" in html

    values = {
        "organization": str(justice["id"]),
        "organizational_unit": "Greffe",
        "belonging_population": "prestataire",
    }
    done = post_form(browser, f"{page}/organization", values, page=page)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{page}#organisation")
    html = text(browser.get(page))
    assert "Organisation retenue : Justice (SIRET 11000201100044), choisie pour ce compte." in html
    with app.app_context():
        account = db.session.get(Account, person)
        assert (account.organization_id, account.organizational_unit) == (justice["id"], "Greffe")
        assert account.belonging_population == "prestataire"
    [event] = events(app, "admin.user.organization_set")
    assert event.account_id == person and event.details["siret"] == JUSTICE

    back = {"organization": "", "organizational_unit": "", "belonging_population": ""}
    post_form(browser, f"{page}/organization", back, page=page)
    assert "selon le domaine de l’adresse" in text(browser.get(page))
    refused = post_form(
        browser, f"{page}/organization", {**back, "belonging_population": "roi"}, page=page
    )
    assert refused.status_code == 302
    assert "Population : N&#39;est pas un choix valide." in text(browser.get(page))
    with app.app_context():
        assert db.session.get(Account, person).belonging_population is None


def test_a_non_admin_is_refused(app):
    """A signed-in person without the admin role gets 403 on every organisation page and
    action; an anonymous visitor is sent to the login page."""
    browser = admin(app)
    post_form(browser, "/admin/organizations/new", FORM)
    row = organization(app, DINUM)
    person = make_account(app, "agent@numerique.gouv.fr")
    agent = signed_in(app, person)
    for url in (
        "/admin/organizations",
        "/admin/organizations/new",
        f"/admin/organizations/{row['id']}",
    ):
        assert agent.get(url).status_code == 403
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(agent.get("/account"))).group(
        1
    )
    deleting = agent.post(f"/admin/organizations/{row['id']}/delete", data={"csrf_token": token})
    assert deleting.status_code == 403
    setting = agent.post(
        f"/admin/users/{person}/organization",
        data={"csrf_token": token, "organization": str(row["id"]), "belonging_population": "agent"},
    )
    assert setting.status_code == 403
    assert organization(app, DINUM) is not None
    with app.app_context():
        assert db.session.get(Account, person).organization_id is None
    anonymous = app.test_client().get("/admin/organizations")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
