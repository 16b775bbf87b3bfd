"""chat identity links, processed Slack events (issue 5)

Revision ID: 0004_chat
Revises: 0003_faq_usage
"""

from __future__ import annotations

revision = "0004_chat"
down_revision = "0003_faq_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
