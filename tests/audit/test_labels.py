"""Words for audit event types (idp/audit/labels.py): what a person reads in their recent
activity and an admin in the log, for the event types the code records."""

from __future__ import annotations

import ast
from pathlib import Path

from idp.audit.labels import LABELS, detail_value, label

IDP = Path(__file__).resolve().parents[2] / "idp"

# Event types recorded without a label: none. A person whose activity held one would read
# the raw type (e.g. "token.issued" after each sign-in to a service); keep it empty.
KNOWN_UNLABELLED: set[str] = set()
# Admin actions recorded through a variable (`event = "admin.client.deleted"`), which the
# scan of record() calls cannot see.
ADMIN_TYPES_IN_VARIABLES = {
    "admin.client.deleted",
    "admin.client.enabled",
    "admin.client.disabled",
    "admin.client.secret_rotated",
}
# Labels of types nothing records (an admin lock is "admin.user.locked").
KNOWN_UNUSED = {"account.locked", "account.unlocked"}


def _constants(node: ast.expr) -> set[str]:
    """The event types an argument can take: a string, or either branch of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _constants(node.body) | _constants(node.orelse)
    return set()


def recorded_types() -> set[str]:
    """Every event type written literally as the first argument of record()/record_now()
    in idp/ (types held in a variable are admin actions, which have a fallback label)."""
    found: set[str] = set()
    for path in IDP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in ("record", "record_now"):
                    found |= _constants(node.args[0])
    return found


def test_the_scan_finds_the_recorded_types():
    """The source scan sees the types of every area (accounts, OIDC, admin, audit)."""
    found = recorded_types()
    assert {"login.succeeded", "token.issued", "admin.user.locked"} <= found
    assert {"ratelimit.storage_unavailable", "ratelimit.storage_recovered"} <= found
    assert len(found) > 40


def test_every_recorded_type_has_a_label():
    """Each event type the code records, admin actions included, has a label in words; a
    new type without a label fails here."""
    found = recorded_types() | ADMIN_TYPES_IN_VARIABLES
    assert found - set(LABELS) == KNOWN_UNLABELLED == set()


def test_every_label_names_a_recorded_type_except_the_known_unused():
    """No label for a type nothing records, apart from the listed ones."""
    assert set(LABELS) - recorded_types() - ADMIN_TYPES_IN_VARIABLES == KNOWN_UNUSED


def test_labels_are_words_and_unknown_types_fall_back(app):
    """A known type reads as French words; an admin action without a label names the
    type in a sentence; any other unknown type is shown as it is."""
    with app.test_request_context():
        assert label("login.succeeded") == "Connexion réussie"
        assert label("token.issued") == "Informations transmises à une application"
        assert label("token.issued", {"grant_type": "refresh_token"}) == (
            "Accès renouvelé par une application"
        )
        assert label("admin.client.created") == "Application ajoutée par un administrateur"
        assert label("admin.new.thing") == "Action d'un administrateur (admin.new.thing)"
        assert label("something.new") == "something.new"
        assert all(label(kind) and label(kind) != kind for kind in LABELS)


def test_detail_values_read_as_words_on_the_admin_page(app):
    """The audit table shows a detail's value as a person writes it: a list as "pwd, totp", a
    flag as "oui"/"non", nothing as "—" — never Python's "['pwd']" or "True"."""
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert detail_value(["pwd", "totp"]) == "pwd, totp"
        assert detail_value(True) == "oui" and detail_value(False) == "non"
        assert detail_value(None) == "—" and detail_value([]) == "—"
        assert detail_value(10) == "10" and detail_value("bad_credentials") == "bad_credentials"
