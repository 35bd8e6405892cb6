"""/metrics as Prometheus and an outsider see it: protected (404 for outsiders), requests
by endpoint and status, sign-ins, tokens, captchas, mails, and the outbox gauges."""

from __future__ import annotations

import base64
import logging
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from idp.core import metrics
from idp.core.clock import utcnow
from idp.core.extensions import db
from tests.operations.helpers import has_metric, metric_value
from tests.support.accounts import login, make_account

OUTSIDER = {"REMOTE_ADDR": "203.0.113.7"}
TOKEN = "prometheus-scrape-token-0123456789"


@pytest.fixture
def settings(settings):
    return {**settings, "METRICS_TOKEN": TOKEN}


def _scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return response.get_data(as_text=True)


def test_metrics_are_hidden_from_outsiders(app, client):
    """From an address outside METRICS_ALLOWED_NETWORKS, without the token or with a wrong
    one, /metrics is the ordinary 404 page (the same as any unknown path's, whose language
    switch links back to it); the right bearer token opens it from anywhere."""
    unknown = client.get("/metricz", environ_base=OUTSIDER)
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}):
        hidden = client.get("/metrics", headers=headers, environ_base=OUTSIDER)
        assert hidden.status_code == 404
        assert hidden.get_data() == unknown.get_data().replace(b"metricz", b"metrics")
    opened = client.get(
        "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, environ_base=OUTSIDER
    )
    assert opened.status_code == 200 and b"compte_http_requests_total" in opened.data


def test_metrics_open_to_loopback_unless_relayed_by_an_unknown_proxy(app, client):
    """The default allowed network is loopback; but a request that a proxy relayed (it
    carries X-Forwarded-For or Forwarded) is not admitted by address when that proxy is not
    in TRUSTED_PROXIES: it may come from anywhere."""
    assert client.get("/metrics").status_code == 200
    for header in ({"X-Forwarded-For": "127.0.0.1"}, {"Forwarded": "for=127.0.0.1"}):
        assert client.get("/metrics", headers=header).status_code == 404


def test_metrics_behind_a_trusted_proxy_use_the_client_address(app):
    """Behind a trusted local proxy, a remote client is refused although the proxy's own
    address is loopback; a local scrape through that proxy is admitted."""
    app.config["TRUSTED_PROXIES"] = ["127.0.0.1"]
    from idp.proxies import install

    install(app)
    client = app.test_client()
    assert client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.4"}).status_code == 404
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200


def test_requests_are_counted_by_endpoint_and_status(app, live_server):
    """Over HTTP: a page counts under its Flask endpoint name, discovery under a fixed label,
    an unknown path under "unmatched" (never the raw path), each with a latency histogram."""
    before = requests.get(live_server + "/metrics", timeout=10).text
    requests.get(live_server + "/login", timeout=10)
    requests.get(live_server + "/.well-known/openid-configuration", timeout=10)
    requests.get(live_server + "/no/such/SECRET-PATH", timeout=10)
    after = requests.get(live_server + "/metrics", timeout=10).text
    name = "compte_http_requests_total"
    for endpoint, status in (
        ("accounts.login", "200"),
        ("prepared.discovery", "200"),
        ("unmatched", "404"),
        ("metrics", "200"),
    ):
        delta = metric_value(after, name, endpoint=endpoint, status=status) - metric_value(
            before, name, endpoint=endpoint, status=status
        )
        assert delta >= 1, (endpoint, status)
    assert "SECRET-PATH" not in after
    assert metric_value(
        after, "compte_http_request_duration_seconds_count", endpoint="accounts.login"
    ) > metric_value(
        before, "compte_http_request_duration_seconds_count", endpoint="accounts.login"
    )


