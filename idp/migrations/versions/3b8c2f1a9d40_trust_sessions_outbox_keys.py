"""trust: server-side sessions, sealed outbox and signing keys, refresh retry answers,
login failures counted outside the account row

Revision ID: 3b8c2f1a9d40
Revises: e13fc6d7629d
Create Date: 2026-11-30 11:00:00

Existing private keys and the bodies of mails still waiting are sealed under the
configured key-encryption key (the app is available here: idp/migrations/env.py); the
bodies of mails already delivered are dropped (they held links that nobody needs).
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "3b8c2f1a9d40"
down_revision = "e13fc6d7629d"
branch_labels = None
depends_on = None


def _seal(text: str) -> str:
    from idp.core.sealing import seal

    return seal(text)


def upgrade() -> None:
    bind = op.get_bind()

    # --- Browser sessions: the server-side record every request checks -------------------
    with op.batch_alter_table("oauth_browser_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("ended_reason", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("ip_address", sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column("user_agent", sa.String(length=300), nullable=True))
    bind.execute(sa.text("UPDATE oauth_browser_session SET last_seen_at = created_at"))
    with op.batch_alter_table("oauth_browser_session", schema=None) as batch_op:
        batch_op.alter_column("last_seen_at", existing_type=sa.DateTime(), nullable=False)

    # --- Tokens: the sealed answer of a rotation, for a client's retry -------------------
    with op.batch_alter_table("oauth_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retry_answer", sa.Text(), nullable=True))

    # --- Signing keys: sealed, with an activation time -----------------------------------
    with op.batch_alter_table("oauth_signing_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_jwk", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("activates_at", sa.DateTime(), nullable=True))
    keys = bind.execute(sa.text("SELECT id, private_jwk, created_at FROM oauth_signing_key"))
    for key_id, private_jwk, created_at in keys.fetchall():
        jwk = private_jwk if isinstance(private_jwk, dict) else json.loads(private_jwk)
        bind.execute(
            sa.text(
                "UPDATE oauth_signing_key SET sealed_jwk = :sealed, activates_at = :at "
                "WHERE id = :id"
            ),
            {"sealed": _seal(json.dumps(jwk)), "at": created_at, "id": key_id},
        )
    with op.batch_alter_table("oauth_signing_key", schema=None) as batch_op:
        batch_op.alter_column("sealed_jwk", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("activates_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_column("private_jwk")

    # --- Accounts: login failures are counted with the other throttle counters ---------
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("last_failed_login_at")

    # --- Outbox: sealed bodies, a status, leases, dead letters ---------------------------
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("template", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("sealed_body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("dead_at", sa.DateTime(), nullable=True))
    rows = bind.execute(
        sa.text("SELECT id, text_body, html_body, sent_at FROM outbox_message")
    ).fetchall()
    for message_id, text_body, html_body, sent_at in rows:
        if sent_at is not None:
            values = {"status": "sent", "sealed": None}
        else:
            body = json.dumps({"text": text_body, "html": html_body})
            values = {"status": "pending", "sealed": _seal(body)}
        bind.execute(
            sa.text(
                "UPDATE outbox_message SET status = :status, sealed_body = :sealed, "
                "template = '' WHERE id = :id"
            ),
            {**values, "id": message_id},
        )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("template", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("status", existing_type=sa.String(length=8), nullable=False)
        batch_op.create_index(batch_op.f("ix_outbox_message_status"), ["status"], unique=False)
        batch_op.drop_column("text_body")
        batch_op.drop_column("html_body")


def downgrade() -> None:
    # Sealed secrets cannot go back to clear text here on purpose: restore a backup instead.
    raise NotImplementedError("downgrade past the sealing of secrets: restore a backup")
