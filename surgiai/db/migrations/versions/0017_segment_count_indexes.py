"""doctors: indexes for segment counts (lower-case text filters, consent with activity)

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("doctor", schema=None) as batch_op:
        batch_op.create_index("ix_doctor_lower_specialty", [sa.text("lower(specialty)")])
        batch_op.create_index("ix_doctor_lower_city", [sa.text("lower(city)")])
        batch_op.create_index("ix_doctor_lower_state", [sa.text("lower(state)")])
        batch_op.create_index(
            "ix_doctor_consent_last_inbound", ["marketing_opted_out", "last_inbound_at"]
        )


def downgrade() -> None:
    with op.batch_alter_table("doctor", schema=None) as batch_op:
        batch_op.drop_index("ix_doctor_consent_last_inbound")
        batch_op.drop_index("ix_doctor_lower_state")
        batch_op.drop_index("ix_doctor_lower_city")
        batch_op.drop_index("ix_doctor_lower_specialty")
