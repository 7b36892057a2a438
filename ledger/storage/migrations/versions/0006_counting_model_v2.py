"""counting model v2: scopes that may leave parts unstated, exchanges as records

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00.000000

Entries: kind may list several kinds (stored sorted, joined by ';'), party and framework may be
null (not stated), nationality and batch may list several values, a "between" range keeps its
top in count_high, and an entry may name its exchange. Terms name their exchange. Exchanges
are revised by appending, like entries, and carry evidence.

Every stored revision keeps the values it was written with: a kind, party, nationality and
framework written before this migration read back the same (a framework that was left out
then was stored as 'other', and stays 'other'). entries.csv gains columns, so each stored row
of it is dropped, to be rendered again after the migrations (`Ledger.migrate`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KINDS = "('released', 'rescued', 'found_dead', 'remains_returned', 'captured')"
OLD_KINDS = "('released', 'rescued', 'found_dead', 'captured')"
QUALIFIERS = "('exact', 'at_least', 'at_most', 'between', 'approx')"
OLD_QUALIFIERS = "('exact', 'at_least', 'at_most', 'approx')"
OWNERS = (
    "(CASE WHEN entry_revision_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN term_revision_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN exchange_revision_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN note_id IS NULL THEN 0 ELSE 1 END) = 1"
)
OLD_OWNERS = (
    "(CASE WHEN entry_revision_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN term_revision_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN note_id IS NULL THEN 0 ELSE 1 END) = 1"
)


def upgrade() -> None:
    op.create_table(
        "exchange",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange")),
    )
    op.create_table(
        "exchange_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parties", sa.Text(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("retracted", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "last_day IS NULL OR first_day <= last_day",
            name=op.f("ck_exchange_revision_days_ordered"),
        ),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_exchange_revision_revision_from_one")),
        sa.ForeignKeyConstraint(
            ["exchange_id"], ["exchange.id"], name=op.f("fk_exchange_revision_exchange_id_exchange")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_revision")),
        sa.UniqueConstraint("exchange_id", "revision", name="exchange_revision_once"),
    )
    with op.batch_alter_table("exchange_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_revision_exchange_id"), ["exchange_id"], unique=False
        )

    with op.batch_alter_table("entry_revision", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_entry_revision_kind_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_entry_revision_qualifier_known"), type_="check")
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=16), type_=sa.String(length=100)
        )
        batch_op.alter_column("party", existing_type=sa.String(length=100), nullable=True)
        batch_op.alter_column("framework", existing_type=sa.String(length=16), nullable=True)
        batch_op.alter_column("nationality", existing_type=sa.String(length=100), type_=sa.Text())
        batch_op.add_column(sa.Column("count_high", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("exchange", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("batch", sa.Text(), nullable=True))
        batch_op.create_check_constraint("qualifier_known", f"qualifier IN {QUALIFIERS}")
        batch_op.create_check_constraint(
            "range_ordered", "count_high IS NULL OR count_high >= count"
        )

    with op.batch_alter_table("term_revision", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_term_revision_kind_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_term_revision_qualifier_known"), type_="check")
        batch_op.alter_column("framework", existing_type=sa.String(length=16), nullable=True)
        batch_op.add_column(sa.Column("exchange", sa.String(length=32), nullable=True))
        batch_op.create_check_constraint("kind_known", f"kind IN {KINDS}")
        batch_op.create_check_constraint("qualifier_known", f"qualifier IN {QUALIFIERS}")

    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_evidence_one_owner"), type_="check")
        batch_op.add_column(sa.Column("exchange_revision_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_exchange_revision_id_exchange_revision"),
            "exchange_revision",
            ["exchange_revision_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_evidence_exchange_revision_id"), ["exchange_revision_id"], unique=False
        )
        batch_op.create_check_constraint("one_owner", OWNERS)

    # entries.csv has new columns: every stored row of it is rendered again, by
    # `Ledger.migrate` once the migrations have run (until then, as the export reads it).
    op.execute("DELETE FROM published_entry_row")


def downgrade() -> None:
    # What only this revision's schema can hold is lost: exchanges and their evidence, lists
    # and ranges (a downgrade is for development, never for a ledger in use).
    op.execute("DELETE FROM evidence WHERE exchange_revision_id IS NOT NULL")
    for table in ("entry_revision", "term_revision"):
        op.execute(f"UPDATE {table} SET framework = 'other' WHERE framework IS NULL")
    op.execute("UPDATE entry_revision SET party = '(not stated)' WHERE party IS NULL")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_evidence_one_owner"), type_="check")
        batch_op.drop_index(batch_op.f("ix_evidence_exchange_revision_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_evidence_exchange_revision_id_exchange_revision"), type_="foreignkey"
        )
        batch_op.drop_column("exchange_revision_id")
        batch_op.create_check_constraint("one_owner", OLD_OWNERS)
    with op.batch_alter_table("term_revision", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_term_revision_kind_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_term_revision_qualifier_known"), type_="check")
        batch_op.drop_column("exchange")
        batch_op.alter_column("framework", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_check_constraint("kind_known", f"kind IN {OLD_KINDS}")
        batch_op.create_check_constraint("qualifier_known", f"qualifier IN {OLD_QUALIFIERS}")
    with op.batch_alter_table("entry_revision", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_entry_revision_range_ordered"), type_="check")
        batch_op.drop_constraint(op.f("ck_entry_revision_qualifier_known"), type_="check")
        batch_op.drop_column("batch")
        batch_op.drop_column("exchange")
        batch_op.drop_column("count_high")
        batch_op.alter_column("nationality", existing_type=sa.Text(), type_=sa.String(length=100))
        batch_op.alter_column("framework", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("party", existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=100), type_=sa.String(length=16)
        )
        batch_op.create_check_constraint("kind_known", f"kind IN {OLD_KINDS}")
        batch_op.create_check_constraint("qualifier_known", f"qualifier IN {OLD_QUALIFIERS}")
    with op.batch_alter_table("exchange_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_revision_exchange_id"))
    op.drop_table("exchange_revision")
    op.drop_table("exchange")
