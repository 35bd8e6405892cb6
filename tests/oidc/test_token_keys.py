"""Opaque tokens begin with their issue time, so that their rows' keys grow
(idp/oidc/token_keys.py), and tokens of the former form (43 random characters, stored by
their hex SHA-256) keep working until they expire: an upgrade signs nobody out."""

from __future__ import annotations

import re
import secrets
import time
import uuid

import sqlalchemy as sa

from idp.core.digest import secret_digest
from idp.core.extensions import db
from idp.oidc.models import Token
from idp.oidc.token_keys import lookup_key, new_token
from tests.oidc.helpers import (
    introspect,
    refresh_in_process,
    revoke,
    tokens_in_process,
    userinfo_status,
)

ISSUED_FORM = re.compile(r"([0-9a-f]{14})[A-Za-z0-9_-]{43}")


def test_issued_tokens_start_with_their_issue_time_and_their_keys_grow(app, person, make_rp):
    """The access and refresh tokens a client receives are 14 hex digits of their issue
    time (µs) then 256 random bits; their rows are found by keys that start with that
    time, not by a bare SHA-256; a later token's key sorts after an earlier one's."""
    rp = make_rp(first_party=True)
    before = time.time_ns() // 1000
    first = tokens_in_process(app, person, rp)
    second = refresh_in_process(app, rp, first["refresh_token"]).json
    after = time.time_ns() // 1000
    for token in (first["access_token"], first["refresh_token"], second["access_token"]):
        match = ISSUED_FORM.fullmatch(token)
        assert match, token
        assert before <= int(match.group(1), 16) <= after
    with app.app_context():
        row = db.session.scalar(
            sa.select(Token).where(Token.access_token_hash == lookup_key(second["access_token"]))
        )
        assert row is not None and row.refresh_token_hash == lookup_key(second["refresh_token"])
        assert row.access_token_hash != secret_digest(second["access_token"])
    keys = [lookup_key(new_token()) for _ in range(200)]
    assert all(a[:14] <= b[:14] for a, b in zip(keys, keys[1:], strict=False))
    assert len({k[14:] for k in keys}) == 200


def test_a_new_refresh_family_is_a_uuid_of_version_7_and_a_rotation_keeps_it(app, person, make_rp):
    """A code exchange starts a family whose id is a UUID version 7 of its time (so that
    new families are written at the end of their index); the rotated token keeps it; a
    later family's id sorts after it."""
    rp = make_rp(first_party=True)
    before = time.time_ns() // 1_000_000
    first = tokens_in_process(app, person, rp)
    rotated = refresh_in_process(app, rp, first["refresh_token"]).json
    after = time.time_ns() // 1_000_000
    time.sleep(0.002)  # the next millisecond at least
    later = tokens_in_process(app, person, rp)
    with app.app_context():
        families = [
            db.session.scalar(
                sa.select(Token.family_id).where(
                    Token.access_token_hash == lookup_key(issued["access_token"])
                )
            )
            for issued in (first, rotated, later)
        ]
    family = uuid.UUID(families[0])
    assert family.version == 7 and family.variant == uuid.RFC_4122
    assert before <= family.int >> 80 <= after
    assert families[1] == families[0]
    assert families[2] > families[0]


def test_a_token_of_the_former_form_still_works_everywhere(app, person, make_rp):
    """A pair issued before the change (43 random characters each, rows keyed by their hex
    SHA-256) is accepted by userinfo and introspection, refreshes once into a pair of
    the new form, and revocation of the new pair ends the family."""
    rp = make_rp(first_party=True)
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = int(time.time())
    with app.app_context():
        db.session.add(
            Token(
                client_id=rp.client_id,
                account_id=person.id,
                token_type="Bearer",
                access_token_hash=secret_digest(access),
                refresh_token_hash=secret_digest(refresh),
                family_id=str(uuid.uuid4()),
                scope="openid email offline_access",
                issued_at=now,
                expires_in=600,
                refresh_expires_at=now + 86400,
                auth_time=now - 5,
            )
        )
        db.session.commit()
    assert userinfo_status(app, access) == 200
    assert introspect(app, rp, access)["sub"] == person.sub
    assert introspect(app, rp, refresh, token_type_hint="refresh_token")["active"] is True
    renewed = refresh_in_process(app, rp, refresh)
    assert renewed.status_code == 200, renewed.get_data(as_text=True)
    assert ISSUED_FORM.fullmatch(renewed.json["refresh_token"])
    assert userinfo_status(app, renewed.json["access_token"]) == 200
    assert revoke(app, rp, renewed.json["refresh_token"]).status_code == 200
    assert userinfo_status(app, renewed.json["access_token"]) == 401
    assert introspect(app, rp, refresh) == {"active": False}
