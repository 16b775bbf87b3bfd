"""web sessions kept on the server, so that signing out ends them (issue 16)

Revision ID: 0010_web_sessions
Revises: 0009_inbound_mail
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_web_sessions"
down_revision = "0009_inbound_mail"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("person_id", BigId, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("credential_version", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
    )
    op.create_index("ix_web_sessions_person_id", "web_sessions", ["person_id"])
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])


def downgrade() -> None:
    # Everyone signed in is signed out: the earlier schema kept sessions in the cookie only.
    op.drop_index("ix_web_sessions_expires_at", table_name="web_sessions")
    op.drop_index("ix_web_sessions_person_id", table_name="web_sessions")
    op.drop_table("web_sessions")
