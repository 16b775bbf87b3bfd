"""access core: establishments, functions, people, assignments, accounts, grants, audit

Revision ID: 0001_foundation
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "establishments",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("fase", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("fase", name="uq_establishments_fase"),
    )
    op.create_table(
        "functions",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("is_direction", sa.Boolean(), nullable=False),
        sa.Column("known", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "people",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("matricule", sa.String(32), nullable=False),
        sa.Column("last_name", sa.String(255), nullable=False),
        sa.Column("first_name", sa.String(255), nullable=False),
        sa.Column("proeco_email", sa.String(320), nullable=True),
        sa.Column("proeco_email_valid", sa.Boolean(), nullable=False),
        sa.Column("left_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("matricule", name="uq_people_matricule"),
    )
    op.create_table(
        "assignments",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("person_id", BigId, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("establishment_id", BigId, sa.ForeignKey("establishments.id"), nullable=False),
        sa.Column("function_code", sa.String(64), sa.ForeignKey("functions.code"), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.UniqueConstraint("person_id", "establishment_id", name="uq_assignments_person_id"),
    )
    op.create_index("ix_assignments_person_id", "assignments", ["person_id"])
    op.create_index("ix_assignments_establishment_id", "assignments", ["establishment_id"])
    op.create_table(
        "accounts",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("person_id", BigId, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("reference_email", sa.String(320), nullable=True),
        sa.Column("reference_email_chosen", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("invited_at", TS, nullable=True),
        sa.Column("activated_at", TS, nullable=True),
        sa.Column("disabled_at", TS, nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("status_before_disable", sa.String(16), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("person_id", name="uq_accounts_person_id"),
    )
    op.create_index("ix_accounts_reference_email", "accounts", ["reference_email"])
    op.create_table(
        "mission_grants",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("person_id", BigId, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("establishment_id", BigId, sa.ForeignKey("establishments.id"), nullable=False),
        sa.Column("mission", sa.String(255), nullable=False),
        sa.Column("resources", sa.JSON(), nullable=False),
        sa.Column("granted_by_id", BigId, sa.ForeignKey("people.id"), nullable=True),
        sa.Column("granted_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoked_by_id", BigId, sa.ForeignKey("people.id"), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_mission_grants_person_id", "mission_grants", ["person_id"])
    op.create_index("ix_mission_grants_establishment_id", "mission_grants", ["establishment_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(32), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "mission_grants",
        "accounts",
        "assignments",
        "people",
        "functions",
        "establishments",
    ):
        op.drop_table(table)
