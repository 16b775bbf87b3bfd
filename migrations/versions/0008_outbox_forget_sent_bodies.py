"""outbox: forget the bytes of messages already sent or failed for good

Since this revision the worker deletes a message's bytes when it records it sent or failed
for good (an invitation's bytes hold a live activation link in clear); this deletes those
an earlier version left behind. The rows stay: the team list reads their status and reason.

Revision ID: 0008_outbox_forget_sent_bodies
Revises: 0007_outbox_bodies
"""

from __future__ import annotations

from alembic import op

revision = "0008_outbox_forget_sent_bodies"
down_revision = "0007_outbox_bodies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM outbox_bodies WHERE outbox_id IN "
        "(SELECT id FROM outbox_messages WHERE status IN ('sent', 'failed'))"
    )


def downgrade() -> None:
    # What was deleted is gone; the earlier schema works without it.
    pass
