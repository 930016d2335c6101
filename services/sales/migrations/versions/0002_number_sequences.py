"""document numbers from PostgreSQL sequences

Revision ID: 0002
Revises: 0001

A counter row updated by every order serialises concurrent orders on PostgreSQL (the row stays
locked until each transaction commits). Sequences hand out numbers without locking; SQLite keeps
the counter table, where writers take turns anyway.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PREFIXES = ("so", "qt", "ct")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for prefix in PREFIXES:
        op.execute(f"CREATE SEQUENCE IF NOT EXISTS sales_number_{prefix}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for prefix in PREFIXES:
        op.execute(f"DROP SEQUENCE IF EXISTS sales_number_{prefix}")
