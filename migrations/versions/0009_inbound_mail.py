"""inbound mail: reply keys, whole texts of long messages, answers elsewhere, bounces

A reply joins its ticket only with the key of the reply address the requester received
(`ticket_reply_keys`, hashes only); a message cut to the form's limit keeps its whole text
apart (`ticket_full_texts`); the Reply-To of the first message is where answers go
(`tickets.reply_email`); a delivery report is recorded on the outbox message it concerns.

Revision ID: 0009_inbound_mail
Revises: 0008_outbox_forget_sent_bodies
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_inbound_mail"
down_revision = "0008_outbox_forget_sent_bodies"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("tickets", sa.Column("reply_email", sa.String(320), nullable=True))
    op.create_table(
        "ticket_reply_keys",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "ticket_id",
            BigId,
            sa.ForeignKey("tickets.id", name="fk_ticket_reply_keys_ticket_id_tickets"),
            nullable=False,
        ),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("key_hash", name="uq_ticket_reply_keys_key_hash"),
    )
    op.create_index("ix_ticket_reply_keys_ticket_id", "ticket_reply_keys", ["ticket_id"])
    op.create_table(
        "ticket_full_texts",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "ticket_id",
            BigId,
            sa.ForeignKey("tickets.id", name="fk_ticket_full_texts_ticket_id_tickets"),
            nullable=False,
        ),
        sa.Column(
            "event_id",
            BigId,
            sa.ForeignKey("ticket_events.id", name="fk_ticket_full_texts_event_id_ticket_events"),
            nullable=True,
        ),
        sa.Column("chars", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_ticket_full_texts_ticket_id", "ticket_full_texts", ["ticket_id"])
    op.add_column("outbox_messages", sa.Column("bounced_at", TS, nullable=True))
    op.add_column("outbox_messages", sa.Column("bounce_status", sa.String(32), nullable=True))
    op.add_column("outbox_messages", sa.Column("bounce_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("bounce_reason")
        batch.drop_column("bounce_status")
        batch.drop_column("bounced_at")
    op.drop_index("ix_ticket_full_texts_ticket_id", table_name="ticket_full_texts")
    op.drop_table("ticket_full_texts")
    op.drop_index("ix_ticket_reply_keys_ticket_id", table_name="ticket_reply_keys")
    op.drop_table("ticket_reply_keys")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("reply_email")
