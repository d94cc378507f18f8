"""Databases through SQLAlchemy Core: SQLite, PostgreSQL (psycopg 3), MySQL/MariaDB (PyMySQL).

Every connection is read-only at the database's own level (SQLite ``mode=ro``, PostgreSQL
``default_transaction_read_only``, MySQL ``SET SESSION TRANSACTION READ ONLY``), so a bug here
cannot write. URLs shown to anyone have the password removed.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from fenji.errors import SourceError, choices
from fenji.sources.base import Source, TableReader
from fenji.sources.dburl import SCHEMES, describe, is_sqlite_file, safe_uri
from fenji.sources.sql_table import SqlTable

SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema",
                  "sys"}  # fmt: skip
_TIMEOUT_S = 10


class DatabaseSource(Source):
    """One database; ``tables()`` yields every readable table (or an error per table)."""

    def __init__(self, url: URL, uri: str, kind: str, tables: str | None = None) -> None:
        self.url = url
        self.uri = uri
        self.kind = kind
        self.encoding = None
        self.tables_glob = tables
        self.engine = _engine(url, kind, uri)
        weakref.finalize(self, self.engine.dispose)
        try:
            with self.connect() as conn:
                conn.execute(sa.select(sa.literal(1)))
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise SourceError(f"{uri}: cannot connect: {describe(exc, url)}") from exc

    @classmethod
    def open(cls, target: str, tables: str | None = None) -> DatabaseSource:
        """Open ``target`` (an SQLAlchemy URL) read-only; ``SourceError`` if it cannot."""
        try:
            url = make_url(target)
        except ArgumentError as exc:
            raise SourceError(f"{target.split('://')[0]}://...: malformed database URL") from exc
        scheme = url.drivername.lower()
        if scheme not in SCHEMES:
            raise SourceError(
                f"{safe_uri(url)}: unknown URL scheme {scheme!r}; valid schemes: {choices(SCHEMES)}"
            )
        kind, driver = SCHEMES[scheme]
        return cls(url.set(drivername=driver), safe_uri(url), kind, tables)

    @classmethod
    def open_file(cls, path: Path, tables: str | None = None) -> DatabaseSource:
        """Open a SQLite database file found on disk (``uri`` is the path)."""
        url = URL.create("sqlite", database=str(path))
        return cls(url, str(path), "sqlite", tables)

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        """A connection in a read-only transaction (rolled back on exit)."""
        with self.engine.connect() as conn:
            yield conn

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def _wanted(self, schema: str, table: str, display: str) -> bool:
        pattern = self.tables_glob
        if not pattern:
            return True
        return any(fnmatchcase(name, pattern) for name in (display, table, f"{schema}.{table}"))

    def tables(self) -> Iterator[TableReader | SourceError]:
        """Every table in every non-system schema the account can see, narrowed by ``tables``."""
        try:
            insp = sa.inspect(self.engine)
            default = insp.default_schema_name
            schemas = [
                s
                for s in insp.get_schema_names()
                if s not in SYSTEM_SCHEMAS and not s.startswith("pg_")
            ]
        except SQLAlchemyError as exc:
            yield SourceError(f"{self.uri}: cannot list tables: {describe(exc, self.url)}")
            return
        for schema in sorted(schemas, key=lambda s: (s != default, s)):
            try:
                names = insp.get_table_names(schema=schema)
            except SQLAlchemyError as exc:
                yield SourceError(
                    f"{self.uri} schema {schema}: cannot list tables: {describe(exc, self.url)}"
                )
                continue
            display = {n: n if schema == default else f"{schema}.{n}" for n in sorted(names)}
            wanted = [n for n, shown in display.items() if self._wanted(schema, n, shown)]
            if not wanted:
                continue
            try:
                # One catalogue query per schema rather than one per table.
                key = None if schema == default else schema
                columns = insp.get_multi_columns(schema=key, filter_names=wanted)
                pks = insp.get_multi_pk_constraint(schema=key, filter_names=wanted)
            except SQLAlchemyError as exc:
                yield SourceError(
                    f"{self.uri} schema {schema}: cannot list columns: {describe(exc, self.url)}"
                )
                continue
            for name in wanted:
                constraint = pks.get((key, name))
                pk = list(constraint["constrained_columns"]) if constraint else []
                yield self._table(schema, key, name, display[name], columns.get((key, name)), pk)

    def _table(
        self,
        schema_name: str,
        schema: str | None,
        name: str,
        display: str,
        columns: list[Any] | None,
        pk: list[str],
    ) -> TableReader | SourceError:
        where = f"{self.uri} table {display}"
        if not columns:
            return SourceError(f"{where}: cannot read: no columns visible to this account")
        try:
            table = SqlTable(self, display, schema, schema_name, name, columns, pk)
            table.probe()
        except SourceError as exc:
            return exc
        except SQLAlchemyError as exc:
            return SourceError(f"{where}: cannot read: {describe(exc, self.url)}")
        return table


def _engine(url: URL, kind: str, uri: str) -> sa.Engine:
    if kind == "sqlite":
        return _sqlite_engine(url, uri)
    if kind == "postgresql":
        return sa.create_engine(
            url,
            connect_args={
                "options": "-c default_transaction_read_only=on",
                "connect_timeout": _TIMEOUT_S,
            },
        )
    engine = sa.create_engine(url, connect_args={"connect_timeout": _TIMEOUT_S})

    @sa.event.listens_for(engine, "connect")
    def _read_only(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute("SET SESSION TRANSACTION READ ONLY")

    return engine


def _sqlite_engine(url: URL, uri: str) -> sa.Engine:
    if not url.database or url.database == ":memory:":
        raise SourceError(f"{uri}: no database file named (an in-memory database is empty)")
    path = Path(url.database)
    if not path.is_file():
        raise SourceError(f"{uri}: no such file")
    if not is_sqlite_file(path):
        raise SourceError(f"{uri}: not a SQLite database (no SQLite header)")
    # mode=ro: SQLite itself refuses writes; a file: URI also copes with odd characters in paths.
    ro_uri = f"{path.resolve().as_uri()}?mode=ro"
    return sa.create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(ro_uri, uri=True, check_same_thread=False),
    )
