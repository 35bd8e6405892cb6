"""upstream identity providers (FranceConnect, ProConnect, OpenID) and linked accounts

Revision ID: c3f5a7b9d1e2
Revises: b2e4d6f8a0c1
Create Date: 2026-12-01 18:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c3f5a7b9d1e2"
down_revision = "b2e4d6f8a0c1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upstream_provider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("client_secret_sealed", sa.Text()),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("acr_values", sa.String(255)),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "upstream_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("pivot_identity", sa.JSON()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime()),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["provider_id"], ["upstream_provider.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_id", "subject", name="uq_upstream_link_subject"),
    )
    op.create_index("ix_upstream_link_account_id", "upstream_link", ["account_id"])
    op.create_table(
        "upstream_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("id_token_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["provider_id"], ["upstream_provider.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_upstream_session_account_id", "upstream_session", ["account_id"])
    op.create_index("ix_upstream_session_created_at", "upstream_session", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_upstream_session_created_at", table_name="upstream_session")
    op.drop_index("ix_upstream_session_account_id", table_name="upstream_session")
    op.drop_table("upstream_session")
    op.drop_index("ix_upstream_link_account_id", table_name="upstream_link")
    op.drop_table("upstream_link")
    op.drop_table("upstream_provider")
