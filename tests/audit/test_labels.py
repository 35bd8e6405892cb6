"""Words for audit event types (idp/audit/labels.py): what a person reads in their recent
activity and an admin in the log, for the event types the code records."""

from __future__ import annotations

import ast
from pathlib import Path

from idp.audit.labels import LABELS, label

IDP = Path(__file__).resolve().parents[2] / "idp"

# Event types recorded today without a label: a person whose activity holds one reads the
# raw type (e.g. "token.issued" after each sign-in to a service). Known gaps, reported with
# this test; remove a type from the set when its label is added (the test then asks you to).
KNOWN_UNLABELLED = {
    "account.created",
    "client.deleted_by_registration",
    "client.registered",
    "client.updated_by_registration",
    "code.replayed",
    "invitation.created",
    "invitation.resent",
    "invitation.revoked",
    "keys.rewrapped",
    "keys.rotated",
    "logout.backchannel_failed",
    "password.change_failed",
    "ratelimit.storage_recovered",
    "ratelimit.storage_unavailable",
    "registration.confirmation_resent",
    "registration.duplicate_attempt",
    "registration.expired",
    "registration.expired_replaced",
    "token.issued",
    "token.refresh_reuse_detected",
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


def test_every_recorded_type_has_a_label_except_the_known_gaps():
    """Each event type the code records (admin actions aside) has a label, apart from the
    listed gaps; a new type without a label fails here, and so does a gap once fixed."""
    found = {t for t in recorded_types() if not t.startswith("admin.")}
    assert found - set(LABELS) == KNOWN_UNLABELLED


def test_every_label_names_a_recorded_type_except_the_known_unused():
    """No label for a type nothing records, apart from the listed ones."""
    assert set(LABELS) - recorded_types() == KNOWN_UNUSED


def test_labels_are_words_and_unknown_types_fall_back(app):
    """A known type reads as French words; an admin action without a label names the
    type in a sentence; any other unknown type is shown as it is."""
    with app.test_request_context():
        assert label("login.succeeded") == "Connexion réussie"
        assert label("token.revoked") == "Jeton révoqué"
        assert label("admin.client.created") == (
            "Action d'un administrateur (admin.client.created)"
        )
        assert label("something.new") == "something.new"
        assert all(label(kind) and label(kind) != kind for kind in LABELS)
