"""invitation tokens, mail outbox, sign-in (issue 3)

Revision ID: 0002_invitations
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_invitations"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "secret_tokens",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("salt", sa.String(32), nullable=True),
        sa.Column("person_id", BigId, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(128), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("consumed_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoked_reason", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_secret_tokens_token_hash"),
    )
    op.create_index("ix_secret_tokens_person_id", "secret_tokens", ["person_id", "purpose"])

    op.create_table(
        "outbox_messages",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("person_id", BigId, sa.ForeignKey("people.id"), nullable=True),
        sa.Column("ref", sa.String(128), nullable=True),
        sa.Column("mail_from", sa.String(320), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.UniqueConstraint("message_id", name="uq_outbox_messages_message_id"),
    )
    op.create_index("ix_outbox_messages_due", "outbox_messages", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_messages_person_id", "outbox_messages", ["person_id", "kind"])

    op.create_table(
        "invitation_requests",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("fase", sa.String(16), nullable=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.UniqueConstraint("idempotency_key", name="uq_invitation_requests_idempotency_key"),
    )

    op.create_table(
        "login_attempts",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("email_key", sa.String(64), nullable=True),
        sa.Column("client", sa.String(64), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_login_attempts_email_key", "login_attempts", ["email_key", "at"])
    op.create_index("ix_login_attempts_client", "login_attempts", ["client", "at"])
    _upgrade_web()


def downgrade() -> None:
    _downgrade_web()
    for table in ("login_attempts", "invitation_requests", "outbox_messages", "secret_tokens"):
        op.drop_table(table)


# --- web pages (helper "web") -------------------------------------------------------------
# app_secrets: secrets the product generates for itself when the operator set none, e.g. the
# session cookie key (SESSION_SECRET), shared by every web process through the database.


def _upgrade_web() -> None:
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )


def _downgrade_web() -> None:
    op.drop_table("app_secrets")
