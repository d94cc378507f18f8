"""Records: consents, rights requests, incidents, PIAs, and the tamper-evident log with its
signed tree heads (``fenji.records.models``).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# Not used below: importing it registers the records models on the catalogue's metadata whenever
# the migrations are loaded, so the schema check (models vs migrated database) sees them.
import fenji.records.models  # noqa: F401, E402

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

# Spelled out here rather than imported from models: a migration must keep meaning what it meant.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
LONGTEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
HASH = sa.String(64)


def _id() -> sa.Column:
    return sa.Column("id", ID, primary_key=True, autoincrement=True)


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, TIMESTAMP, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "fenji_consents",
        _id(),
        sa.Column("subject", HASH, nullable=False),
        sa.Column("subject_type", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(512), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("uses", sa.JSON(), nullable=False),
        sa.Column("guardian", HASH, nullable=True),
        sa.Column("under_14", sa.Boolean(), nullable=True),
        sa.Column("notice_version", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
        _at("given_at", nullable=False),
        _at("withdrawn_at"),
        sa.Column("withdrawal_channel", sa.String(128), nullable=True),
        _at("recorded_at", nullable=False),
    )
    op.create_index("ix_fenji_consents_subject", "fenji_consents", ["subject"])

    op.create_table(
        "fenji_rights_requests",
        _id(),
        sa.Column("subject", HASH, nullable=False),
        sa.Column("subject_type", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _at("received_at", nullable=False),
        _at("due_at", nullable=False),
        sa.Column("regimes", sa.JSON(), nullable=False),
        sa.Column("requester", sa.String(16), nullable=False),
        sa.Column("deceased", sa.Boolean(), nullable=False),
        sa.Column("relation", sa.String(16), nullable=True),
        sa.Column("arrangements", sa.String(16), nullable=True),
        sa.Column("arrangements_note", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _at("closed_at"),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
    )
    op.create_index("ix_fenji_rights_requests_subject", "fenji_rights_requests", ["subject"])
    op.create_index("ix_fenji_rights_requests_status", "fenji_rights_requests", ["status"])

    op.create_table(
        "fenji_incidents",
        _id(),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _at("detected_at", nullable=False),
        _at("occurred_at"),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("tables", sa.JSON(), nullable=False),
        sa.Column("individuals", sa.BigInteger(), nullable=True),
        sa.Column("sensitive_individuals", sa.BigInteger(), nullable=True),
        sa.Column("minors_under_14", sa.BigInteger(), nullable=True),
        sa.Column("processor", sa.JSON(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("harm", sa.Text(), nullable=True),
        sa.Column("remedies", sa.Text(), nullable=True),
        sa.Column("advice", sa.Text(), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        _at("authority_notified_at"),
        _at("individuals_notified_at"),
        _at("supervisory_notified_at"),
        _at("incident_reported_at"),
        _at("handling_ended_at"),
        _at("summary_reported_at"),
        _at("updated_at", nullable=False),
    )
    op.create_index("ix_fenji_incidents_status", "fenji_incidents", ["status"])

    op.create_table(
        "fenji_pias",
        _id(),
        sa.Column("activity", sa.String(256), nullable=False),
        sa.Column("purpose", sa.String(512), nullable=True),
        sa.Column("triggers", sa.JSON(), nullable=False),
        _at("assessed_at", nullable=False),
        sa.Column("conclusion", sa.Text(), nullable=False),
        sa.Column("report", sa.String(1024), nullable=True),
        _at("keep_until", nullable=False),
    )

    op.create_table(
        "fenji_log",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        _at("recorded_at", nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", LONGTEXT, nullable=False),
        sa.Column("prev_hash", HASH, nullable=False),
        sa.Column("leaf_hash", HASH, nullable=False),
    )
    op.create_index("ix_fenji_log_kind", "fenji_log", ["kind"])

    op.create_table(
        "fenji_log_heads",
        _id(),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", HASH, nullable=False),
        _at("signed_at", nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    op.create_index("ix_fenji_log_heads_size", "fenji_log_heads", ["size"])


def downgrade() -> None:
    for table in (
        "fenji_log_heads",
        "fenji_log",
        "fenji_pias",
        "fenji_incidents",
        "fenji_rights_requests",
        "fenji_consents",
    ):
        op.drop_table(table)
