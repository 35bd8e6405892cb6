"""One definition of a valid token, whichever path answers: the lean path (idp/oidc/lean,
PostgreSQL) and the full Flask + Authlib path give the same answers to the same requests,
write the same rows, and keep the refresh reuse rule under parallel replays."""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from idp import create_app
from idp.audit.models import AuditEvent
from idp.core.clock import utcnow
from idp.core.digest import secret_digest
from idp.core.extensions import db
from idp.oidc import lean
from idp.oidc.models import Client, Token
from idp.oidc.token_keys import lookup_key
from tests.oidc.helpers import basic

VIEWS = ("oidc.userinfo", "oidc.introspect", "oidc.token")
# Headers a relying party reads; `Vary: Cookie` comes from Flask's session and means
# nothing on endpoints that never read a cookie.
COMPARED_HEADERS = (
    "Content-Type",
    "Cache-Control",
    "Pragma",
    "WWW-Authenticate",
    "Access-Control-Allow-Origin",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Content-Security-Policy",
)


# The lean path serves PostgreSQL only (on SQLite every request takes the full path).
pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pytest.fixture
def full_app(settings, tmp_path):
    """A second app on the same database with the lean path switched off."""
    application = create_app({**settings, "OIDC_LEAN_PATH": False}, str(tmp_path / "full"))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def reached_flask(app):
    """How many requests each protocol view of `app` (the lean one) served."""
    calls: Counter = Counter()
    for name in VIEWS:
        view = app.view_functions[name]

        @functools.wraps(view)  # the same name: Flask-WTF's CSRF exemption still applies
        def counting(*args, _view=view, _name=name, **kwargs):
            calls[_name] += 1
            return _view(*args, **kwargs)

        app.view_functions[name] = counting
    return calls


def _token(app, rp, person_id: int | None, **columns) -> tuple[str, str]:
    """A token row of `rp` with known values; returns (access token, refresh token)."""
    access, refresh = f"at-{uuid.uuid4().hex}", f"rt-{uuid.uuid4().hex}"
    now = int(time.time())
    values = {
        "client_id": rp.client_id,
        "account_id": person_id,
        "access_token_hash": secret_digest(access),
        "refresh_token_hash": secret_digest(refresh),
        "family_id": str(uuid.uuid4()),
        "scope": "openid profile email offline_access",
        "issued_at": now,
        "expires_in": 600,
        "refresh_expires_at": now + 86400,
        "auth_time": now - 5,
    }
    values.update(columns)
    with app.app_context():
        db.session.add(Token(**values))
        db.session.commit()
    return access, refresh


def _answer(response) -> tuple:
    """What a relying party sees of an answer."""
    headers = {name: response.headers.get(name) for name in COMPARED_HEADERS}
    return response.status_code, response.get_json(silent=True), headers


def _send(application, request: dict):
    return application.test_client().open(**request)


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def other_rp(make_rp):
    return make_rp("Autre service", grant_types=["authorization_code", "refresh_token"])


