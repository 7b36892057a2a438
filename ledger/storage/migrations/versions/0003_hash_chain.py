"""hash chain

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:31:09.783135
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("chain_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.drop_column("chain_sha256")
        batch_op.drop_column("content_sha256")
