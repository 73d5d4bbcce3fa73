"""conversations: awaiting_since, the "awaiting our reply" queue

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import surgiai.db.base

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An open conversation waits from the doctor's first message after our last answer (a person's,
# or an agent's; system messages such as the hand-off notice answer nothing).
BACKFILL = """
UPDATE conversation SET awaiting_since = (
    SELECT MIN(m.created_at) FROM message m
    WHERE m.conversation_id = conversation.id AND m.direction = 'inbound'
      AND m.id > COALESCE((
          SELECT MAX(a.id) FROM message a
          WHERE a.conversation_id = conversation.id AND a.direction = 'outbound'
            AND (a.sender_kind IN ('admin', 'ai') OR a.sender_user_id IS NOT NULL)
      ), 0)
)
WHERE status = 'open'
"""


def upgrade() -> None:
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("awaiting_since", surgiai.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_conversation_awaiting", ["awaiting_since", "id"])
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_awaiting")
        batch_op.drop_column("awaiting_since")
