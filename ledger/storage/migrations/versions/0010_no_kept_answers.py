"""no kept answers: the table of answers kept per revision is dropped

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:10:00.000000

Answers kept in the database hid the time the totals took to compute again after a write.
The totals are now kept by every write (0009, the read model), and the one cache left is the
answer cache at the edge of each process (api.answer_cache): the kept answers were derived
data, so dropping them loses nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("kept_answer")


def downgrade() -> None:
    op.create_table(
        "kept_answer",
        sa.Column("address", sa.String(length=2048), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("chain_sha256", sa.String(length=64), nullable=False),
        sa.Column("service_version", sa.String(length=32), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("kept_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_kept_answer")),
    )
