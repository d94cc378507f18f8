"""One database table: row counts, repeatable samples and streamed batches as Polars frames.

Values arrive as text-compatible types: strings, integers, floats, booleans, dates and datetimes
are kept; exact decimals, JSON, arrays, UUIDs and other types are cast to text in SQL (so that
long numbers keep every digit); binary columns are skipped with a note. SQLite is dynamically
typed, so every SQLite column is read as text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import sqltypes

from fenji.errors import SourceError
from fenji.sources.base import TableReader
from fenji.sources.dburl import describe
from fenji.sources.sql_sample import first_rows, plan_sample

if TYPE_CHECKING:
    from fenji.sources.sql import DatabaseSource

# Below this many rows (by the statistics) a table is counted exactly with count(*).
EXACT_COUNT_BELOW = 1_000_000


def _plan_column(kind: str, col_type: Any) -> tuple[bool, pl.DataType] | None:
    """(cast to text in SQL?, Polars dtype) for a column type; None = binary, skip it."""
    if isinstance(col_type, sqltypes._Binary):
        return None
    if kind == "sqlite":
        return True, pl.String()
    if isinstance(col_type, sqltypes.String):
        return False, pl.String()
    if isinstance(col_type, sqltypes.Boolean):
        return False, pl.Boolean()
    if isinstance(col_type, sqltypes.Integer):
        unsigned_big = isinstance(col_type, sqltypes.BigInteger) and getattr(
            col_type, "unsigned", False
        )
        return (True, pl.String()) if unsigned_big else (False, pl.Int64())
    if isinstance(col_type, sqltypes.Float):
        return False, pl.Float64()
    if isinstance(col_type, sqltypes.DateTime):
        return False, pl.Datetime("us", "UTC" if col_type.timezone else None)
    if isinstance(col_type, sqltypes.Date):
        return False, pl.Date()
    return True, pl.String()  # Numeric, Time, JSON, arrays, UUID, network types, unknown ...


class SqlTable(TableReader):
    """A table in a ``DatabaseSource``; every query runs in a read-only transaction."""

    def __init__(
        self,
        source: DatabaseSource,
        display: str,
        schema: str | None,
        schema_name: str,
        table: str,
        columns: Sequence[dict[str, Any]],
        primary_key: Sequence[str],
    ) -> None:
        super().__init__(display)
        self.source = source
        self.schema_name = schema_name
        self.table = sa.table(table, schema=schema)
        self.where = f"{source.uri} table {display}"
        self._types: dict[str, pl.DataType] = {}
        self._exprs: dict[str, sa.ColumnElement[Any]] = {}
        for col in columns:
            name = str(col["name"])
            plan = _plan_column(source.kind, col["type"])
            if plan is None:
                self._warn(f"column {name!r}: binary column skipped")
                continue
            cast, dtype = plan
            ref: sa.ColumnClause[Any] = sa.column(name)
            self._exprs[name] = sa.cast(ref, sa.String()).label(name) if cast else ref
            self._types[name] = dtype
        int_pk = [
            c["name"]
            for c in columns
            if list(primary_key) == [c["name"]] and isinstance(c["type"], sqltypes.Integer)
        ]
        self._int_pk = str(int_pk[0]) if int_pk else None
        self._count: tuple[int | None, bool] | None = None

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        try:
            with self.source.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise SourceError(
                f"{self.where}: cannot read: {describe(exc, self.source.url)}"
            ) from exc

    def _select(self, names: Sequence[str]) -> sa.Select[tuple[object, ...]]:
        if not names:  # every column binary: still a valid query, for the privilege probe
            return sa.select(sa.literal_column("1"))
        return sa.select(*(self._exprs[n] for n in names))

    def _frame(self, rows: Sequence[Any], names: Sequence[str]) -> pl.DataFrame:
        if not names:
            return pl.DataFrame()
        schema = {n: self._types[n] for n in names}
        try:
            df = pl.DataFrame(rows, schema=schema, orient="row")
        except (TypeError, ValueError, pl.exceptions.PolarsError):
            # e.g. MySQL "zero dates" arrive as strings; keep the rest of the batch.
            self._warn("some values of an unexpected type were read as empty")
            df = pl.DataFrame(rows, schema=schema, orient="row", strict=False)
        return self._guard(df)

    def probe(self) -> None:
        """Check that the account may read the table (raises ``SourceError`` if not)."""
        with self._reading() as conn:
            conn.execute(self._select(self.columns()).select_from(self.table).limit(0)).all()

    def columns(self) -> list[str]:
        """Readable (non-binary) column names in table order."""
        return list(self._exprs)

    def row_count(self) -> tuple[int | None, bool]:
        """Exact ``count(*)`` for small tables; the planner's statistics above a million rows."""
        if self._count is None:
            with self._reading() as conn:
                estimate = self._estimate(conn)
                if estimate is not None and estimate >= EXACT_COUNT_BELOW:
                    self._count = (estimate, False)
                else:
                    exact = conn.execute(sa.select(sa.func.count()).select_from(self.table))
                    self._count = (int(exact.scalar_one()), True)
        return self._count

    def _estimate(self, conn: sa.Connection) -> int | None:
        kind = self.source.kind
        if kind == "postgresql":
            name = conn.dialect.identifier_preparer.format_table(self.table)
            query = sa.text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:t)")
            value = conn.execute(query, {"t": name}).scalar()
        elif kind == "mysql":
            query = sa.text(
                "SELECT TABLE_ROWS FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = :s AND TABLE_NAME = :t"
            )
            value = conn.execute(query, {"s": self.schema_name, "t": self.table.name}).scalar()
        else:
            return None
        # reltuples is -1 (PostgreSQL 14+) or 0 before the first ANALYZE: unknown, not empty.
        return int(value) if value is not None and value > 0 else None

    def sample(self, n: int | None, seed: int) -> pl.DataFrame:
        """Up to ``n`` rows chosen on the server, the same rows for the same seed."""
        names = self.columns()
        base = self._select(names)
        if n is None:
            with self._reading() as conn:
                return self._frame(conn.execute(base.select_from(self.table)).all(), names)
        rows, _ = self.row_count()
        with self._reading() as conn:
            if rows is not None and rows <= n:
                return self._frame(conn.execute(base.select_from(self.table)).all(), names)
            plan = plan_sample(
                self.source.kind, conn, base, self.table, n, seed, rows or n + 1, self._int_pk
            )
            try:
                fetched: Sequence[Any] = [r for s in plan.statements for r in conn.execute(s).all()]
            except SQLAlchemyError:
                conn.rollback()  # e.g. a WITHOUT ROWID table in SQLite
                plan = first_rows(base, self.table, n)
                fetched = conn.execute(plan.statements[0]).all()
        if plan.note:
            self._warn(f"sample: {plan.note}")
        df = self._frame(fetched, names)
        if plan.subsample and df.height > n:
            df = df.sample(n, seed=seed)
        return df

    def iter_batches(
        self, columns: Sequence[str], batch_rows: int = 100_000
    ) -> Iterator[pl.DataFrame]:
        """Stream ``columns`` over every row through a server-side cursor."""
        names = self._check_columns(columns)
        stmt = self._select(names).select_from(self.table)
        with self._reading() as conn:
            result = conn.execution_options(stream_results=True, max_row_buffer=batch_rows).execute(
                stmt
            )
            for part in result.partitions(batch_rows):
                yield self._frame(part, names)
