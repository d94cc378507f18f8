"""Compute runs: the per-run record of ``fenji compute`` (PIPL Art. 69).

Revision ID: 0004
Revises: 0003

fenji 0.1 created this table on first use (``metadata.create_all``); a catalogue that already
has it keeps it as it is, since the columns are the same.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# Not used below: importing it registers the table on the catalogue's metadata whenever the
# migrations are loaded, so the schema check (models vs migrated database) sees it.
import fenji.catalogue.compute_runs  # noqa: F401, E402

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None

# Spelled out here rather than imported from models: a migration must keep meaning what it meant.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
TABLE = "fenji_compute_runs"


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table(TABLE):
        return
    op.create_table(
        TABLE,
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("command", sa.String(16), nullable=False),
        sa.Column("protocol", sa.String(200), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("tls", sa.Boolean(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("revealed_to_me", sa.JSON(), nullable=False),
        sa.Column("revealed_to_others", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=False),
        sa.Column("tool_version", sa.String(32), nullable=False),
    )
    op.create_index("ix_fenji_compute_runs_run_id", TABLE, ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_fenji_compute_runs_run_id", table_name=TABLE)
    op.drop_table(TABLE)
