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
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


# Search structures made by hand in migrations (SQLite FTS5 tables, a PostgreSQL expression
# index) that the models cannot describe: autogenerate must neither drop nor recreate them.
HAND_MADE = ("message_search", "ix_message_text_search")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (name or "").startswith(HAND_MADE)
