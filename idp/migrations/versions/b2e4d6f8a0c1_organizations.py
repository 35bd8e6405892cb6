"""organisations (SIRET per e-mail domain or per account) and the usual name

Revision ID: b2e4d6f8a0c1
Revises: a1f0c3d5e7b9
Create Date: 2026-12-01 18:05:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "b2e4d6f8a0c1"
down_revision = "a1f0c3d5e7b9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
