"""chat identity links, processed Slack events (issue 5)

Revision ID: 0004_chat
Revises: 0003_faq_usage
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_chat"
down_revision = "0003_faq_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_user_links",
        sa.Column("transport", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("method", sa.String(16), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "pending_person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_chat_user_links_person_id_people"
        ),
        sa.ForeignKeyConstraint(
            ["pending_person_id"],
            ["people.id"],
            name="fk_chat_user_links_pending_person_id_people",
        ),
        sa.PrimaryKeyConstraint("transport", "user_id", name="pk_chat_user_links"),
    )
    op.create_index("ix_chat_user_links_person_id", "chat_user_links", ["person_id"])
    op.create_table(
        "chat_processed_events",
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_chat_processed_events"),
    )
    op.create_index(
        "ix_chat_processed_events_received_at", "chat_processed_events", ["received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_chat_processed_events_received_at", table_name="chat_processed_events")
    op.drop_table("chat_processed_events")
    op.drop_index("ix_chat_user_links_person_id", table_name="chat_user_links")
    op.drop_table("chat_user_links")