@pytest.fixture
def cases(app, person, make_rp, other_rp):
    """Read-only requests, each paired with what it shows."""
    from idp.accounts.models import Account

    rp = make_rp(
        "Formadist", grant_types=["authorization_code", "refresh_token", "client_credentials"]
    )
    post_rp = make_rp("Poste", auth_method="client_secret_post")
    live_at, live_rt = _token(app, rp, person.id)
    expired_at, expired_rt = _token(
        app, rp, person.id, issued_at=int(time.time()) - 4000, refresh_expires_at=1
    )
    revoked_at, _ = _token(app, rp, person.id, revoked_at=utcnow())
    rotated_at, rotated_rt = _token(app, rp, person.id, rotated_at=utcnow())
    no_openid, _ = _token(app, rp, person.id, scope="email")
    service_at, _ = _token(app, rp, None, scope="", refresh_token_hash=None)
    post_at, _ = _token(app, post_rp, person.id)
    other_at, _ = _token(app, other_rp, person.id)
    wrong = {"Authorization": basic(rp)["Authorization"][:-4] + "AAA="}

    def introspect(token, headers=None, **extra):
        return {
            "method": "POST",
            "path": "/oauth/introspect",
            "data": {"token": token, **extra},
            "headers": basic(rp) if headers is None else headers,
        }

    def userinfo(token, method="GET"):
        return {"method": method, "path": "/oauth/userinfo", "headers": _bearer(token)}

    table = {
        "userinfo, usable": userinfo(live_at),
        "userinfo by POST": userinfo(live_at, "POST"),
        "userinfo, lower-case scheme": {
            "method": "GET",
            "path": "/oauth/userinfo",
            "headers": {"Authorization": f"bearer {live_at}"},
        },
        "userinfo, expired": userinfo(expired_at),
        "userinfo, revoked": userinfo(revoked_at),
        "userinfo, unknown": userinfo("nope"),
        "userinfo, refresh token": userinfo(live_rt),
        "userinfo, no openid scope": userinfo(no_openid),
        "userinfo, service token": userinfo(service_at),
        "userinfo, no token": {"method": "GET", "path": "/oauth/userinfo"},
        "introspect access": introspect(live_at),
        "introspect access, hinted": introspect(live_at, token_type_hint="access_token"),
        "introspect refresh": introspect(live_rt, token_type_hint="refresh_token"),
        "introspect refresh, wrong hint": introspect(live_rt, token_type_hint="access_token"),
        "introspect, unknown hint": introspect(live_at, token_type_hint="id_token"),
        "introspect expired": introspect(expired_at),
        "introspect expired refresh": introspect(expired_rt),
        "introspect revoked": introspect(revoked_at),
        "introspect rotated refresh": introspect(rotated_rt),
        "introspect rotated's access": introspect(rotated_at),
        "introspect service token": introspect(service_at),
        "introspect another client's token": introspect(other_at),
        "introspect, wrong secret": introspect(live_at, headers=wrong),
        "introspect, no credentials": introspect(live_at, headers={}),
        "introspect, no token": {
            "method": "POST",
            "path": "/oauth/introspect",
            "data": {},
            "headers": basic(rp),
        },
        "introspect, client_secret_post": {
            "method": "POST",
            "path": "/oauth/introspect",
            "data": {
                "token": post_at,
                "client_id": post_rp.client_id,
                "client_secret": post_rp.client_secret,
            },
        },
    }

    def lock_person():
        with app.app_context():
            db.session.get(Account, person.id).locked_at = utcnow()
            db.session.commit()

    def disable_client():
        with app.app_context():
            db.session.execute(
                sa.update(Client).where(Client.client_id == rp.client_id).values(disabled=True)
            )
            db.session.commit()

    return table, {"lock_person": lock_person, "disable_client": disable_client}


def test_read_only_requests_get_the_same_answers_both_ways(app, full_app, cases):
    """Userinfo and introspection, usable tokens and every kind of unusable one: the lean
    and the full path answer the same status, body and headers."""
    table, _ = cases
    for name, request in table.items():
        lean_answer, full_answer = _send(app, request), _send(full_app, request)
        assert _answer(lean_answer) == _answer(full_answer), name
    assert _send(app, table["userinfo, usable"]).status_code == 200
    assert _send(app, table["introspect refresh"]).get_json()["active"] is True


def test_plain_requests_are_answered_before_flask(app, cases, reached_flask):
    """The usable-token requests never reach Flask's views (the lean path answered)."""
    table, _ = cases
    plain = [name for name in table if name.endswith(("usable", "by POST", "scheme"))]
    plain += ["introspect access", "introspect refresh", "introspect, client_secret_post"]
    for name in plain:
        assert _send(app, table[name]).status_code == 200, name
    assert sum(reached_flask.values()) == 0
    assert _send(app, table["userinfo, revoked"]).status_code == 401
    assert reached_flask["oidc.userinfo"] == 1  # refusals are the full path's


