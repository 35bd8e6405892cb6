"""An audit record never holds a secret: after logins (right and wrong) and a whole token
life (code, refresh, reuse, code replay, revocation), no password, client secret, code,
PKCE verifier or token appears in any audit event."""

from __future__ import annotations

import json

from idp.audit import services
from idp.audit.models import AuditEvent
from idp.core.extensions import db
from tests.oidc.helpers import (
    basic,
    code_in_process,
    exchange_in_process,
    pkce,
    refresh_in_process,
    revoke,
)
from tests.support.accounts import login


def test_no_secret_in_any_audit_event(app, person, make_rp):
    """Every audit event, with all its fields and details, is free of the secrets the
    flow handled, while the flow did record its security events."""
    app.config["REFRESH_TOKEN_REUSE_GRACE"] = 0
    rp = make_rp(first_party=True)
    wrong_password = "Typo-" + person.password
    assert login(app.test_client(), person.email, wrong_password).status_code == 200
    assert login(app.test_client(), person.email, person.password).status_code == 302

    verifier, challenge = pkce()
    code = code_in_process(app, person, rp, challenge, scope="openid email offline_access")
    tokens = exchange_in_process(app, rp, code, verifier).json
    second = refresh_in_process(app, rp, tokens["refresh_token"]).json
    assert refresh_in_process(app, rp, tokens["refresh_token"]).status_code == 400  # reuse
    assert exchange_in_process(app, rp, code, verifier).status_code == 400  # replay
    other_verifier, other_challenge = pkce()
    other = exchange_in_process(
        app, rp, code_in_process(app, person, rp, other_challenge), other_verifier
    ).json
    assert revoke(app, rp, other["access_token"]).status_code == 200

    secrets = {
        "password": person.password,
        "wrong password": wrong_password,
        "client secret": rp.client_secret,
        "Basic credentials": basic(rp)["Authorization"].split()[1],
        "code": code,
        "PKCE verifier": verifier,
        "access token": tokens["access_token"],
        "refresh token": tokens["refresh_token"],
        "ID token": tokens["id_token"],
        "refreshed access token": second["access_token"],
        "refreshed refresh token": second["refresh_token"],
        "revoked access token": other["access_token"],
    }
    with app.app_context():
        events = [services.as_dict(e) for e in db.session.scalars(db.select(AuditEvent))]
    types = {event["type"] for event in events}
    assert {"login.failed", "login.succeeded", "token.issued"} <= types
    assert {"token.refresh_reuse_detected", "code.replayed", "token.revoked"} <= types
    text = json.dumps(events, default=str)
    assert [name for name, value in secrets.items() if value in text] == []
