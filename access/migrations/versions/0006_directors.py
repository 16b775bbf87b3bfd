"""directors in chat (issue 7)

Revision ID: 0006_directors
Revises: 0005_tickets
"""

from __future__ import annotations

revision = "0006_directors"
down_revision = "0005_tickets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
