"""indexes for the lookups a September rush repeats: addresses compared in lower case, and
old sign-in attempts and ended web sessions pruned at every sign-in

Revision ID: 0018
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Sign-in, activation and the chat's identity compare addresses as lower(column) = …:
    # without an index on that expression each lookup reads the whole table.
    op.create_index(
        "ix_accounts_reference_email_lower", "accounts", [sa.text("lower(reference_email)")]
    )
    op.create_index("ix_people_proeco_email_lower", "people", [sa.text("lower(proeco_email)")])
    # Every sign-in deletes the attempts older than two days (`signin._prune`) and the web
    # sessions that ended (`sessions.prune`: revoked, expired, or idle too long).
    op.create_index("ix_login_attempts_at", "login_attempts", ["at"])
    op.create_index("ix_web_sessions_last_seen_at", "web_sessions", ["last_seen_at"])
    op.create_index("ix_web_sessions_revoked_at", "web_sessions", ["revoked_at"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_revoked_at", table_name="web_sessions")
    op.drop_index("ix_web_sessions_last_seen_at", table_name="web_sessions")
    op.drop_index("ix_login_attempts_at", table_name="login_attempts")
    op.drop_index("ix_people_proeco_email_lower", table_name="people")
    op.drop_index("ix_accounts_reference_email_lower", table_name="accounts")
