"""Fewer index insertions per issued token: partial indexes, two indexes dropped

Revision ID: 861abd9f3d42
Revises: 9e4b1c7d2a55
Create Date: 2026-12-01 10:30:00

Each issued token cost 14 index insertions (9 on oauth_token, 5 on audit_event); after
the commit they were most of PostgreSQL's work per token (docs/benchmarks.md). Every
index stays where a query, a purge, a foreign key's ON DELETE or a uniqueness rule reads
it, but:

- the indexes of columns a token often leaves empty (refresh_token_hash, account_id,
  parent_id, code_id) keep only the rows where the column is set: every query on them
  compares the column to a value, which implies IS NOT NULL, so PostgreSQL uses them as
  before (the foreign keys' generic plans included). The family_id index keeps the tokens
  of a person (account_id IS NOT NULL), as tokens.revoke_family asks; audit_event's
  account_id index the events about a person. The unique rule on refresh_token_hash is
  unchanged (NULLs never collided);
- ix_oauth_token_sid goes: its one query (logout) also asks for the person's account_id,
  whose index finds the few tokens of that person;
- ix_audit_event_type goes: its one query (the admin filter, `type = 'x' OR type LIKE
  'x.%'`) cannot use a B-tree index outside the C collation, and reads along created_at.

A client_credentials token now costs 6 index insertions (3 + 3), a refreshed one 11 or
12 (its code_id, when it has one).
On PostgreSQL each index is built CONCURRENTLY under a temporary name before the one it
replaces is dropped, so the token endpoint is never blocked and uniqueness never lapses.
"""

import sqlalchemy as sa
from alembic import op

revision = "861abd9f3d42"
down_revision = "9e4b1c7d2a55"
branch_labels = None
depends_on = None

# (table, index, column, rows kept, unique)
PARTIAL = (
    (
        "oauth_token",
        "uq_oauth_token_refresh_token_hash",
        "refresh_token_hash",
        "refresh_token_hash IS NOT NULL",
        True,
    ),
    ("oauth_token", "ix_oauth_token_account_id", "account_id", "account_id IS NOT NULL", False),
    ("oauth_token", "ix_oauth_token_family_id", "family_id", "account_id IS NOT NULL", False),
    ("oauth_token", "ix_oauth_token_parent_id", "parent_id", "parent_id IS NOT NULL", False),
    ("oauth_token", "ix_oauth_token_code_id", "code_id", "code_id IS NOT NULL", False),
    ("audit_event", "ix_audit_event_account_id", "account_id", "account_id IS NOT NULL", False),
)
DROPPED = (
    ("oauth_token", "ix_oauth_token_sid", "sid"),
    ("audit_event", "ix_audit_event_type", "type"),
)
UNIQUE_CONSTRAINT = "uq_oauth_token_refresh_token_hash"


def _swap(table: str, name: str, column: str, where: str | None, unique: bool) -> None:
    """Build the new `name` beside the old one, then drop the old and rename (PostgreSQL,
    in autocommit: CONCURRENTLY takes no lock that blocks writes)."""
    temporary = f"{name}_new"
    kind = "UNIQUE INDEX" if unique else "INDEX"
    rows = f" WHERE {where}" if where else ""
    op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {temporary}")
    op.execute(f"CREATE {kind} CONCURRENTLY {temporary} ON {table} ({column}){rows}")
    if name == UNIQUE_CONSTRAINT:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
    op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    if name == UNIQUE_CONSTRAINT and where is None:  # downgrade: the constraint again
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {temporary}")
    else:
        op.execute(f"ALTER INDEX {temporary} RENAME TO {name}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            for table, name, column, where, unique in PARTIAL:
                _swap(table, name, column, where, unique)
            for _table, name, _column in DROPPED:
                op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        return
    with op.batch_alter_table("oauth_token", schema=None) as batch_op:
        batch_op.drop_constraint(UNIQUE_CONSTRAINT, type_="unique")
    for table, name, column, where, unique in PARTIAL:
        if name != UNIQUE_CONSTRAINT:
            op.drop_index(name, table_name=table)
        op.create_index(name, table, [column], unique=unique, sqlite_where=sa.text(where))
    for table, name, _column in DROPPED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            for table, name, column, _where, unique in PARTIAL:
                _swap(table, name, column, None, unique)
            for table, name, column in DROPPED:
                op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({column})")
        return
    for table, name, column, _where, _unique in PARTIAL:
        op.drop_index(name, table_name=table)
        if name != UNIQUE_CONSTRAINT:
            op.create_index(name, table, [column])
    with op.batch_alter_table("oauth_token", schema=None) as batch_op:
        batch_op.create_unique_constraint(UNIQUE_CONSTRAINT, ["refresh_token_hash"])
    for table, name, column in DROPPED:
        op.create_index(name, table, [column])
