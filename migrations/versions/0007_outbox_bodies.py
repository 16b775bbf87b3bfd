"""outbox: message bytes in their own table

A message's status changes several times (claimed, sent, retried) while its bytes never
do. Kept in the same row, every status change rewrote the whole message (SQLite rewrites a
record entirely), which made delivering a school's invitations write each one three times.

Revision ID: 0007_outbox_bodies
Revises: 0006_directors
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_outbox_bodies"
down_revision = "0006_directors"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # The bytes wait in a table without a foreign key while outbox_messages loses its column:
    # on SQLite that means copying the table and dropping the old one, and dropping it would
    # delete (cascade) the rows of a table that already pointed at it.
    op.create_table(
        "outbox_bodies_moving",
        sa.Column("outbox_id", BigId, primary_key=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
    )
    op.execute(
        "INSERT INTO outbox_bodies_moving (outbox_id, raw) SELECT id, raw FROM outbox_messages"
    )
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("raw")
    op.create_table(
        "outbox_bodies",
        sa.Column(
            "outbox_id",
            BigId,
            sa.ForeignKey("outbox_messages.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
    )
    op.execute(
        "INSERT INTO outbox_bodies (outbox_id, raw) SELECT outbox_id, raw FROM outbox_bodies_moving"
    )
    op.drop_table("outbox_bodies_moving")


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("raw", sa.LargeBinary(), nullable=True))
    op.execute(
        "UPDATE outbox_messages SET raw = "
        "(SELECT raw FROM outbox_bodies WHERE outbox_bodies.outbox_id = outbox_messages.id)"
    )
    with op.batch_alter_table("outbox_messages") as batch:
        batch.alter_column("raw", existing_type=sa.LargeBinary(), nullable=False)
    op.drop_table("outbox_bodies")
