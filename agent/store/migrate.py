"""Schema migrations with Alembic, configured in code (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from agent.store._models import Base
from agent.store.engine import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(database_url: str, revision: str = "heads") -> None:
    """Create or upgrade the schema (fresh SQLite file, existing database, PostgreSQL alike). "heads":
    every branch, so features developed side by side may each add a revision after the same parent."""
    engine = make_engine(database_url)  # creates the SQLite parent directory
    try:
        with engine.begin() as connection:
            config = alembic_config(database_url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def schema_differences(database_url: str) -> list:
    """What the database's schema lacks or has beyond the models (Alembic's autogenerate diff); empty when
    the migrations made exactly the tables the store's code expects."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
