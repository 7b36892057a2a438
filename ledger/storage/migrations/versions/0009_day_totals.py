"""day totals: the read model of the totals, kept by every write

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 22:00:00.000000

Derived data (ledger.storage.day_totals): each component's part of each day of the totals,
in force from the revision that wrote it until the one that replaced its component. The rows
are computed by the service, not here: `Ledger.migrate` builds them after the migrations when
`read_model` does not stand at the journal's head.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

IN_FORCE = sa.text("last_seq IS NULL")


def upgrade() -> None:
    op.create_table(
        "day_total",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(length=40), nullable=False),
        sa.Column("population", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("daily_low", sa.Float(), nullable=False),
        sa.Column("daily_high", sa.Float(), nullable=True),
        sa.Column("moved_low", sa.Float(), nullable=False),
        sa.Column("moved_high", sa.Float(), nullable=True),
        sa.Column("approx_from", sa.Date(), nullable=True),
        sa.Column("first_seq", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_total")),
    )
    op.create_index("ix_day_total_question", "day_total", ["population", "kind", "last_seq", "day"])
    op.create_index(
        "ix_day_total_in_force",
        "day_total",
        ["component"],
        sqlite_where=IN_FORCE,
        postgresql_where=IN_FORCE,
    )
    op.create_table(
        "read_model",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("since", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_read_model")),
    )


def downgrade() -> None:
    op.drop_table("read_model")
    op.drop_index("ix_day_total_in_force", table_name="day_total")
    op.drop_index("ix_day_total_question", table_name="day_total")
    op.drop_table("day_total")
