"""invitation tokens, mail outbox, sign-in (issue 3)

Revision ID: 0002_invitations
Revises: 0001_foundation
"""

from __future__ import annotations

revision = "0002_invitations"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
