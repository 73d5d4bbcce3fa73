"""doctors: profile, stage, score reasons, consent ledger, timeline, segments, imports

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import surgiai.db.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "doctor_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_file_id", sa.Integer(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "processing", "done", "failed", name="importstate", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.JSON(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["user.id"],
            name=op.f("fk_doctor_import_created_by_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["media_file_id"],
            ["media_file.id"],
            name=op.f("fk_doctor_import_media_file_id_media_file"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctor_import")),
    )
    op.create_table(
        "segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["user.id"],
            name=op.f("fk_segment_created_by_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment")),
        sa.UniqueConstraint("name", name=op.f("uq_segment_name")),
    )
    op.create_table(
        "consent_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "keyword",
                "user_preferences",
                "error_131050",
                "admin",
                "import",
                name="consentsource",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("number_id", sa.Integer(), nullable=True),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.Column("created_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["user.id"],
            name=op.f("fk_consent_event_actor_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["doctor.id"],
            name=op.f("fk_consent_event_doctor_id_doctor"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["number_id"],
            ["whatsapp_number.id"],
            name=op.f("fk_consent_event_number_id_whatsapp_number"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_event")),
    )
    with op.batch_alter_table("consent_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_event_doctor_created", ["doctor_id", "created_at"], unique=False
        )

    op.create_table(
        "doctor_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["user.id"],
            name=op.f("fk_doctor_event_actor_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["doctor.id"],
            name=op.f("fk_doctor_event_doctor_id_doctor"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctor_event")),
    )
    with op.batch_alter_table("doctor_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_doctor_event_doctor_created", ["doctor_id", "created_at"], unique=False
        )

    with op.batch_alter_table("doctor", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("score_reasons", sa.JSON(), server_default="{}", nullable=False)
        )
        batch_op.add_column(
            sa.Column("score_overridden", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "stage",
                sa.Enum(
                    "new",
                    "engaged",
                    "qualified",
                    "customer",
                    "dormant",
                    "lost",
                    name="lifecyclestage",
                    native_enum=False,
                    length=16,
                ),
                server_default="new",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("stage_overridden", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("specialty", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("city", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("state", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("hospital", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("registration_number", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("preferred_language", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("custom_fields", sa.JSON(), server_default="{}", nullable=False)
        )
        batch_op.add_column(sa.Column("sticky_number_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("last_inbound_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_outbound_at", surgiai.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_doctor_city"), ["city"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_doctor_last_inbound_at"), ["last_inbound_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_doctor_last_outbound_at"), ["last_outbound_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_doctor_lead_score"), ["lead_score"], unique=False)
        batch_op.create_index(batch_op.f("ix_doctor_specialty"), ["specialty"], unique=False)
        batch_op.create_index(batch_op.f("ix_doctor_stage"), ["stage"], unique=False)
        batch_op.create_index(batch_op.f("ix_doctor_state"), ["state"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_doctor_sticky_number_id_whatsapp_number"),
            "whatsapp_number",
            ["sticky_number_id"],
            ["id"],
            ondelete="SET NULL",
        )

    # Activity as the messages tell it, for the doctors who wrote or were written to already.
    for column, direction in (("last_inbound_at", "inbound"), ("last_outbound_at", "outbound")):
        # Two fixed column names, no input: the statement is built from constants.
        op.execute(
            f"UPDATE doctor SET {column} = (SELECT max(message.created_at) FROM message "  # noqa: S608
            "JOIN conversation ON conversation.id = message.conversation_id "
            f"WHERE conversation.doctor_id = doctor.id AND message.direction = '{direction}')"
        )


def downgrade() -> None:
    with op.batch_alter_table("doctor", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_doctor_sticky_number_id_whatsapp_number"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_doctor_state"))
        batch_op.drop_index(batch_op.f("ix_doctor_stage"))
        batch_op.drop_index(batch_op.f("ix_doctor_specialty"))
        batch_op.drop_index(batch_op.f("ix_doctor_lead_score"))
        batch_op.drop_index(batch_op.f("ix_doctor_last_outbound_at"))
        batch_op.drop_index(batch_op.f("ix_doctor_last_inbound_at"))
        batch_op.drop_index(batch_op.f("ix_doctor_city"))
        batch_op.drop_column("last_outbound_at")
        batch_op.drop_column("last_inbound_at")
        batch_op.drop_column("sticky_number_id")
        batch_op.drop_column("custom_fields")
        batch_op.drop_column("preferred_language")
        batch_op.drop_column("email")
        batch_op.drop_column("registration_number")
        batch_op.drop_column("hospital")
        batch_op.drop_column("state")
        batch_op.drop_column("city")
        batch_op.drop_column("specialty")
        batch_op.drop_column("stage_overridden")
        batch_op.drop_column("stage")
        batch_op.drop_column("score_overridden")
        batch_op.drop_column("score_reasons")

    with op.batch_alter_table("doctor_event", schema=None) as batch_op:
        batch_op.drop_index("ix_doctor_event_doctor_created")

    op.drop_table("doctor_event")
    with op.batch_alter_table("consent_event", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_event_doctor_created")

    op.drop_table("consent_event")
    op.drop_table("segment")
    op.drop_table("doctor_import")
