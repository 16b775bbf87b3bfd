"""tickets: the e-mail threads of a ticket, and FASE numbers in the directory's spelling

Our e-mails about a ticket answer the requester's first e-mail (or our acknowledgement) and,
at the help address, the copy of the ticket it received (`requester_mail_root`,
`helpdesk_mail_root`). A FASE typed without its leading zeros (« 931 » for « 00931 ») is
rewritten as the directory writes it, so that searching a school's tickets finds them all.

Revision ID: 0012
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
# After the scheduler's run records (0016), the head when this was written.
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("requester_mail_root", sa.String(255), nullable=True))
        batch.add_column(sa.Column("helpdesk_mail_root", sa.String(255), nullable=True))
    # ltrim(x, '0') is the same function in SQLite and PostgreSQL.
    op.execute(
        """
        UPDATE tickets SET fase = (
            SELECT MIN(e.fase) FROM establishments e
            WHERE ltrim(e.fase, '0') = ltrim(tickets.fase, '0')
        )
        WHERE fase <> ''
          AND NOT EXISTS (SELECT 1 FROM establishments e WHERE e.fase = tickets.fase)
          AND EXISTS (
            SELECT 1 FROM establishments e WHERE ltrim(e.fase, '0') = ltrim(tickets.fase, '0')
          )
        """
    )


def downgrade() -> None:
    # The FASE numbers stay in the directory's spelling: both spellings name the same school.
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("helpdesk_mail_root")
        batch.drop_column("requester_mail_root")
