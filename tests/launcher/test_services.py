"""The launcher's service layer: entries, order, visibility, disabled clients, origins."""

from __future__ import annotations

import pytest

from idp.core.extensions import db
from idp.launcher.models import LauncherEntry
from idp.launcher.services import (
    InvalidEntry,
    delete_entry,
    entries_for,
    entry_for_client,
    entry_origins,
    origin_of,
    set_entry,
)
from tests.launcher.conftest import make_service


def names(app) -> list[str]:
    with app.app_context():
        return [entry.name for entry in entries_for(None)]


def test_entries_are_ordered_by_position_then_name(app):
    """Entries come by position, then alphabetically among equal positions."""
    make_service(app, "Zeste", "https://zeste.example/", position=10)
    make_service(app, "Cpf", "https://cpf.example/", position=20)
    make_service(app, "Agora", "https://agora.example/", position=20)
    make_service(app, "Bilan", "https://bilan.example/")  # default position 100
    assert names(app) == ["Zeste", "Agora", "Cpf", "Bilan"]


def test_hidden_entries_are_not_listed(app):
    """An entry marked not visible is neither listed nor counted as an origin."""
    make_service(app, "Formadist", "https://formadist.example/")
    make_service(app, "Caché", "https://cache.example/", visible=False)
    assert names(app) == ["Formadist"]
    with app.app_context():
        assert entry_origins() == {"https://formadist.example"}


def test_entries_of_disabled_clients_are_excluded(app):
    """Disabling a client removes its tile and its origin; enabling it brings them back."""
    from idp.oidc.clients import get_client, set_disabled

    make_service(app, "Formadist", "https://formadist.example/")
    cpf = make_service(app, "Cpf", "https://cpf.example/")
    with app.app_context():
        set_disabled(get_client(cpf), True)
        db.session.commit()
    assert names(app) == ["Formadist"]
    with app.app_context():
        assert entry_origins() == {"https://formadist.example"}
        set_disabled(get_client(cpf), False)
        db.session.commit()
    assert names(app) == ["Cpf", "Formadist"]


def test_entry_without_a_client_is_not_listed(app):
    """An entry whose client does not exist (never registered or deleted) is not shown."""
    make_service(app, "Formadist", "https://formadist.example/")
    with app.app_context():
        set_entry("no-such-client", name="Orphelin", url="https://orphan.example/")
        db.session.commit()
        assert entry_origins() == {"https://formadist.example"}
    assert names(app) == ["Formadist"]


def test_deleting_the_client_deletes_its_entry(app):
    """The OIDC area's delete_client also removes the launcher entry."""
    from idp.oidc.clients import delete_client, get_client

    client_id = make_service(app, "Formadist", "https://formadist.example/")
    with app.app_context():
        delete_client(get_client(client_id))
        db.session.commit()
        assert entry_for_client(client_id) is None


def test_set_entry_updates_the_existing_entry(app):
    """A second set_entry for the same client changes the one entry instead of adding one."""
    client_id = make_service(app, "Formadist", "https://formadist.example/")
    with app.app_context():
        set_entry(
            client_id,
            name="  Formadist, formation à distance ",
            url="https://formadist.example/parcours",
            description="Mon parcours",
            icon_url="/static/launcher/formadist.svg",
            position=5,
        )
        db.session.commit()
        rows = db.session.scalars(db.select(LauncherEntry)).all()
        assert len(rows) == 1
        entry = rows[0]
        assert (entry.name, entry.url, entry.description, entry.icon_url, entry.position) == (
            "Formadist, formation à distance",
            "https://formadist.example/parcours",
            "Mon parcours",
            "/static/launcher/formadist.svg",
            5,
        )
        assert delete_entry(client_id) is True
        db.session.commit()
        assert entry_for_client(client_id) is None
        assert delete_entry(client_id) is False


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": " ", "url": "https://a.example/"}, "name", "nom"),
        ({"name": "A", "url": "javascript:alert(1)"}, "url", "adresse"),
        ({"name": "A", "url": "/relative"}, "url", "adresse"),
        (
            {"name": "A", "url": "https://a.example/", "icon_url": "javascript:x"},
            "icon_url",
            "icône",
        ),
        (
            {"name": "A", "url": "https://a.example/", "icon_url": "//evil.example/i.svg"},
            "icon_url",
            "icône",
        ),
        ({"name": "A" * 101, "url": "https://a.example/"}, "name", "trop long"),
        (
            {"name": "A", "url": "https://a.example/", "description": "d" * 301},
            "description",
            "trop long",
        ),
    ],
)
def test_set_entry_refuses_unusable_values(app, fields, field, message):
    """Empty names, non-http(s) addresses, too long texts: a clear message for that field."""
    with app.app_context(), pytest.raises(InvalidEntry, match=message) as raised:
        set_entry("some-client", **fields)
    assert raised.value.field == field


def test_entry_origins_are_normalised(app):
    """Origins are scheme://host[:port], lower-cased, default ports dropped, one per origin."""
    make_service(app, "A", "HTTPS://Formadist.Example:443/parcours?x=1")
    make_service(app, "B", "http://127.0.0.1:5002/")
    make_service(app, "C", "http://127.0.0.1:5002/autre")
    with app.app_context():
        assert entry_origins() == {"https://formadist.example", "http://127.0.0.1:5002"}


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://cpf.example/a/b", "https://cpf.example"),
        ("http://cpf.example:80/", "http://cpf.example"),
        ("http://localhost:5001", "http://localhost:5001"),
        ("http://[::1]:5001/x", "http://[::1]:5001"),
        ("https://user:pw@cpf.example/", None),
        ("javascript:alert(1)", None),
        ("//cpf.example/", None),
        ("/oauth/authorize", None),
        ("http://cpf.example:notaport/", None),
        ("", None),
        (None, None),
    ],
)
def test_origin_of(url, origin):
    """origin_of() gives the origin of absolute http(s) URLs only."""
    assert origin_of(url) == origin
