"""`compte audit prune` and the retention rule of idp/audit/services.prune."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from idp.audit import services
from idp.audit.models import AuditEvent
from idp.core.clock import utcnow
from idp.core.config import load_settings
from idp.core.extensions import db


def test_prune_removes_events_past_retention(app, cli, audit_history):
    """`compte audit prune` keeps AUDIT_RETENTION_DAYS (or --days) of history."""
    result = cli("audit", "prune", "--days", "30", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"removed": 1, "retention_days": 30}
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == 4
    app.config["AUDIT_RETENTION_DAYS"] = 5
    result = cli("audit", "prune")
    assert result.exit_code == 0 and "1 audit event(s)" in result.output
    assert cli("audit", "prune", "--days", "0").exit_code == 2  # refused: at least one day


def test_prune_by_default_keeps_a_year(app, audit_history):
    """With the default AUDIT_RETENTION_DAYS (config/defaults.toml) a year of history is kept:
    the 40-day-old event stays until a year has passed."""
    app.config["AUDIT_RETENTION_DAYS"] = load_settings(environ={})["AUDIT_RETENTION_DAYS"]
    with app.app_context():
        assert services.retention_days() == 365
        assert services.prune() == 0
        assert services.prune(now=utcnow() + timedelta(days=365 - 39)) == 1
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == 4


def test_prune_refuses_a_retention_under_a_day(app, audit_history):
    """services.prune(0) raises instead of emptying the log."""
    with app.app_context():
        with pytest.raises(ValueError):
            services.prune(0)
        assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == 5
