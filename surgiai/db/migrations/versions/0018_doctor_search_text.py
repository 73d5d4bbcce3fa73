"""doctors: one case-folded search column for the Doctors list's free-text search

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As `surgiai.doctors.models.search_text_of` writes it; a migration keeps its own copy.
_FIELDS = ("name", "profile_name", "username", "hospital", "registration_number", "email", "wa_id")
_BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("doctor", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    # Filled in Python: SQLite's lower() folds ASCII only, and names come in every script.
    connection = op.get_bind()
    doctor = sa.table("doctor", sa.column("id"), sa.column("search_text"), *map(sa.column, _FIELDS))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(doctor.c.id, *(doctor.c[name] for name in _FIELDS))
            .where(doctor.c.id > last_id)
            .order_by(doctor.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            sa.update(doctor)
            .where(doctor.c.id == sa.bindparam("doctor_id"))
            .values(search_text=sa.bindparam("text")),
            [
                {
                    "doctor_id": row.id,
                    "text": " ".join(
                        str(getattr(row, name)).casefold() for name in _FIELDS if getattr(row, name)
                    ),
                }
                for row in rows
            ],
        )
        last_id = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("doctor", schema=None) as batch_op:
        batch_op.drop_column("search_text")
