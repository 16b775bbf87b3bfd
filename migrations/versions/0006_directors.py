"""directors in chat (issue 7): bulk invitation jobs

Revision ID: 0006_directors
Revises: 0005_tickets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_directors"
down_revision = "0005_tickets"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "invitation_jobs",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("establishment_id", BigId, sa.ForeignKey("establishments.id"), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        # The establishment's FASE while the job runs, NULL after: at most one running job per
        # establishment, enforced by the database (NULLs never collide in a unique index).
        sa.Column("running_slot", sa.String(16), nullable=True),
        sa.Column("requested_by_id", BigId, sa.ForeignKey("people.id"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("heartbeat_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.UniqueConstraint("idempotency_key", name="uq_invitation_jobs_idempotency_key"),
        sa.UniqueConstraint("running_slot", name="uq_invitation_jobs_running_slot"),
    )
    op.create_index("ix_invitation_jobs_establishment_id", "invitation_jobs", ["establishment_id"])


def downgrade() -> None:
    op.drop_table("invitation_jobs")
