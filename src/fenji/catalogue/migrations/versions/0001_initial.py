"""Initial catalogue: scans, sources, tables, columns, info types, documents.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

# Spelled out here rather than imported from models: a migration must keep meaning what it meant.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BLOB = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _id() -> sa.Column:
    return sa.Column("id", ID, primary_key=True, autoincrement=True)


def _fk(name: str, target: str) -> sa.Column:
    return sa.Column(name, ID, sa.ForeignKey(f"{target}.id", ondelete="CASCADE"), nullable=False)


def _grade() -> list[sa.Column]:
    return [
        sa.Column("grade_scheme", sa.String(64), nullable=True),
        sa.Column("grade_level", sa.String(32), nullable=True),
        sa.Column("grade_rank", sa.Integer(), nullable=True),
        sa.Column("grade_rule", sa.String(128), nullable=True),
        sa.Column("grade_citations", sa.JSON(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "fenji_scans",
        _id(),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pack", sa.String(64), nullable=False),
        sa.Column("catalogue_version", sa.String(64), nullable=False),
        sa.Column("sample", sa.BigInteger(), nullable=True),
        sa.Column("tool_version", sa.String(32), nullable=False),
    )
    op.create_index("ix_fenji_scans_status", "fenji_scans", ["status"])

    op.create_table(
        "fenji_sources",
        _id(),
        _fk("scan_id", "fenji_scans"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("encoding", sa.String(32), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=False),
    )
    op.create_index("ix_fenji_sources_scan_id", "fenji_sources", ["scan_id"])

    op.create_table(
        "fenji_tables",
        _id(),
        _fk("scan_id", "fenji_scans"),
        _fk("source_id", "fenji_sources"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=True),
        sa.Column("rows_exact", sa.Boolean(), nullable=False),
        sa.Column("rows_sampled", sa.BigInteger(), nullable=False),
        sa.Column("individuals_estimate", sa.BigInteger(), nullable=True),
        sa.Column("individuals_key", sa.String(64), nullable=True),
        sa.Column("individuals_column", sa.String(512), nullable=True),
        sa.Column("minors_under_14", sa.BigInteger(), nullable=True),
        sa.Column("sketch", BLOB, nullable=True),
        sa.Column("sketch_key_id", sa.String(32), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=False),
        *_grade(),
    )
    op.create_index("ix_fenji_tables_scan_id", "fenji_tables", ["scan_id"])
    op.create_index("ix_fenji_tables_source_id", "fenji_tables", ["source_id"])
    op.create_index("ix_fenji_tables_name_scan", "fenji_tables", ["name", "scan_id"])

    op.create_table(
        "fenji_columns",
        _id(),
        _fk("table_id", "fenji_tables"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("dtype", sa.String(64), nullable=False),
        sa.Column("non_empty", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(128), nullable=True),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("samples", sa.JSON(), nullable=False),
        *_grade(),
    )
    op.create_index("ix_fenji_columns_table_id", "fenji_columns", ["table_id"])

    op.create_table(
        "fenji_info_types",
        _id(),
        _fk("column_id", "fenji_columns"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("hits", sa.BigInteger(), nullable=False),
        sa.Column("checked", sa.BigInteger(), nullable=False),
        sa.Column("detector", sa.String(128), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
    )
    op.create_index("ix_fenji_info_types_column_id", "fenji_info_types", ["column_id"])
    op.create_index("ix_fenji_info_types_type", "fenji_info_types", ["type"])

    op.create_table(
        "fenji_documents",
        _id(),
        _fk("scan_id", "fenji_scans"),
        _fk("source_id", "fenji_sources"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("chars", sa.BigInteger(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        *_grade(),
    )
    op.create_index("ix_fenji_documents_scan_id", "fenji_documents", ["scan_id"])
    op.create_index("ix_fenji_documents_source_id", "fenji_documents", ["source_id"])


def downgrade() -> None:
    for table in (
        "fenji_documents",
        "fenji_info_types",
        "fenji_columns",
        "fenji_tables",
        "fenji_sources",
        "fenji_scans",
    ):
        op.drop_table(table)
