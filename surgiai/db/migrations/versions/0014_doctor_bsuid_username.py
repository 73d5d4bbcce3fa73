"""doctor: business-scoped user ids and usernames; the phone becomes optional

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("doctor", schema=None) as batch_op:
        batch_op.alter_column("wa_id", existing_type=sa.String(length=32), nullable=True)
        batch_op.add_column(sa.Column("user_id", sa.String(length=140), nullable=True))
        batch_op.add_column(sa.Column("parent_user_id", sa.String(length=140), nullable=True))
        batch_op.add_column(sa.Column("username", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_doctor_user_id"), ["user_id"])
        batch_op.create_unique_constraint(
            batch_op.f("uq_doctor_parent_user_id"), ["parent_user_id"]
        )


def downgrade() -> None:
    # A doctor known only by user id cannot be kept without a phone number.
    op.execute("DELETE FROM doctor WHERE wa_id IS NULL")
    with op.batch_alter_table("doctor", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_doctor_parent_user_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_doctor_user_id"), type_="unique")
        batch_op.drop_column("username")
        batch_op.drop_column("parent_user_id")
        batch_op.drop_column("user_id")
        batch_op.alter_column("wa_id", existing_type=sa.String(length=32), nullable=False)
