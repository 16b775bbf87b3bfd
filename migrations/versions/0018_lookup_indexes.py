"""indexes for the lookups a September rush repeats: addresses compared in lower case, and
old sign-in attempts pruned by date

Revision ID: 0018
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Sign-in, activation and the chat's identity compare addresses as lower(column) = …:
    # without an index on that expression each lookup reads the whole table.
    op.create_index(
        "ix_accounts_reference_email_lower", "accounts", [sa.text("lower(reference_email)")]
    )
    op.create_index("ix_people_proeco_email_lower", "people", [sa.text("lower(proeco_email)")])
    # Every sign-in deletes the attempts older than two days (`signin._prune`).
    op.create_index("ix_login_attempts_at", "login_attempts", ["at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempts_at", table_name="login_attempts")
    op.drop_index("ix_people_proeco_email_lower", table_name="people")
    op.drop_index("ix_accounts_reference_email_lower", table_name="accounts")
