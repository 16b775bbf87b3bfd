"""FAQ usage log (issue 4)

Revision ID: 0003_faq_usage
Revises: 0002_invitations
"""

from __future__ import annotations

revision = "0003_faq_usage"
down_revision = "0002_invitations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
