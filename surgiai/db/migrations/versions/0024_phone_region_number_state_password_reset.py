"""workspace default phone region; what paused a number or failed its check; password resets

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import surgiai.db.base

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspace_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("default_region", sa.String(length=2), server_default="IN", nullable=False)
        )
    with op.batch_alter_table("whatsapp_number", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_reaction", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("health_check_reaction", sa.String(length=32), nullable=True))
    op.create_table(
        "password_reset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["user.id"],
            name=op.f("fk_password_reset_created_by_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_password_reset_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_token_hash")),
    )
    op.create_index(op.f("ix_password_reset_user_id"), "password_reset", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_password_reset_user_id"), table_name="password_reset")
    op.drop_table("password_reset")
    with op.batch_alter_table("whatsapp_number", schema=None) as batch_op:
        batch_op.drop_column("health_check_reaction")
        batch_op.drop_column("paused_reaction")
    with op.batch_alter_table("workspace_settings", schema=None) as batch_op:
        batch_op.drop_column("default_region")
