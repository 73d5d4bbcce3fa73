"""webhook deliveries that hold only receipts are claimed after the others

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("external_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("receipts_only", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_external_event_state_receipts_only_id", ["state", "receipts_only", "id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("external_event", schema=None) as batch_op:
        batch_op.drop_index("ix_external_event_state_receipts_only_id")
        batch_op.drop_column("receipts_only")
