"""published entry rows: each entry revision's row of entries.csv, stored with the revision

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 19:45:00.000000

Revisions written before this migration have no row: the export renders such a revision as
it reads it, and `Ledger.migrate` stores the missing rows once the migrations have run (a
migration carries no live code of the ledger's).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_entry_row",
        sa.Column("entry_revision_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_revision_id"],
            ["entry_revision.id"],
            name=op.f("fk_published_entry_row_entry_revision_id_entry_revision"),
        ),
        sa.PrimaryKeyConstraint("entry_revision_id", name=op.f("pk_published_entry_row")),
    )


def downgrade() -> None:
    op.drop_table("published_entry_row")
