"""record owners: who may retract a record is its first author's token, by id

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00.000000

Until now the author of a record's latest revision, a token's name, decided who may retract
it: an editor who revised another's record could then retract it. The token that recorded a
record's first revision is now kept by id. Records recorded before this migration get the
token whose name their first author bears, if that token existed by then; records with no
such token (the seed, the command line) have no owner, so only an admin retracts them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_owner",
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_token.id"], name=op.f("fk_record_owner_token_id_api_token")
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_record_owner")),
    )
    for table in ("entry", "term", "exchange"):
        op.execute(
            f"INSERT INTO record_owner (record_id, token_id) "
            f"SELECT r.id, t.id FROM {table} r JOIN api_token t "
            f"ON t.name = r.author AND t.created_at <= r.recorded_at"
        )


def downgrade() -> None:
    op.drop_table("record_owner")