@pytest.mark.parametrize("change", ["lock_person", "disable_client"])
def test_a_locked_person_or_disabled_client_is_refused_both_ways(app, full_app, cases, change):
    """Once the person is locked or the client disabled, both paths refuse its tokens
    at once, with the same answers."""
    table, changes = cases
    changes[change]()
    for name, request in table.items():
        lean_answer, full_answer = _send(app, request), _send(full_app, request)
        assert _answer(lean_answer) == _answer(full_answer), name
        if name in ("userinfo, usable", "introspect access"):
            assert lean_answer.status_code in (200, 401)
            assert lean_answer.get_json().get("active") is not True
            assert "sub" not in lean_answer.get_json()


def _without_secrets(body: dict) -> dict:
    return {k: ("…" if k in ("access_token", "refresh_token") else v) for k, v in body.items()}


def _issued_events(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.type == "token.issued").order_by(AuditEvent.id)
        )
        return [(e.account_id, e.client_id, e.details, e.ip_address) for e in rows]


@pytest.mark.parametrize(
    "data",
    [
        {"grant_type": "client_credentials"},
        {"grant_type": "client_credentials", "scope": "invitations"},
        {"grant_type": "client_credentials", "scope": "invitations launcher"},
        {"grant_type": "client_credentials", "scope": "admin"},
        {"grant_type": "password", "username": "x", "password": "y"},
        {"grant_type": "client_credentials", "refresh_token": "x"},
    ],
    ids=["no scope", "allowed scope", "too wide", "unknown scope", "other grant", "odd"],
)
def test_client_credentials_the_same_both_ways(app, full_app, make_rp, data, reached_flask):
    """client_credentials: the same answer (token values aside) and the same audit event,
    whichever path issued it; an issued token works on both."""
    plain = set(data) == {"grant_type"} or data.get("scope") == "invitations"
    rp = make_rp(
        "Service", redirect_uris=(), grant_types=["client_credentials"], scopes=["invitations"]
    )
    request = {"method": "POST", "path": "/oauth/token", "data": data, "headers": basic(rp)}
    lean_answer = _send(app, request)
    events_after_lean = _issued_events(app)
    full_answer = _send(full_app, request)
    events = _issued_events(app)
    assert lean_answer.status_code == full_answer.status_code
    assert _without_secrets(lean_answer.get_json()) == _without_secrets(full_answer.get_json())
    assert events[len(events_after_lean) :] == events_after_lean
    if lean_answer.status_code == 200:
        assert len(events_after_lean) == 1
        # A plain request is the lean path's; a scope to narrow or an odd parameter, Flask's.
        assert reached_flask["oidc.token"] == (0 if plain else 1)
        token = lean_answer.get_json()["access_token"]
        probe = {"method": "POST", "path": "/oauth/introspect", "data": {"token": token}}
        probe["headers"] = basic(rp)
        assert _send(full_app, probe).get_json()["active"] is True


def test_a_client_changed_after_its_copy_was_kept_is_read_again(app, full_app, make_rp):
    """The lean path keeps a copy of each client between requests: after a secret
    rotation the old secret is refused and the new one works, and a disabled client is
    refused then served again once enabled, at once and as the full path answers."""
    from dataclasses import replace

    from idp.oidc.clients import rotate_secret

    rp = make_rp("Service", redirect_uris=(), grant_types=["client_credentials"])
    data = {"grant_type": "client_credentials"}

    def both(client) -> tuple:
        request = {"method": "POST", "path": "/oauth/token", "data": data}
        request["headers"] = basic(client)
        lean_answer, full_answer = _send(app, request), _send(full_app, request)
        assert lean_answer.status_code == full_answer.status_code
        return lean_answer.status_code, lean_answer.get_json().get("error")

    def change(**values) -> None:
        with app.app_context():
            db.session.execute(sa.update(Client).filter_by(client_id=rp.client_id).values(values))
            db.session.commit()

    assert both(rp) == (200, None)  # the copy is kept from here on
    with app.app_context():
        secret = rotate_secret(
            db.session.scalars(sa.select(Client).filter_by(client_id=rp.client_id)).one()
        )
        db.session.commit()
    assert both(rp) == (401, "invalid_client")
    rotated = replace(rp, client_secret=secret)
    assert both(rotated) == (200, None)
    change(disabled=True)
    assert both(rotated) == (401, "invalid_client")
    change(disabled=False)
    assert both(rotated) == (200, None)
    issued = [e for e in _issued_events(app) if e[1] == rp.client_id]
    assert len(issued) == 6  # three answers each way, each with its event


