"""Read and write the tables fenji de-identifies: CSV/TSV, Parquet, JSONL files and database
tables (SQLAlchemy). Text formats are read with every column as Utf8 so identifiers keep
their leading zeros. Outputs are written atomically and never replace the input.
"""

from __future__ import annotations

import io
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from charset_normalizer import from_bytes
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from fenji.errors import InputError, SourceError, choices

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
}
_BATCH = 10_000

_sniff: Callable[[Path, bytes], str] | None
try:
    from fenji.sources.encoding import detect_encoding as _sniff
except ImportError:  # pragma: no cover - the sources package is optional for this module
    _sniff = None


def is_url(target: str) -> bool:
    """Whether ``target`` is a database URL rather than a file path."""
    scheme = target.split("://", 1)[0] if "://" in target else ""
    return bool(scheme) and scheme.split("+")[0] in (
        "postgresql",
        "postgres",
        "mysql",
        "mariadb",
        "sqlite",
        "mssql",
        "oracle",
    )


def engine_url(url: str) -> str:
    """The URL with an installed driver (psycopg 3, PyMySQL) when none is named."""
    scheme, rest = url.split("://", 1)
    return f"{_DRIVERS.get(scheme, scheme)}://{rest}"


def safe_url(url: str) -> str:
    """The URL with any password replaced, for messages."""
    try:
        return make_url(engine_url(url)).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url.split("://", 1)[0] + "://…"


