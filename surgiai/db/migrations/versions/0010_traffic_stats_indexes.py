"""stats: indexes for the daily traffic and leads figures

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 19:30:00.000000

Numbered 0010 as reserved for it, but applied after 0011 (workspace settings), which was written
first on top of 0009: one line of history, one head.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_created_at",
            ["created_at", "direction", "sender_kind", "status", "conversation_id"],
            unique=False,
        )
    with op.batch_alter_table("doctor", schema=None) as batch_op:
        batch_op.create_index("ix_doctor_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("doctor", schema=None) as batch_op:
        batch_op.drop_index("ix_doctor_created_at")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_created_at")
