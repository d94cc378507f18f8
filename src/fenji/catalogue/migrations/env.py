"""Alembic environment for the fenji catalogue.

fenji runs migrations itself (``fenji.catalogue.migrate.upgrade``) and hands over an open
connection in ``config.attributes["connection"]``; no alembic.ini is involved. A schema change
is a new file in ``versions/`` whose ``down_revision`` is the previous head; the test suite checks
that the migrated schema matches ``fenji.catalogue.models``.
"""

from __future__ import annotations

from alembic import context

from fenji.catalogue.models import VERSION_TABLE, Base

config = context.config
connection = config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("fenji catalogue migrations run online through fenji.catalogue.migrate")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
