"""A subject map drafted from the catalogue: identifier columns from the newest scan of a
database, foreign keys from the database's own constraints. Review it, then use it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from fenji.catalogue.models import STATUS_COMPLETE, ScanRow, SourceRow, TableRow
from fenji.errors import InputError, SourceError
from fenji.records.db import Target, catalogue_of, safe_detail, session
from fenji.records.subjects import SUBJECT_TYPES
from fenji.sources.dburl import SCHEMES, safe_uri


def draft_subject_map(
    target: Target, db_url: str, *, name: str = "db", on_delete: str = "delete"
) -> tuple[dict[str, Any], list[str]]:
    """``(map as a YAML-ready mapping, notes)`` for the database at ``db_url``.

    A column is an identifier when its best info type is one of ``SUBJECT_TYPES``. A URL with a
    password is written as ``${<NAME>_URL}`` so the password never lands in the file.
    """
    try:
        url = make_url(db_url)
    except ArgumentError:
        raise InputError("the database URL could not be parsed") from None
    if url.drivername not in SCHEMES:
        raise InputError(f"unknown URL scheme {url.drivername!r}")
    # A database scanned by URL is recorded under its URL (password hidden); a SQLite file found
    # in a directory under its path.
    uris = [safe_uri(url)]
    if SCHEMES[url.drivername][0] == "sqlite" and url.database:
        uris.append(url.database)
    cat = catalogue_of(target)
    names: list[str] = []
    uri = uris[0]
    with session(cat.engine, "cannot read the catalogue") as s:
        for uri in uris:
            names = list(s.scalars(
                select_names().where(SourceRow.uri == uri).order_by(TableRow.name)))
            if names:
                break
    if not names:
        raise InputError(f"no complete scan in the catalogue has source {uris[0]}; run"
                         " fenji scan on it first")
    notes: list[str] = []
    tables: dict[str, Any] = {}
    for table in names:
        rec = cat.latest_table(table, uri)
        if rec is None:
            continue
        idents = {c.name: c.info_types[0].type for c in rec.profile.columns
                  if c.info_types and c.info_types[0].type in SUBJECT_TYPES}
        tables[table] = {"identifiers": idents} if idents else {}
    _add_foreign_keys(url, tables, notes)
    out: dict[str, Any] = {}
    for table, spec in tables.items():
        if not spec:
            notes.append(f"{table}: no identifier column and no foreign key to a mapped table;"
                         " left out")
            continue
        out[table] = {**spec, "on_delete": on_delete}
    if not out:
        raise InputError(f"no table of {uri} has an identifier column in the catalogue")
    text_url = db_url
    if url.password:
        text_url = f"${{{name.upper()}_URL}}"
        notes.append(f"the URL has a password: set {name.upper()}_URL before using the map")
    return {"databases": {name: {"url": text_url, "tables": out}}}, notes


def select_names() -> sa.Select[Any]:
    return (sa.select(TableRow.name).distinct()
            .join(ScanRow, ScanRow.id == TableRow.scan_id)
            .join(SourceRow, SourceRow.id == TableRow.source_id)
            .where(ScanRow.status == STATUS_COMPLETE))


def _add_foreign_keys(url: sa.URL, tables: dict[str, Any], notes: list[str]) -> None:
    """Single-column foreign keys between tables of the map, as the database declares them."""
    engine = sa.create_engine(url.set(drivername=SCHEMES[url.drivername][1]))
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            known = set(inspector.get_table_names())
            for table in list(tables):
                if table not in known:
                    notes.append(f"{table}: in the catalogue but not in the database")
                    continue
                fks = []
                for fk in inspector.get_foreign_keys(table):
                    cols, ref_cols = fk["constrained_columns"], fk["referred_columns"]
                    if fk["referred_table"] in tables and len(cols) == 1 and len(ref_cols) == 1:
                        fks.append({"column": cols[0],
                                    "references": f"{fk['referred_table']}.{ref_cols[0]}"})
                if fks:
                    tables[table]["foreign_keys"] = fks
    except SQLAlchemyError as exc:
        raise SourceError(f"{safe_uri(url)}: cannot read foreign keys: {safe_detail(exc)}"
                          ) from exc
    finally:
        engine.dispose()
