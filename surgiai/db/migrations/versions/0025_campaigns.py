"""campaigns and their recipients (bulk broadcasts)

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import surgiai.db.base

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "scheduled",
                "running",
                "paused",
                "completed",
                "cancelled",
                name="campaignstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum("template", "text", name="campaignkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("segment_id", sa.Integer(), nullable=True),
        sa.Column("audience_filters", sa.JSON(), nullable=True),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("header_media_file_id", sa.Integer(), nullable=True),
        sa.Column("scheduled_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("quiet_start_minute", sa.Integer(), nullable=True),
        sa.Column("quiet_end_minute", sa.Integer(), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused_reason", sa.String(length=500), nullable=True),
        sa.Column("forecast_finish_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deferred_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["user.id"],
            name=op.f("fk_campaign_created_by_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["header_media_file_id"],
            ["media_file.id"],
            name=op.f("fk_campaign_header_media_file_id_media_file"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segment.id"],
            name=op.f("fk_campaign_segment_id_segment"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
    )
    op.create_table(
        "campaign_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=8), nullable=False),
        sa.Column("number_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                "skipped",
                "cancelled",
                name="recipientstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("message_type", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("preview", sa.Text(), nullable=True),
        sa.Column("not_before", surgiai.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("marketing_limit_retried", sa.Boolean(), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("sent_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("replied_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_campaign_recipient_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["doctor.id"],
            name=op.f("fk_campaign_recipient_doctor_id_doctor"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_campaign_recipient_message_id_message"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["number_id"],
            ["whatsapp_number.id"],
            name=op.f("fk_campaign_recipient_number_id_whatsapp_number"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_recipient")),
        sa.UniqueConstraint(
            "campaign_id", "doctor_id", name=op.f("uq_campaign_recipient_campaign_id")
        ),
        sa.UniqueConstraint("message_id", name=op.f("uq_campaign_recipient_message_id")),
    )
    with op.batch_alter_table("campaign_recipient", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_recipient_number_id"), ["number_id"], unique=False
        )
        batch_op.create_index(
            "ix_campaign_recipient_work", ["campaign_id", "state", "number_id"], unique=False
        )
        batch_op.create_index(
            "ix_campaign_recipient_doctor_sent", ["doctor_id", "sent_at"], unique=False
        )
        batch_op.create_index("ix_campaign_recipient_claims", ["state", "claimed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("campaign_recipient", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_recipient_claims")
        batch_op.drop_index("ix_campaign_recipient_doctor_sent")
        batch_op.drop_index("ix_campaign_recipient_work")
        batch_op.drop_index(batch_op.f("ix_campaign_recipient_number_id"))

    op.drop_table("campaign_recipient")
    op.drop_table("campaign")
