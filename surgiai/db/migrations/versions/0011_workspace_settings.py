"""workspace: settings admins change on the Settings page

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import surgiai.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No row is inserted: until an admin saves, the environment's settings apply.
    op.create_table(
        "workspace_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("business_name", sa.String(length=100), server_default="SurgiAI", nullable=False),
        sa.Column("ai_replies_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("burst_seconds", sa.Double(), server_default=sa.text("3.0"), nullable=False),
        sa.Column(
            "whatsapp_alerts_enabled", sa.Boolean(), server_default=sa.true(), nullable=False
        ),
        sa.Column("alert_template", sa.String(length=512), nullable=True),
        sa.Column(
            "alert_template_language", sa.String(length=32), server_default="en", nullable=False
        ),
        sa.Column(
            "updated_at",
            surgiai.db.base.UTCDateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_workspace_settings_single_row")),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["user.id"],
            name=op.f("fk_workspace_settings_updated_by_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_settings")),
    )


def downgrade() -> None:
    op.drop_table("workspace_settings")
