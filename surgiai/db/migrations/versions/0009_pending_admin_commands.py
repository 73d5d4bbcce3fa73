"""agents: admin commands waiting for their YES or NO

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 17:00:41.909262
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import surgiai.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_command",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=True),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("created_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "confirmed",
                "cancelled",
                "superseded",
                "expired",
                name="pendingcommandstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("answered_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_pending_command_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_command")),
    )
    with op.batch_alter_table("pending_command", schema=None) as batch_op:
        batch_op.create_index("ix_pending_command_user_state", ["user_id", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pending_command", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_command_user_state")

    op.drop_table("pending_command")