def _refresh(application, rp, refresh_token: str):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return application.test_client().post("/oauth/token", data=data, headers=basic(rp))


def _journey(application, rp, refresh_token: str) -> list[tuple]:
    """Refresh, retry within the grace, refresh the new one, then the first one again
    (a reuse: the family is revoked); what the client sees at each step."""
    seen = []
    first = _refresh(application, rp, refresh_token)
    seen.append((first.status_code, _without_secrets(first.get_json())))
    retry = _refresh(application, rp, refresh_token)
    seen.append((retry.status_code, retry.get_json() == first.get_json()))
    second = _refresh(application, rp, first.get_json()["refresh_token"])
    seen.append((second.status_code, _without_secrets(second.get_json())))
    reuse = _refresh(application, rp, refresh_token)
    seen.append((reuse.status_code, reuse.get_json()))
    newest = application.test_client().get(
        "/oauth/userinfo", headers=_bearer(second.get_json()["access_token"])
    )
    seen.append(newest.status_code)
    return seen


def test_refresh_rotation_and_reuse_the_same_both_ways(app, full_app, person, rp):
    """Rotation, a retry within the grace, and a reuse that revokes the family: the same
    steps give the same answers on both paths."""
    _, lean_refresh = _token(app, rp, person.id)
    _, full_refresh = _token(app, rp, person.id)
    lean_steps = _journey(app, rp, lean_refresh)
    assert lean_steps == _journey(full_app, rp, full_refresh)
    assert [step[0] if isinstance(step, tuple) else step for step in lean_steps] == [
        200,
        200,
        200,
        400,
        401,
    ]
    assert lean_steps[1] == (200, True)


@pytest.mark.parametrize("grace", [10, 0])
def test_parallel_replays_of_one_refresh_token(app, person, rp, grace):
    """Eight requests present the same refresh token at once: one rotation happens; with
    a grace the others get that same answer, without one the reuse revokes the family.
    Never a server error, never two new tokens."""
    app.config["REFRESH_TOKEN_REUSE_GRACE"] = grace
    _, refresh = _token(app, rp, person.id)
    barrier = threading.Barrier(8)
    answers: list = []

    def replay():
        client = app.test_client()
        barrier.wait()
        data = {"grant_type": "refresh_token", "refresh_token": refresh}
        answer = client.post("/oauth/token", data=data, headers=basic(rp))
        answers.append((answer.status_code, answer.get_json()))

    threads = [threading.Thread(target=replay) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    statuses = Counter(status for status, _ in answers)
    assert set(statuses) <= {200, 400} and sum(statuses.values()) == 8
    with app.app_context():
        parent = db.session.scalar(
            sa.select(Token).where(Token.refresh_token_hash == lookup_key(refresh))
        )
        children = db.session.scalars(sa.select(Token).where(Token.parent_id == parent.id)).all()
        issued = db.session.scalar(
            sa.select(sa.func.count()).where(
                AuditEvent.type == "token.issued",
                AuditEvent.created_at >= utcnow() - timedelta(minutes=1),
            )
        )
    assert len(children) == 1 and issued == 1  # one rotation, recorded once
    new_tokens = {body["refresh_token"] for status, body in answers if status == 200}
    assert len(new_tokens) == 1
    if grace:
        assert statuses[200] == 8
    else:
        assert statuses[200] <= 1 and children[0].revoked_at is not None


def test_switched_off_or_on_sqlite_every_request_takes_the_full_path(full_app, settings, tmp_path):
    """OIDC_LEAN_PATH = false, or a SQLite database, installs nothing in front of Flask."""
    assert lean.EXTENSION_KEY not in full_app.extensions
    url = f"sqlite:///{tmp_path / 'lite.db'}"
    lite = create_app(
        {
            **settings,
            "DATABASE_URL": url,
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        },
        str(tmp_path / "lite"),
    )
    assert lite.config["OIDC_LEAN_PATH"] is True
    assert lean.EXTENSION_KEY not in lite.extensions
