"""Organisations' rules (idp/organizations): what a SIRET must be, and which organisation
an account belongs to (its own, else its e-mail's domain or nearest parent domain)."""

from __future__ import annotations

import pytest

from idp.accounts.models import Account
from idp.core.extensions import db
from idp.organizations import services
from idp.organizations.siret import problem
from tests.support.accounts import events, make_account

DINUM = "13002526500013"  # the State's digital directorate
JUSTICE = "11000201100044"  # the Ministry of Justice's central administration


@pytest.mark.parametrize("siret", [DINUM, JUSTICE, "35600000000048", "35600000049837"])
def test_valid_sirets_are_accepted(siret):
    """Real SIRETs pass the Luhn check; La Poste's establishments (SIREN 356000000) pass
    by their own rule (digits summing to a multiple of 5) even when Luhn fails."""
    assert problem(siret) is None


@pytest.mark.parametrize(
    ("siret", "words"),
    [
        ("13002526500014", "un chiffre est erroné"),  # one digit off: the key fails
        ("35600000049838", "un chiffre est erroné"),  # La Poste, but neither rule holds
        ("1300252650001", "14 chiffres"),  # 13 digits
        ("1300252650001A", "14 chiffres"),  # a letter
        ("１３００２５２６５０００１３", "14 chiffres"),  # full-width digits are not digits here
    ],
)
def test_invalid_sirets_are_refused_in_words(app, siret, words):
    """A wrong key, a missing digit or a letter each get a French sentence."""
    with app.test_request_context():
        assert words in problem(siret)


def test_create_normalises_and_refuses_a_bad_siret(app):
    """Spaces in a SIRET are dropped; a bad SIRET is refused on the siret field, nothing kept."""
    with app.test_request_context():
        organization = services.create("DINUM", "130 025 265 00013", ["NUMERIQUE.gouv.fr"])
        db.session.commit()
        assert (organization.siret, organization.siren) == (DINUM, "130025265")
        assert organization.domain_names == ["numerique.gouv.fr"]
        with pytest.raises(services.OrganizationError) as refused:
            services.create("Autre", "13002526500014")
        assert refused.value.field == "siret"
        with pytest.raises(services.OrganizationError) as taken:
            services.create("Doublon", DINUM)
        assert "DINUM" in str(taken.value)
    assert [e.details["siret"] for e in events(app, "admin.organization.created")] == [DINUM]


def test_a_domain_belongs_to_one_organization(app):
    """A domain already used by another organisation is refused, naming that organisation;
    something that is not a domain is refused too."""
    with app.test_request_context():
        services.create("Justice", JUSTICE, ["justice.gouv.fr"])
        db.session.commit()
        with pytest.raises(services.OrganizationError) as used:
            services.create("DINUM", DINUM, ["numerique.gouv.fr", "justice.gouv.fr"])
        assert str(used.value) == (
            "Le domaine justice.gouv.fr est déjà celui de l’organisation « Justice »."
        )
        with pytest.raises(services.OrganizationError) as odd:
            services.create("DINUM", DINUM, ["pas un domaine"])
        assert "n’est pas un nom de domaine" in str(odd.value)
        assert [o.name for o in services.list_organizations()] == ["Justice"]


def _organization_of(app, account_id: int):
    with app.app_context():
        found = services.organization_of(db.session.get(Account, account_id))
        return found.name if found else None


def test_the_organization_of_an_account(app):
    """Exact domain first, then the nearest parent domain; an administrator's choice for
    the account wins over the domain; an unknown domain has none."""
    with app.test_request_context():
        services.create("Finances", "11000301100019", ["finances.gouv.fr"])
        services.create("DGFiP", "13000234500010", ["dgfip.finances.gouv.fr"])
        justice = services.create("Justice", JUSTICE, ["justice.gouv.fr"])
        db.session.commit()
        justice_id = justice.id
    exact = make_account(app, "a@dgfip.finances.gouv.fr")
    parent = make_account(app, "b@douane.finances.gouv.fr")
    deep = make_account(app, "c@x.dgfip.finances.gouv.fr")
    chosen = make_account(app, "d@dgfip.finances.gouv.fr")
    nobody = make_account(app, "e@example.org")
    with app.app_context():
        db.session.get(Account, chosen).organization_id = justice_id
        db.session.commit()
    assert _organization_of(app, exact) == "DGFiP"
    assert _organization_of(app, parent) == "Finances"
    assert _organization_of(app, deep) == "DGFiP"
    assert _organization_of(app, chosen) == "Justice"
    assert _organization_of(app, nobody) is None


def test_claims_are_absent_when_unknown_and_the_account_unit_wins(app):
    """No organisation: no siret, siren nor unit; the account's own unit and population
    win over the organisation's unit; removing the organisation falls back to the domain."""
    with app.test_request_context():
        services.create("Finances", "11000301100019", ["finances.gouv.fr"], "Secrétariat général")
        dgfip = services.create("DGFiP", "13000234500010", [], "DGFiP")
        db.session.commit()
        dgfip_id = dgfip.id
    alone = make_account(app, "f@example.org")
    agent = make_account(app, "g@finances.gouv.fr")
    with app.test_request_context():
        assert services.claims_of(db.session.get(Account, alone)) == {}
        account = db.session.get(Account, agent)
        assert services.claims_of(account) == {
            "siret": "11000301100019",
            "siren": "110003011",
            "organizational_unit": "Secrétariat général",
        }
        services.set_for_account(
            account, db.session.get(type(dgfip), dgfip_id), "Bureau SI-1", "agent"
        )
        db.session.commit()
        assert services.claims_of(account) == {
            "siret": "13000234500010",
            "siren": "130002345",
            "organizational_unit": "Bureau SI-1",
            "belonging_population": "agent",
        }
        services.remove(db.session.get(type(dgfip), dgfip_id))
        db.session.commit()
        db.session.expire_all()
        account = db.session.get(Account, agent)
        assert account.organization_id is None
        assert services.claims_of(account)["siret"] == "11000301100019"
    [event] = events(app, "admin.user.organization_set")
    assert event.account_id == agent and event.details["siret"] == "13000234500010"
