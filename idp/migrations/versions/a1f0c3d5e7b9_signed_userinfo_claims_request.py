"""signed userinfo per client, the claims request parameter kept with the tokens

Revision ID: a1f0c3d5e7b9
Revises: 861abd9f3d42
Create Date: 2026-12-01 18:00:00

A client may ask for its userinfo answers signed (userinfo_signed_response_alg); the
"userinfo" member of an authorization request's claims parameter now reaches the tokens
issued from its code, so that the userinfo endpoint honours it.
"""

import sqlalchemy as sa
from alembic import op

revision = "a1f0c3d5e7b9"
down_revision = "861abd9f3d42"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oauth_client", schema=None) as batch_op:
        batch_op.add_column(sa.Column("userinfo_signed_response_alg", sa.String(8)))
    with op.batch_alter_table("oauth_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claims", sa.JSON()))


def downgrade() -> None:
    with op.batch_alter_table("oauth_token", schema=None) as batch_op:
        batch_op.drop_column("claims")
    with op.batch_alter_table("oauth_client", schema=None) as batch_op:
        batch_op.drop_column("userinfo_signed_response_alg")
