"""agents: the Health Monitoring agent's last state per subject

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 16:30:00.707655
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import surgiai.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "health_state",
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("condition", sa.String(length=64), nullable=False),
        sa.Column("changed_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_health_state")),
    )


def downgrade() -> None:
    op.drop_table("health_state")
