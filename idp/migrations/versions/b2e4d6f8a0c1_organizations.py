"""organisations (SIRET per e-mail domain or per account) and the usual name

Revision ID: b2e4d6f8a0c1
Revises: a1f0c3d5e7b9
Create Date: 2026-12-01 18:05:00

An organisation is known by its SIRET; the e-mail domains of its people point at it. An
administrator may also set an account's organisation, unit and population; the person may
give the name they use day to day (usual_name). All released as ProConnect's claims.
"""

import sqlalchemy as sa
from alembic import op

revision = "b2e4d6f8a0c1"
down_revision = "a1f0c3d5e7b9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organization",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("siret", sa.String(14), nullable=False),
        sa.Column("organizational_unit", sa.String(200)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organization"),
        sa.UniqueConstraint("siret", name="uq_organization_siret"),
    )
    op.create_table(
        "organization_domain",
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name="fk_organization_domain_organization_id_organization",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("domain", name="pk_organization_domain"),
    )
    op.create_index(
        "ix_organization_domain_organization_id", "organization_domain", ["organization_id"]
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usual_name", sa.String(100)))
        batch_op.add_column(sa.Column("organization_id", sa.Integer()))
        batch_op.add_column(sa.Column("organizational_unit", sa.String(200)))
        batch_op.add_column(sa.Column("belonging_population", sa.String(50)))
        batch_op.create_index("ix_account_organization_id", ["organization_id"])
        batch_op.create_foreign_key(
            "fk_account_organization_id_organization",
            "organization",
            ["organization_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_constraint("fk_account_organization_id_organization", type_="foreignkey")
        batch_op.drop_index("ix_account_organization_id")
        batch_op.drop_column("belonging_population")
        batch_op.drop_column("organizational_unit")
        batch_op.drop_column("organization_id")
        batch_op.drop_column("usual_name")
    op.drop_index("ix_organization_domain_organization_id", table_name="organization_domain")
    op.drop_table("organization_domain")
    op.drop_table("organization")
