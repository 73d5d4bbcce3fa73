"""agents: scheduled follow-ups

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import surgiai.db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "scheduled_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("action", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("after_message_id", sa.Integer(), nullable=True),
        sa.Column("unless_doctor_replies", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "waiting", "sent", "cancelled", name="scheduledstate", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("settled_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=300), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["after_message_id"],
            ["message.id"],
            name=op.f("fk_scheduled_action_after_message_id_message"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversation.id"],
            name=op.f("fk_scheduled_action_conversation_id_conversation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_scheduled_action_message_id_message"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_action")),
    )
    with op.batch_alter_table("scheduled_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduled_action_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index("ix_scheduled_action_state_due", ["state", "due_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("scheduled_action", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduled_action_state_due")
        batch_op.drop_index(batch_op.f("ix_scheduled_action_conversation_id"))

    op.drop_table("scheduled_action")
