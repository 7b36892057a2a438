"""day sums: each day of the totals added up, beside the components' parts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 18:20:00.000000

Derived data (ledger.storage.day_totals): the sum of the parts in force of each population,
kind and day, kept by every write beside `day_total`, so the totals' running sum reads days,
not components. Filled here from the parts in force; the moments before are worked out from
the entries (`read_model.since` moves to the revision it stands at).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

IN_FORCE = sa.text("last_seq IS NULL")
FILLED = """
INSERT INTO day_sum (population, kind, day, daily_low, daily_high, moved_low, moved_high,
                     unbounded, approx_from, first_seq)
SELECT population, kind, day, sum(daily_low),
       CASE WHEN count(daily_high) = count(*) THEN sum(daily_high) END,
       sum(moved_low), sum(moved_high), count(*) - count(moved_high), min(approx_from),
       (SELECT revision FROM read_model WHERE name = 'totals')
FROM day_total
WHERE last_seq IS NULL
GROUP BY population, kind, day
"""


def upgrade() -> None:
    op.create_table(
        "day_sum",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("population", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("daily_low", sa.Float(), nullable=False),
        sa.Column("daily_high", sa.Float(), nullable=True),
        sa.Column("moved_low", sa.Float(), nullable=False),
        sa.Column("moved_high", sa.Float(), nullable=True),
        sa.Column("unbounded", sa.Integer(), nullable=False),
        sa.Column("approx_from", sa.Date(), nullable=True),
        sa.Column("first_seq", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_sum")),
    )
    op.create_index("ix_day_sum_question", "day_sum", ["population", "kind", "last_seq", "day"])
    op.create_index(
        "ix_day_sum_in_force",
        "day_sum",
        ["population", "kind", "day"],
        sqlite_where=IN_FORCE,
        postgresql_where=IN_FORCE,
    )
    op.execute(sa.text(FILLED))
    op.execute(sa.text("UPDATE read_model SET since = revision WHERE name = 'totals'"))


def downgrade() -> None:
    op.drop_index("ix_day_sum_in_force", table_name="day_sum")
    op.drop_index("ix_day_sum_question", table_name="day_sum")
    op.drop_table("day_sum")
