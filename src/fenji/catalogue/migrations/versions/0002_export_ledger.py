"""Export ledger: performed exports with counts and individuals sketches (no raw values).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

# Spelled out here rather than imported from models: a migration must keep meaning what it meant.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BLOB = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "fenji_exports",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("export_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.Column("activity", sa.String(512), nullable=False),
        sa.Column("processor", sa.String(256), nullable=False),
        sa.Column("recipient", sa.String(256), nullable=False),
        sa.Column("country", sa.String(8), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("info_types", sa.JSON(), nullable=False),
        sa.Column("tables", sa.JSON(), nullable=False),
        sa.Column("individuals", sa.BigInteger(), nullable=False),
        sa.Column("sensitive_individuals", sa.BigInteger(), nullable=False),
        sa.Column("unsketched_individuals", sa.BigInteger(), nullable=False),
        sa.Column("unsketched_sensitive", sa.BigInteger(), nullable=False),
        sa.Column("sketch", BLOB, nullable=True),
        sa.Column("sensitive_sketch", BLOB, nullable=True),
        sa.Column("sketch_key_id", sa.String(32), nullable=True),
    )
    op.create_index("ix_fenji_exports_export_date", "fenji_exports", ["export_date"])


def downgrade() -> None:
    op.drop_index("ix_fenji_exports_export_date", table_name="fenji_exports")
    op.drop_table("fenji_exports")
