"""Alembic, driven from code: the migrations ship inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        # SQLite alters a table by rebuilding it (batch mode): the old one is dropped, and with
        # foreign keys on, DROP TABLE first deletes its rows, cascading to every row pointing
        # at them (a doctor's tags, conversations and messages). So they are off while the
        # migrations run (a pragma outside any transaction, hence on the raw connection), and
        # the references are checked before the commit.
        raw = connection.connection.dbapi_connection if engine.dialect.name == "sqlite" else None
        if raw is not None:
            raw.cursor().execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if raw is not None:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            if raw is not None:
                raw.cursor().execute("PRAGMA foreign_keys=ON")


# Search structures made by hand in migrations (SQLite FTS5 tables, a PostgreSQL expression
# index) that the models cannot describe: autogenerate must neither drop nor recreate them.
HAND_MADE = ("message_search", "ix_message_text_search")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (name or "").startswith(HAND_MADE)
