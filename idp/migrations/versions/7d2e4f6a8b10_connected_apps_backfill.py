"""connected applications: a consent row for each first-party service already used

Revision ID: 7d2e4f6a8b10
Revises: 5c1d7e9a2b36
Create Date: 2026-12-09 10:00:00

First-party services never ask for consent, and until this version nothing recorded what
they received, so "Applications connectées" listed none of them. Since, each sign-in keeps
what was released (idp/oidc/consent.py, remember_release); this fills in the services used
before, from the tokens still stored: one row per account and first-party service, with
the scopes of its latest token, granted when its first stored token was issued.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "7d2e4f6a8b10"
down_revision = "5c1d7e9a2b36"
branch_labels = None
depends_on = None

BATCH = 1000

token = sa.table(
    "oauth_token",
    sa.column("id", sa.Integer),
    sa.column("client_id", sa.String),
    sa.column("account_id", sa.Integer),
    sa.column("scope", sa.Text),
    sa.column("issued_at", sa.Integer),
)
client = sa.table("oauth_client", sa.column("client_id", sa.String), sa.column("first_party"))
consent = sa.table(
    "oauth_consent",
    sa.column("account_id", sa.Integer),
    sa.column("client_id", sa.String),
    sa.column("scopes", sa.Text),
    sa.column("granted_at", sa.DateTime),
)


def upgrade() -> None:
    bind = op.get_bind()
    already = sa.exists().where(
        consent.c.account_id == token.c.account_id, consent.c.client_id == token.c.client_id
    )
    pairs = (
        sa.select(
            token.c.account_id,
            token.c.client_id,
            sa.func.min(token.c.issued_at).label("first"),
            sa.func.max(token.c.id).label("latest"),
        )
        .join(client, client.c.client_id == token.c.client_id)
        .where(token.c.account_id.is_not(None), client.c.first_party.is_(sa.true()), ~already)
        .group_by(token.c.account_id, token.c.client_id)
    )
    rows = bind.execute(pairs).all()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        scopes = dict(
            bind.execute(
                sa.select(token.c.id, token.c.scope).where(
                    token.c.id.in_([row.latest for row in batch])
                )
            ).all()
        )
        bind.execute(
            consent.insert(),
            [
                {
                    "account_id": row.account_id,
                    "client_id": row.client_id,
                    "scopes": scopes.get(row.latest, ""),
                    # Stored naive in UTC, as every other date (idp/core/clock.py).
                    "granted_at": datetime.fromtimestamp(row.first, UTC).replace(tzinfo=None),
                }
                for row in batch
            ],
        )


def downgrade() -> None:
    # The rows filled in cannot be told from those made since: they stay (harmless to the
    # previous version, which read them for the consent page already).
    pass
