"""helpdesk tickets (issue 6)

Revision ID: 0005_tickets
Revises: 0004_chat
"""

from __future__ import annotations

revision = "0005_tickets"
down_revision = "0004_chat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
