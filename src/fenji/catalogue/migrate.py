"""Run the packaged Alembic migrations on an open connection (no alembic.ini needed)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from fenji.catalogue.models import VERSION_TABLE

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config pointing at the migrations shipped inside the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str | None:
    """The newest revision shipped with this version of fenji."""
    return _scripts().get_current_head()


def known_revisions() -> set[str]:
    """Every revision shipped with this version of fenji."""
    return {r.revision for r in _scripts().walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None for an empty database)."""
    ctx = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return ctx.get_current_revision()


def upgrade(connection: Connection, current: str | None = None) -> None:
    """Bring the catalogue schema to the newest revision; a no-op when it is already there.

    ``current`` saves a query when the caller has just read the database's revision.
    """
    if (current or current_revision(connection)) == head_revision():
        return
    command.upgrade(alembic_config(connection), "head")
