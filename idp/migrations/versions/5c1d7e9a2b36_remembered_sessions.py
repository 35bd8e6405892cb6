"""remembered sessions: "Rester connecté" on the login page

Revision ID: 5c1d7e9a2b36
Revises: 2accfce52514
Create Date: 2026-12-08 10:00:00

A session opened with "Rester connecté" lasts REMEMBER_SESSION_LIFETIME from its login;
the existing ones were not.
"""

import sqlalchemy as sa
from alembic import op

revision = "5c1d7e9a2b36"
down_revision = "2accfce52514"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oauth_browser_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("remembered", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("oauth_browser_session", schema=None) as batch_op:
        batch_op.drop_column("remembered")
