from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from surgiai.all_models import metadata
from surgiai.db.engine import make_engine
from surgiai.db.migrate import include_name, upgrade


class TestMigrations:
    def test_migrations_build_exactly_the_models_schema(self, database_url: str) -> None:
        engine = make_engine(database_url)
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "compare_type": True,
                        "render_as_batch": True,
                        "include_name": include_name,
                    },
                )
                assert compare_metadata(context, metadata) == []
        finally:
            engine.dispose()

    def test_upgrade_is_idempotent(self, database_url: str) -> None:
        engine = make_engine(database_url)
        try:
            upgrade(engine)
            tables = set(inspect(engine).get_table_names())
            assert {"user", "auth_session", "audit_event", "alembic_version"} <= tables
        finally:
            engine.dispose()

    def test_rebuilding_a_table_on_sqlite_keeps_the_rows_pointing_at_it(
        self, tmp_path: object
    ) -> None:
        """0014 rebuilds `doctor` (its phone becomes optional): a doctor's tags must survive,
        as must everything else that points at a rebuilt table."""
        engine = make_engine(f"sqlite:///{tmp_path}/old.db")
        try:
            upgrade(engine, "0013")
            with engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO doctor (id, wa_id, marketing_opted_out, lead_score, created_at,"
                    " updated_at) VALUES (1, '919800000001', 0, 0, '2026-01-01', '2026-01-01')"
                )
                connection.exec_driver_sql("INSERT INTO doctor_tag VALUES (1, 'gynaecologist')")
            upgrade(engine)
            with engine.connect() as connection:
                assert connection.exec_driver_sql("SELECT * FROM doctor_tag").all() == [
                    (1, "gynaecologist")
                ]
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                # 0016's new profile columns have their defaults on the doctors already there.
                assert connection.exec_driver_sql(
                    "SELECT stage, score_reasons, custom_fields, score_overridden,"
                    " last_inbound_at FROM doctor"
                ).all() == [("new", "{}", "{}", 0, None)]
        finally:
            engine.dispose()

    def test_0021_finds_the_doctors_already_waiting_for_an_answer(self, tmp_path: object) -> None:
        engine = make_engine(f"sqlite:///{tmp_path}/old.db")
        try:
            upgrade(engine, "0020")
            with engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO whatsapp_number (id, label, channel, phone_number_id, waba_id,"
                    " display_phone_number, access_token_encrypted, access_token_hint, enabled,"
                    " status, quality_rating, throughput_level, throughput_mps, paused,"
                    " created_at, updated_at) VALUES (1, 'Sales', 'cloud', '1', '2', '3', 'x',"
                    " 'x', 1, 'CONNECTED', 'GREEN', 'STANDARD', 80, 0, '2026-01-01',"
                    " '2026-01-01')"
                )
                for doctor in (1, 2, 3):
                    connection.exec_driver_sql(
                        "INSERT INTO doctor (id, wa_id, marketing_opted_out, lead_score,"
                        f" created_at, updated_at) VALUES ({doctor}, '91980000000{doctor}', 0, 0,"
                        " '2026-01-01', '2026-01-01')"
                    )
                    status = "closed" if doctor == 3 else "open"
                    connection.exec_driver_sql(
                        "INSERT INTO conversation (id, doctor_id, number_id, created_at, mode,"
                        f" status, unread_count) VALUES ({doctor}, {doctor}, 1, '2026-01-01',"
                        f" 'ai', '{status}', 0)"
                    )
                # 1: answered, then two questions; 2: only the hand-off notice since; 3: closed.
                messages = [
                    (1, 1, "inbound", "doctor", "2026-01-01 10:00:00"),
                    (2, 1, "outbound", "ai", "2026-01-01 10:01:00"),
                    (3, 1, "inbound", "doctor", "2026-01-01 11:00:00"),
                    (4, 1, "inbound", "doctor", "2026-01-01 11:05:00"),
                    (5, 2, "inbound", "doctor", "2026-01-01 12:00:00"),
                    (6, 2, "outbound", "system", "2026-01-01 12:00:05"),
                    (7, 3, "inbound", "doctor", "2026-01-01 13:00:00"),
                ]
                for id_, conversation, direction, sender, at in messages:
                    connection.exec_driver_sql(
                        "INSERT INTO message (id, conversation_id, direction, type, payload,"
                        " status, created_at, sender_kind, attempts) VALUES"
                        f" ({id_}, {conversation}, '{direction}', 'text', '{{}}', 'sent',"
                        f" '{at}', '{sender}', 0)"
                    )
            upgrade(engine)
            with engine.connect() as connection:
                assert connection.exec_driver_sql(
                    "SELECT id, awaiting_since FROM conversation ORDER BY id"
                ).all() == [(1, "2026-01-01 11:00:00"), (2, "2026-01-01 12:00:00"), (3, None)]
        finally:
            engine.dispose()

    def test_sqlite_runs_in_wal_mode(self, tmp_path: object) -> None:
        engine = make_engine(f"sqlite:///{tmp_path}/wal.db")
        try:
            with engine.connect() as connection:
                mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            assert mode == "wal"
        finally:
            engine.dispose()
