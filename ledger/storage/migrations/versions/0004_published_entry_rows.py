"""published entry rows: each entry revision's row of entries.csv, stored with the revision

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 19:45:00.000000

Revisions written before this migration get their rows from `fill_published_rows`, in the
same transaction; until a row is stored the export renders it as it reads it.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from ledger.storage.exports import fill_published_rows

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
    with Session(bind=op.get_bind()) as session:
        fill_published_rows(session)


def downgrade() -> None:
    op.drop_table("published_entry_row")
