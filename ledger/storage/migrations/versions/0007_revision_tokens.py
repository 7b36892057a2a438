"""revision tokens: who may retract a record, and who retracted it, by token id

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00.000000

Until now the author of a record's latest revision, a token's name, decided who may retract
it: an editor who revised another's record could then retract it, and a revision undid an
admin's retraction. The token that wrote each revision is now kept by id: revision 1's owns
the record, and a retraction's says whether an admin made it. Revisions written before this
migration get the token whose name their author bears, if that token existed by then;
revisions with no such token (the seed, the command line) have none, and count as an admin's.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

REVISIONS = (
    ("entry_revision", "entry_id"),
    ("term_revision", "term_id"),
    ("exchange_revision", "exchange_id"),
)


def upgrade() -> None:
    op.create_table(
        "revision_token",
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_token.id"], name=op.f("fk_revision_token_token_id_api_token")
        ),
        sa.PrimaryKeyConstraint("record_id", "revision", name=op.f("pk_revision_token")),
    )
    for table, record in REVISIONS:
        op.execute(
            f"INSERT INTO revision_token (record_id, revision, token_id) "
            f"SELECT r.{record}, r.revision, t.id FROM {table} r JOIN api_token t "
            f"ON t.name = r.author AND t.created_at <= r.recorded_at"
        )


def downgrade() -> None:
    op.drop_table("revision_token")
