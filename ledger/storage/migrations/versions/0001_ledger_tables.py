"""the ledger tables

Revision ID: 0001
Revises:
Create Date: 2026-11-23 17:44:59.683596
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("role IN ('editor', 'admin')", name=op.f("ck_api_token_role_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("name", name=op.f("uq_api_token_name")),
        sa.UniqueConstraint("secret_sha256", name=op.f("uq_api_token_secret_sha256")),
    )
    op.create_table(
        "entry",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry")),
    )
    op.create_table(
        "journal",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_journal")),
    )
    op.create_table(
        "note",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("qualifier", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_note_count_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note")),
    )
    op.create_table(
        "source",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("publisher", sa.String(length=500), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
        sa.UniqueConstraint("sha256", name=op.f("uq_source_sha256")),
    )
    op.create_table(
        "term",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term")),
    )
    op.create_table(
        "entry_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("population", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("qualifier", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("party", sa.String(length=100), nullable=False),
        sa.Column("nationality", sa.String(length=100), nullable=True),
        sa.Column("framework", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("period_phrase", sa.Text(), nullable=True),
        sa.Column("period_note", sa.Text(), nullable=True),
        sa.Column("retracted", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "framework IN ('truce_deal', 'parallel_deal', 'other')",
            name=op.f("ck_entry_revision_framework_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('released', 'rescued', 'found_dead', 'captured')",
            name=op.f("ck_entry_revision_kind_known"),
        ),
        sa.CheckConstraint(
            "population IN ('hostages', 'detainees')",
            name=op.f("ck_entry_revision_population_known"),
        ),
        sa.CheckConstraint(
            "qualifier IN ('exact', 'at_least', 'at_most', 'approx')",
            name=op.f("ck_entry_revision_qualifier_known"),
        ),
        sa.CheckConstraint("count >= 0", name=op.f("ck_entry_revision_count_not_negative")),
        sa.CheckConstraint(
            "period_start <= period_end", name=op.f("ck_entry_revision_period_ordered")
        ),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_entry_revision_revision_from_one")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entry.id"], name=op.f("fk_entry_revision_entry_id_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry_revision")),
        sa.UniqueConstraint("entry_id", "revision", name="entry_revision_once"),
    )
    with op.batch_alter_table("entry_revision", schema=None) as batch_op:
        batch_op.create_index("entry_revision_recorded", ["recorded_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_entry_revision_entry_id"), ["entry_id"], unique=False)

    op.create_table(
        "sentence",
        sa.Column("source_id", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "kind IN ('sentence', 'heading', 'link', 'dateline')",
            name=op.f("ck_sentence_kind_known"),
        ),
        sa.CheckConstraint('"start" <= "end"', name=op.f("ck_sentence_span_ordered")),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_sentence_source_id_source")
        ),
        sa.PrimaryKeyConstraint("source_id", "n", name=op.f("pk_sentence")),
    )
    op.create_table(
        "term_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("population", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("party", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("per", sa.String(length=16), nullable=False),
        sa.Column("qualifier", sa.String(length=16), nullable=False),
        sa.Column("framework", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("period_phrase", sa.Text(), nullable=True),
        sa.Column("period_note", sa.Text(), nullable=True),
        sa.Column("retracted", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "framework IN ('truce_deal', 'parallel_deal', 'other')",
            name=op.f("ck_term_revision_framework_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('released', 'rescued', 'found_dead', 'captured')",
            name=op.f("ck_term_revision_kind_known"),
        ),
        sa.CheckConstraint("per IN ('period', 'day')", name=op.f("ck_term_revision_per_known")),
        sa.CheckConstraint(
            "population IN ('hostages', 'detainees')",
            name=op.f("ck_term_revision_population_known"),
        ),
        sa.CheckConstraint(
            "qualifier IN ('exact', 'at_least', 'at_most', 'approx')",
            name=op.f("ck_term_revision_qualifier_known"),
        ),
        sa.CheckConstraint("count >= 0", name=op.f("ck_term_revision_count_not_negative")),
        sa.CheckConstraint(
            "period_start <= period_end", name=op.f("ck_term_revision_period_ordered")
        ),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_term_revision_revision_from_one")),
        sa.ForeignKeyConstraint(
            ["term_id"], ["term.id"], name=op.f("fk_term_revision_term_id_term")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_revision")),
        sa.UniqueConstraint("term_id", "revision", name="term_revision_once"),
    )
    with op.batch_alter_table("term_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_term_revision_term_id"), ["term_id"], unique=False)

    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_revision_id", sa.Integer(), nullable=True),
        sa.Column("term_revision_id", sa.Integer(), nullable=True),
        sa.Column("note_id", sa.String(length=32), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=32), nullable=False),
        sa.Column("sentence_n", sa.Integer(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.CheckConstraint('"start" < "end"', name=op.f("ck_evidence_span_ordered")),
        sa.CheckConstraint(
            "(CASE WHEN entry_revision_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN term_revision_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN note_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_evidence_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_revision_id"],
            ["entry_revision.id"],
            name=op.f("fk_evidence_entry_revision_id_entry_revision"),
        ),
        sa.ForeignKeyConstraint(["note_id"], ["note.id"], name=op.f("fk_evidence_note_id_note")),
        sa.ForeignKeyConstraint(
            ["source_id", "sentence_n"],
            ["sentence.source_id", "sentence.n"],
            name="evidence_sentence",
        ),
        sa.ForeignKeyConstraint(
            ["term_revision_id"],
            ["term_revision.id"],
            name=op.f("fk_evidence_term_revision_id_term_revision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_entry_revision_id"), ["entry_revision_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_evidence_note_id"), ["note_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_source_id"), ["source_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evidence_term_revision_id"), ["term_revision_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_term_revision_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_source_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_note_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_entry_revision_id"))

    op.drop_table("evidence")
    with op.batch_alter_table("term_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_term_revision_term_id"))

    op.drop_table("term_revision")
    op.drop_table("sentence")
    with op.batch_alter_table("entry_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_revision_entry_id"))
        batch_op.drop_index("entry_revision_recorded")

    op.drop_table("entry_revision")
    op.drop_table("term")
    op.drop_table("source")
    op.drop_table("note")
    op.drop_table("journal")
    op.drop_table("entry")
    op.drop_table("api_token")
