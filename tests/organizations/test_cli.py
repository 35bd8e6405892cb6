"""`compte organizations add|list|show|update|remove` through click's CliRunner on the test
app (real database, audit)."""

from __future__ import annotations

import json

from tests.support.accounts import events

DINUM = "13002526500013"
JUSTICE = "11000201100044"


def test_add_list_update_remove_with_json(app, cli):
    """An operator adds an organisation with two domains, lists it, changes its domains and
    unit, then removes it; each change is audited as done at the console."""
    added = cli(
        "organizations",
        "add",
        "--name",
        "DINUM",
        "--siret",
        "130 025 265 00013",
        "--domain",
        "numerique.gouv.fr",
        "--domain",
        "Modernisation.gouv.fr",
        "--unit",
        "Pôle ProConnect",
        "--json",
    )
    assert added.exit_code == 0, added.output
    data = json.loads(added.output)
    assert {k: data[k] for k in ("name", "siret", "siren", "organizational_unit", "domains")} == {
        "name": "DINUM",
        "siret": DINUM,
        "siren": "130025265",
        "organizational_unit": "Pôle ProConnect",
        "domains": ["modernisation.gouv.fr", "numerique.gouv.fr"],
    }
    [listed] = json.loads(cli("organizations", "list", "--json").output)
    assert listed == data
    assert "numerique.gouv.fr" in cli("organizations", "list").output

    updated = cli(
        "organizations", "update", DINUM, "--domain", "numerique.gouv.fr", "--unit", "", "--json"
    )
    assert updated.exit_code == 0, updated.output
    changed = json.loads(updated.output)
    assert changed["domains"] == ["numerique.gouv.fr"]
    assert changed["organizational_unit"] is None
    assert sorted(changed["changed"]) == ["domains", "organizational_unit"]
    shown = json.loads(cli("organizations", "show", str(data["id"]), "--json").output)
    assert shown["domains"] == ["numerique.gouv.fr"]

    removed = cli("organizations", "remove", DINUM, "--json")
    assert removed.exit_code == 0, removed.output
    assert json.loads(removed.output) == {
        "id": data["id"],
        "name": "DINUM",
        "siret": DINUM,
        "removed": True,
    }
    assert json.loads(cli("organizations", "list", "--json").output) == []
    audited = [
        (e.type, e.details.get("via"))
        for kind in ("created", "updated", "deleted")
        for e in events(app, f"admin.organization.{kind}")
    ]
    assert audited == [
        ("admin.organization.created", "cli"),
        ("admin.organization.updated", "cli"),
        ("admin.organization.deleted", "cli"),
    ]


def test_mistakes_are_clear_messages(app, cli):
    """A wrong SIRET, a domain of another organisation, an unknown organisation and a
    missing option each end with a message (exit 1, or 2 for the usage), never a traceback."""
    assert (
        cli(
            "organizations",
            "add",
            "--name",
            "Justice",
            "--siret",
            JUSTICE,
            "--domain",
            "justice.gouv.fr",
        ).exit_code
        == 0
    )
    wrong = cli("organizations", "add", "--name", "X", "--siret", "13002526500014")
    assert wrong.exit_code == 1
    assert "--siret: Ce SIRET n’existe pas" in wrong.output
    short = cli("organizations", "add", "--name", "X", "--siret", "1300252650001")
    assert short.exit_code == 1 and "14 chiffres" in short.output
    taken = cli(
        "organizations", "add", "--name", "DINUM", "--siret", DINUM, "--domain", "justice.gouv.fr"
    )
    assert taken.exit_code == 1
    assert "--domain: Le domaine justice.gouv.fr est déjà celui de l’organisation « Justice »" in (
        taken.output
    )
    unknown = cli("organizations", "update", DINUM, "--name", "Y")
    assert unknown.exit_code == 1 and f"No organisation with the SIRET or id {DINUM}" in (
        unknown.output
    )
    assert cli("organizations", "remove", "nope").exit_code == 1
    assert cli("organizations", "add", "--name", "Sans SIRET").exit_code == 2
    assert [o["name"] for o in json.loads(cli("organizations", "list", "--json").output)] == [
        "Justice"
    ]