def file_format(path: Path) -> str:
    """csv | tsv | parquet | jsonl from the file name."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unknown file type {path.suffix or '(none)'}; supported: {choices(FORMATS)}"
        )
    return fmt


def read_table(target: str, table: str | None = None) -> pl.DataFrame:
    """Read a whole table from a file path or from ``table`` in a database URL."""
    if is_url(target):
        if not table:
            raise InputError(f"{safe_url(target)}: name the table to read with --table")
        return _read_db(target, table)
    return read_file(Path(target))


def read_file(path: Path) -> pl.DataFrame:
    """Read a CSV/TSV (all Utf8, encoding sniffed when not UTF-8), Parquet or JSONL file."""
    fmt = file_format(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        if fmt == "parquet":
            return pl.read_parquet(path)
        if fmt == "jsonl":
            frame = pl.read_ndjson(path, infer_schema_length=None)
            text = [c for c, t in frame.schema.items() if not t.is_nested()]
            return frame.with_columns(pl.col(text).cast(pl.Utf8))
        return _read_delimited(path, "\t" if fmt == "tsv" else ",")
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise SourceError(f"{path}: cannot read it as {fmt} ({_first_line(exc)})") from None


def _read_delimited(path: Path, separator: str) -> pl.DataFrame:
    raw = path.read_bytes()
    encoding = _detect_encoding(path, raw)
    if encoding not in ("utf_8", "utf_8_sig"):
        try:
            raw = raw.decode(encoding).encode("utf-8")
        except (UnicodeDecodeError, LookupError):
            raise SourceError(f"{path}: not valid {encoding} text") from None
    return pl.read_csv(io.BytesIO(raw), separator=separator, infer_schema=False)


def _detect_encoding(path: Path, raw: bytes) -> str:
    if _sniff is not None:  # the scanner's sniffer: BOMs, UTF-8, GB18030 for Chinese text
        return str(_sniff(path, raw[: 64 * 1024]))
    try:
        raw[: 1 << 20].decode("utf-8")
        return "utf_8"
    except UnicodeDecodeError:
        best = from_bytes(raw[: 1 << 20]).best()
        if best is None:
            raise SourceError(f"{path}: text encoding not recognised") from None
        return str(best.encoding)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _engine(url: str) -> sa.Engine:
    try:
        return sa.create_engine(engine_url(url))
    except (ArgumentError, SQLAlchemyError, ImportError, ValueError) as exc:
        raise SourceError(f"{safe_url(url)}: cannot open database ({_first_line(exc)})") from None


def _read_db(url: str, table: str) -> pl.DataFrame:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(table):
                names = sa.inspect(conn).get_table_names()
                raise InputError(
                    f"{safe_url(url)}: no table {table!r}; tables: {choices(names) or '(none)'}"
                )
            reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
            result = conn.execute(sa.select(reflected))
            columns = list(result.keys())
            rows = result.fetchall()
    except SQLAlchemyError as exc:
        raise SourceError(f"{safe_url(url)} table {table!r}: {_first_line(exc)}") from None
    finally:
        engine.dispose()
    data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    return pl.DataFrame(data, infer_schema_length=None, strict=False)


def output_path(input_target: str, output: str | None) -> Path:
    """Where a file output goes: ``output`` (a file, or a directory to put INPUT's name in),
    else ``INPUT.deid.EXT`` beside the input. Refuses the input itself."""
    source = None if is_url(input_target) else Path(input_target)
    if output is None:
        if source is None:
            raise InputError(
                "a database input needs --output (a file, or a URL with --output-table)"
            )
        return source.with_name(f"{source.stem}.deid{source.suffix}")
    path = Path(output)
    if path.is_dir():
        if source is None:
            raise InputError(f"--output {path} is a directory; name the output file")
        path = path / source.name
    if source is not None and path.resolve() == source.resolve():
        raise InputError(
            f"--output {path} is the input file; fenji never overwrites its input, "
            "choose another name or directory"
        )
    return path


def write_file(frame: pl.DataFrame, path: Path, *, overwrite: bool = False) -> Path:
    """Write ``frame`` to ``path`` (format from the suffix) via a temp file and a rename."""
    fmt = file_format(path)
    if path.exists() and not overwrite:
        raise InputError(f"{path} already exists; choose another --output or pass --force")
    if not path.parent.is_dir():
        raise InputError(f"{path.parent}: no such directory")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        if fmt == "parquet":
            frame.write_parquet(tmp)
        elif fmt == "jsonl":
            frame.write_ndjson(tmp)
        else:
            frame.write_csv(tmp, separator="\t" if fmt == "tsv" else ",")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _sql_type(dtype: pl.DataType) -> sa.types.TypeEngine[Any]:
    if dtype.is_integer():
        return sa.BigInteger()
    if dtype.is_float():
        return sa.Float()
    if dtype == pl.Boolean:
        return sa.Boolean()
    if dtype == pl.Date:
        return sa.Date()
    if isinstance(dtype, pl.Datetime):
        return sa.DateTime()
    return sa.Text()


def write_db(frame: pl.DataFrame, url: str, table: str) -> str:
    """Create ``table`` in the database and fill it; refuses to replace an existing table.

    Rows go into a temporary table that is renamed at the end, so a failure never leaves a
    half-written table under the requested name.
    """
    engine = _engine(url)
    label = f"{safe_url(url)} table {table!r}"
    simple = [c for c, t in frame.schema.items() if _sql_type(t).__class__ is not sa.Text]
    text_cols = [c for c in frame.columns if c not in simple]
    frame = frame.with_columns(pl.col(text_cols).cast(pl.Utf8))
    tmp_name = f"fenji_tmp_{secrets.token_hex(6)}"
    metadata = sa.MetaData()
    tmp = sa.Table(
        tmp_name, metadata, *[sa.Column(c, _sql_type(t)) for c, t in frame.schema.items()]
    )
    try:
        with engine.connect() as conn:
            if sa.inspect(conn).has_table(table):
                raise InputError(f"{label} already exists; fenji never replaces a table")
            tmp.create(conn)
            conn.commit()
            try:
                for batch in frame.iter_slices(_BATCH):
                    conn.execute(tmp.insert(), batch.to_dicts())
                if sa.inspect(conn).has_table(table):
                    raise InputError(f"{label} appeared while writing; fenji never replaces it")
                quote = conn.dialect.identifier_preparer.quote
                conn.execute(sa.text(f"ALTER TABLE {quote(tmp_name)} RENAME TO {quote(table)}"))
                conn.commit()
            except BaseException:
                conn.rollback()
                tmp.drop(conn, checkfirst=True)
                conn.commit()
                raise
    except SQLAlchemyError as exc:
        raise SourceError(f"{label}: cannot write ({_first_line(exc)})") from None
    finally:
        engine.dispose()
    return label
