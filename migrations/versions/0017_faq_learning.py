"""FAQ learning from the helpdesk: the ticket a question led to, proposed phrasings (issue 20)

Revision ID: 0017
Revises: 0010_web_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0012"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Mirrors faq.usage.faq_questions and faq.learning.faq_proposals (the FAQ's MetaData).
    with op.batch_alter_table("faq_questions") as batch:
        batch.add_column(sa.Column("ticket_number", sa.String(20), nullable=True))
    op.create_index("ix_faq_questions_ticket_number", "faq_questions", ["ticket_number"])
    op.create_table(
        "faq_proposals",
        sa.Column("id", BigId, nullable=False),
        sa.Column("question_id", BigId, nullable=True),
        sa.Column("ticket_number", sa.String(20), nullable=True),
        sa.Column("entry_id", sa.String(100), nullable=True),
        sa.Column("phrasing", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed_at", TS, nullable=False),
        sa.Column("proposed_by", sa.String(64), nullable=False),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.CheckConstraint(
            "status IN ('proposed', 'accepted', 'rejected')", name="ck_faq_proposals_status"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_faq_proposals"),
        sa.UniqueConstraint("question_id", name="uq_faq_proposals_question_id"),
    )
    op.create_index("ix_faq_proposals_ticket_number", "faq_proposals", ["ticket_number"])
    op.create_index("ix_faq_proposals_entry_id", "faq_proposals", ["entry_id"])
    op.create_index("ix_faq_proposals_topic", "faq_proposals", ["topic"])


def downgrade() -> None:
    op.drop_index("ix_faq_proposals_topic", table_name="faq_proposals")
    op.drop_index("ix_faq_proposals_entry_id", table_name="faq_proposals")
    op.drop_index("ix_faq_proposals_ticket_number", table_name="faq_proposals")
    op.drop_table("faq_proposals")
    op.drop_index("ix_faq_questions_ticket_number", table_name="faq_questions")
    with op.batch_alter_table("faq_questions") as batch:
        batch.drop_column("ticket_number")