def test_sign_ins_tokens_and_captchas_are_counted(app, client):
    """A failed then a successful sign-in, a client_credentials token and a captcha drawn
    on the registration page each move their counter by one."""
    from idp.oidc.clients import create_client

    make_account(app, "metrics@example.org")
    with app.app_context():
        rp, secret = create_client(
            "Batch", grant_types=["client_credentials"], scopes="openid", redirect_uris=[]
        )
        db.session.commit()
        client_id = rp.client_id
    before = _scrape(client)
    login(app.test_client(), "metrics@example.org", "Wrong-Password-1")
    login(app.test_client(), "metrics@example.org", "Tournesol-2026")
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    token = app.test_client().post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert token.status_code == 200, token.get_data(as_text=True)
    app.test_client().get("/register")
    after = _scrape(client)

    def delta(name: str, **labels: str) -> float:
        return metric_value(after, name, **labels) - metric_value(before, name, **labels)

    assert delta("compte_sign_ins_total", outcome="failed") == 1
    assert delta("compte_sign_ins_total", outcome="succeeded") == 1
    assert delta("compte_tokens_issued_total", grant_type="client_credentials") == 1
    assert delta("compte_captchas_shown_total") >= 1


def test_audit_events_drive_the_security_counters():
    """Token grants keep a bounded label; refresh reuse and locked sign-ins are counted."""
    samples = metrics.REFRESH_REUSE._value.get(), metrics.SIGN_INS.labels("failed")._value.get()
    other = metrics.TOKENS_ISSUED.labels("other")._value.get()
    metrics.observe_event("token.refresh_reuse_detected", {})
    metrics.observe_event("login.locked", {})
    metrics.observe_event("token.issued", {"grant_type": "urn:made:up"})
    metrics.observe_event("account.created", {})
    assert metrics.REFRESH_REUSE._value.get() == samples[0] + 1
    assert metrics.SIGN_INS.labels("failed")._value.get() == samples[1] + 1
    assert metrics.TOKENS_ISSUED.labels("other")._value.get() == other + 1


def test_count_mail_takes_the_four_outcomes_only():
    """count_mail("queued"|"sent"|"failed"|"dead") counts; anything else is a bug."""
    for outcome in ("queued", "sent", "failed", "dead"):
        before = metrics.MAILS.labels(outcome)._value.get()
        metrics.count_mail(outcome)
        assert metrics.MAILS.labels(outcome)._value.get() == before + 1
    with pytest.raises(ValueError):
        metrics.count_mail("bounced")


def _outbox_row(status: str, age_seconds: int) -> dict:
    return {
        "created_at": utcnow() - timedelta(seconds=age_seconds),
        "next_attempt_at": utcnow(),
        "status": status,
    }


def test_outbox_gauges_are_read_at_scrape_time(app, client):
    """Pending and dead counts and the age of the oldest pending message come from the
    outbox table when /metrics is read."""
    from idp.mail.models import OutboxMessage

    with app.app_context():
        for status, age in (("pending", 120), ("pending", 5), ("dead", 9000), ("sent", 99999)):
            db.session.add(
                OutboxMessage(recipients=["a@example.org"], subject="s", **_outbox_row(status, age))
            )
        db.session.commit()
    text = _scrape(client)
    assert metric_value(text, "compte_outbox_messages", status="pending") == 2
    assert metric_value(text, "compte_outbox_messages", status="dead") == 1
    assert 119 <= metric_value(text, "compte_outbox_oldest_pending_age_seconds") < 200


def test_outbox_gauges_are_skipped_when_the_query_fails(app, client, caplog):
    """If the outbox cannot be read, /metrics still answers 200 (without those gauges) and
    a warning is logged."""
    with app.app_context():
        db.session.execute(sa.text("DROP TABLE outbox_message"))
        db.session.commit()
    caplog.set_level(logging.WARNING, logger="idp.core.metrics")
    text = _scrape(client)
    assert has_metric(text, "compte_http_requests_total")
    assert not has_metric(text, "compte_outbox_messages")
    assert "Outbox gauges skipped" in caplog.text
