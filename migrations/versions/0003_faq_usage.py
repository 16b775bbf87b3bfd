"""FAQ usage log (issue 4)

Revision ID: 0003_faq_usage
Revises: 0002_invitations
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_faq_usage"
down_revision = "0002_invitations"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Mirrors faq.usage.faq_questions (the FAQ keeps its own MetaData).
    op.create_table(
        "faq_questions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("asked_at", TS, nullable=False),
        sa.Column("user_ref", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(500), nullable=False),
        sa.Column("entry_id", sa.String(100), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("outcome_at", TS, nullable=True),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('helpful', 'not_helpful', 'ticket_opened')",
            name="ck_faq_questions_outcome",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_faq_questions"),
    )
    op.create_index("ix_faq_questions_asked_at", "faq_questions", ["asked_at"])
    op.create_index("ix_faq_questions_topic", "faq_questions", ["topic"])


def downgrade() -> None:
    op.drop_index("ix_faq_questions_topic", table_name="faq_questions")
    op.drop_index("ix_faq_questions_asked_at", table_name="faq_questions")
    op.drop_table("faq_questions")
