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

    def test_sqlite_runs_in_wal_mode(self, tmp_path: object) -> None:
        engine = make_engine(f"sqlite:///{tmp_path}/wal.db")
        try:
            with engine.connect() as connection:
                mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            assert mode == "wal"
        finally:
            engine.dispose()
