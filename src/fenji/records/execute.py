"""Acting on rights requests in real databases (SQLite, PostgreSQL, MySQL/MariaDB).

A plan is built from a subject map (``subject_map``): each table's rows are those whose
identifier columns hold one of the subject's identifiers, or whose foreign keys point at rows of
the subject in a parent table (matched with a sub-select, so rows are found inside the database).
Tables outside the map are never touched; a table without a primary key is refused. ``export``
writes JSON and CSV per table into a new directory atomically (temporary directory, then
rename). ``erase`` deletes, masks or keeps rows per table inside one transaction per database;
all databases are committed only after every statement in every database succeeded, and
``dry_run`` only counts.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchTableError, SQLAlchemyError

from fenji.errors import InputError, SourceError, choices
from fenji.records.db import now, safe_detail
from fenji.records.log import iso
from fenji.records.sqlmatch import Identifier, identifier_clause, secrets_of
from fenji.records.subject_map import DatabaseSpec, SubjectMap, TableSpec, delete_order, expand_url
from fenji.sources.dburl import SCHEMES, safe_uri


@dataclass(frozen=True)
class TableCount:
    """What a run found (and did) in one table; counts only, never values."""

    database: str
    table: str
    rows: int
    action: str  # export | delete | mask | keep | none
    matched_by: tuple[str, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"database": self.database, "table": self.table, "rows": self.rows,
                "action": self.action, "matched_by": list(self.matched_by), "note": self.note}


@dataclass(frozen=True)
class RunResult:
    tables: tuple[TableCount, ...]
    dry_run: bool = False
    package: Path | None = None

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


@dataclass
class _Db:
    spec: DatabaseSpec
    engine: sa.Engine
    display: str
    tables: dict[str, sa.Table]
    clauses: dict[str, sa.ColumnElement[bool] | None]
    why: dict[str, tuple[str, ...]]


def _engine(spec: DatabaseSpec, where: str) -> tuple[sa.Engine, str]:
    text = expand_url(spec.url, where)
    try:
        url = make_url(text)
    except ArgumentError:
        raise InputError(f"{where}: URL could not be parsed; expected e.g. sqlite:///shop.db or"
                         " postgresql://user@host/db") from None
    if url.drivername not in SCHEMES:
        raise InputError(f"{where}: unknown URL scheme {url.drivername!r}; valid schemes:"
                         f" {choices(SCHEMES)}")
    kind, driver = SCHEMES[url.drivername]
    url = url.set(drivername=driver)
    if kind == "sqlite" and not (url.database and Path(url.database).is_file()):
        # SQLite would silently create an empty file; a wrong path must not look like "no rows".
        raise InputError(f"{where}: SQLite database {url.database!r} not found")
    return sa.create_engine(url), safe_uri(url)


def _reflect(conn: sa.Connection, spec: TableSpec, where: str) -> sa.Table:
    try:
        table = sa.Table(spec.name, sa.MetaData(), autoload_with=conn)
    except NoSuchTableError:
        names = sa.inspect(conn).get_table_names()
        raise InputError(f"{where}: no table {spec.name!r} (tables: {choices(names)})") from None
    if not table.primary_key.columns:
        raise InputError(f"{where}: table {spec.name!r} has no primary key; fenji does not act"
                         " on rows it cannot address exactly (add a primary key, or leave the"
                         " table out of the subject map)")
    needed = [*spec.identifiers, *(fk.column for fk in spec.foreign_keys), *spec.mask]
    for col in needed:
        if col not in table.c:
            raise InputError(f"{where}: table {spec.name!r} has no column {col!r} (columns:"
                             f" {choices(table.c.keys())})")
    return table


def _plan(db: _Db, idents: Sequence[Identifier]) -> None:
    """Fill ``db.clauses``: parents first, children through sub-selects on their parents."""
    for spec in reversed(delete_order(db.spec)):
        table = db.tables[spec.name]
        parts: list[sa.ColumnElement[bool]] = []
        why: list[str] = []
        own = identifier_clause(table.c, spec.identifiers, idents)
        if own is not None:
            parts.append(own)
            why += [f"{c} ({t})" for c, t in spec.identifiers.items()
                    if any(i.type == t for i in idents)]
        for fk in spec.foreign_keys:
            parent_clause = db.clauses.get(fk.parent)
            if parent_clause is None:
                continue
            parent = db.tables[fk.parent]
            sub = sa.select(parent.c[fk.parent_column]).where(parent_clause)
            parts.append(table.c[fk.column].in_(sub))
            why.append(f"{fk.column} -> {fk.parent}.{fk.parent_column}")
        db.clauses[spec.name] = sa.or_(*parts) if parts else None
        db.why[spec.name] = tuple(why)


@contextmanager
def _open(smap: SubjectMap, idents: Sequence[Identifier]) -> Iterator[list[_Db]]:
    """Connect, reflect and plan every database of the map; dispose of the engines after."""
    if not idents:
        raise InputError("give at least one identifier of the subject")
    dbs: list[_Db] = []
    try:
        for spec in smap.databases:
            where = f"{smap.source}: databases.{spec.name}"
            engine, display = _engine(spec, where)
            db = _Db(spec, engine, display, {}, {}, {})
            dbs.append(db)
            try:
                with engine.connect() as conn:
                    for t in spec.tables:
                        db.tables[t.name] = _reflect(conn, t, f"{where} ({display})")
            except SQLAlchemyError as exc:
                raise SourceError(f"{display}: cannot read the schema: {safe_detail(exc)}"
                                  ) from exc
            _plan(db, idents)
        yield dbs
    finally:
        for db in dbs:
            db.engine.dispose()


def _order_by(table: sa.Table) -> list[sa.Column[Any]]:
    return list(table.primary_key.columns)


def _frame(result: sa.CursorResult[Any]) -> pl.DataFrame:
    cols = list(result.keys())
    rows = [tuple(r) for r in result]
    df = pl.DataFrame(rows, schema=cols, orient="row", infer_schema_length=None, strict=False)
    # CSV and JSON have no bytes: show binary columns as hex.
    return df.with_columns(pl.col(pl.Binary).bin.encode("hex"))


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def export(
    smap: SubjectMap, idents: Sequence[Identifier], out_dir: Path, name: str,
    *, meta: dict[str, Any] | None = None,
) -> RunResult:
    """Write the subject's rows of every planned table as ``<db>.<table>.json`` and ``.csv``,
    plus ``manifest.json``, into ``out_dir/name`` (created atomically; never overwritten)."""
    final = out_dir / name
    if final.exists():
        raise InputError(f"{final} exists; refusing to overwrite an export package")
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: list[TableCount] = []
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=out_dir))
    try:
        with _open(smap, idents) as dbs:
            for db in dbs:
                try:
                    # One transaction per database: the tables are read as of one moment.
                    with db.engine.connect() as conn, conn.begin():
                        for spec in db.spec.tables:
                            counts.append(_export_table(conn, db, spec, tmp))
                except SQLAlchemyError as exc:
                    raise SourceError(f"{db.display}: export failed:"
                                      f" {safe_detail(exc, secrets_of(idents))}") from exc
        manifest = {"generated_at": iso(now()), "format": "one JSON (array of row objects) and"
                    " one CSV (UTF-8, header row) file per table", **(meta or {}),
                    "tables": [c.to_dict() for c in counts]}
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                           encoding="utf-8")
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return RunResult(tuple(counts), package=final)


def _export_table(conn: sa.Connection, db: _Db, spec: TableSpec, tmp: Path) -> TableCount:
    clause = db.clauses[spec.name]
    if clause is None:
        return TableCount(db.spec.name, spec.name, 0, "none",
                          note="no identifier of the given types and no matched parent")
    table = db.tables[spec.name]
    df = _frame(conn.execute(sa.select(table).where(clause).order_by(*_order_by(table))))
    stem = _safe_name(f"{db.spec.name}.{spec.name}")
    df.write_json(tmp / f"{stem}.json")
    df.write_csv(tmp / f"{stem}.csv")
    return TableCount(db.spec.name, spec.name, df.height, "export", db.why[spec.name])


def erase(smap: SubjectMap, idents: Sequence[Identifier], *, dry_run: bool = False) -> RunResult:
    """Delete, mask or keep the subject's rows per table. Every database runs in one
    transaction; all commit only when every statement succeeded, otherwise all roll back."""
    counts: list[TableCount] = []
    secrets = secrets_of(idents)
    with _open(smap, idents) as dbs, ExitStack() as stack:
        open_tx: list[tuple[_Db, sa.RootTransaction]] = []
        current = dbs[0].display if dbs else ""
        try:
            for db in dbs:
                current = db.display
                conn = stack.enter_context(db.engine.connect())
                tx = conn.begin()
                open_tx.append((db, tx))
                for spec in delete_order(db.spec):
                    counts.append(_erase_table(conn, db, spec, dry_run))
            for db, tx in open_tx:
                current = db.display
                if dry_run:
                    tx.rollback()
                else:
                    tx.commit()
        except SQLAlchemyError as exc:
            for _, tx in open_tx:
                if tx.is_active:
                    tx.rollback()
            raise SourceError(f"{current}: erasure failed, nothing was changed in any database"
                              f" not yet committed: {safe_detail(exc, secrets)}") from exc
        except BaseException:
            for _, tx in open_tx:
                if tx.is_active:
                    tx.rollback()
            raise
    return RunResult(tuple(counts), dry_run=dry_run)


def _erase_table(conn: sa.Connection, db: _Db, spec: TableSpec, dry_run: bool) -> TableCount:
    clause = db.clauses[spec.name]
    if clause is None:
        return TableCount(db.spec.name, spec.name, 0, "none",
                          note="no identifier of the given types and no matched parent")
    table = db.tables[spec.name]
    rows = int(conn.execute(sa.select(sa.func.count()).select_from(table).where(clause))
               .scalar_one())
    why = db.why[spec.name]
    if spec.on_delete == "keep":
        return TableCount(db.spec.name, spec.name, rows, "keep", why, spec.reason or "")
    if not dry_run and rows:
        if spec.on_delete == "delete":
            conn.execute(sa.delete(table).where(clause))
        else:
            conn.execute(sa.update(table).where(clause).values(dict(spec.mask)))
    note = f"columns: {', '.join(spec.mask)}" if spec.on_delete == "mask" else ""
    return TableCount(db.spec.name, spec.name, rows, spec.on_delete, why, note)
