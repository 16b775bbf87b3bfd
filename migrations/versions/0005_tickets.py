"""helpdesk tickets (issue 6)

Revision ID: 0005_tickets
Revises: 0004_chat
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_tickets"
down_revision = "0004_chat"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ticket_counters",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "tickets",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("last_name", sa.String(255), nullable=False),
        sa.Column("first_name", sa.String(255), nullable=False),
        sa.Column("fase", sa.String(16), nullable=False),
        sa.Column("fase_unknown", sa.Boolean(), nullable=False),
        sa.Column("contact_email", sa.String(320), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("identification_missing", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("proposed_faq_ids", sa.JSON(), nullable=False),
        sa.Column(
            "requester_person_id",
            BigId,
            sa.ForeignKey("people.id", name="fk_tickets_requester_person_id_people"),
            nullable=True,
        ),
        sa.Column("requester_slack_user_id", sa.String(32), nullable=True),
        sa.Column("requester_channel", sa.String(64), nullable=True),
        sa.Column("requester_thread_ts", sa.String(32), nullable=True),
        sa.Column("assignee_ref", sa.String(64), nullable=True),
        sa.Column("assignee_name", sa.String(255), nullable=True),
        sa.Column("triage_channel", sa.String(64), nullable=True),
        sa.Column("triage_ts", sa.String(32), nullable=True),
        sa.Column("helpdesk_emailed_at", TS, nullable=True),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("first_response_at", TS, nullable=True),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("resolution_confirmed", sa.Boolean(), nullable=True),
        sa.UniqueConstraint("number", name="uq_tickets_number"),
        sa.UniqueConstraint("year", "sequence", name="uq_tickets_year"),
        sa.UniqueConstraint("idempotency_key", name="uq_tickets_idempotency_key"),
    )
    for column in (
        "status",
        "fase",
        "requester_person_id",
        "requester_thread_ts",
        "assignee_ref",
        "triage_ts",
        "created_at",
    ):
        op.create_index(f"ix_tickets_{column}", "tickets", [column])
    op.create_table(
        "ticket_events",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "ticket_id",
            BigId,
            sa.ForeignKey("tickets.id", name="fk_ticket_events_ticket_id_tickets"),
            nullable=False,
        ),
        sa.Column("at", TS, nullable=False),
        sa.Column("author_ref", sa.String(64), nullable=False),
        sa.Column("author_name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("source_ref", sa.String(255), nullable=True),
        sa.UniqueConstraint("source_ref", name="uq_ticket_events_source_ref"),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_events_ticket_id", table_name="ticket_events")
    op.drop_table("ticket_events")
    op.drop_table("tickets")
    op.drop_table("ticket_counters")
