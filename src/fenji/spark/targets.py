"""What ``fenji scan --engine spark`` can read: files, dataset directories and catalog tables.

- a file: ``.parquet``, ``.orc``, ``.csv``, ``.tsv``, ``.json``/``.jsonl``/``.ndjson``; its table
  is named after the file (``people.csv`` -> ``people``);
- a directory (a dataset of part files, Hive-style partition folders included) in one format;
  its table is named after the directory;
- a URL Spark can reach whose file suffix names the format (``s3a://bucket/people.parquet``);
- ``FORMAT:PATH`` for any path Spark can reach (``parquet:s3a://bucket/people``,
  ``delta:/lake/people``, ``csv:hdfs:///exports/2024``);
- ``table:NAME`` or a bare ``db.table`` name: a table of the session's catalog (Hive, Delta,
  Iceberg ... whatever the session is configured with).

CSV is read as text in every column (like the local engine), with RFC 4180 quoting and the
delimiter sniffed from local files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fenji.errors import SourceError, choices
from fenji.report.contract import redact_uri
from fenji.sources.delimited import sniff_delimiter
from fenji.sources.encoding import read_head

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".orc": "orc",
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}
PREFIXES = ("parquet", "orc", "csv", "tsv", "json", "delta", "iceberg", "avro", "table")
_TABLE_NAME = re.compile(r"[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*){0,2}")
_SKIP = re.compile(r"^[._]")  # _SUCCESS, .crc files, _delta_log ...


@dataclass(frozen=True)
class SparkTarget:
    """One table to scan: where it came from, what it is, and how to read it."""

    uri: str
    kind: str  # parquet, csv, tsv, orc, json, delta, iceberg, avro, table
    name: str
    location: str  # path or catalog table name


def resolve(target: str) -> SparkTarget:
    """Decide what a command-line target names (``SourceError`` naming it if nothing fits)."""
    head, sep, rest = target.partition(":")
    if sep and head.lower() in PREFIXES:
        kind = head.lower()
        if kind == "table":
            return SparkTarget(target, kind, rest, rest)
        name = rest.rstrip("/").rsplit("/", 1)[-1]
        return SparkTarget(target, kind, Path(name).stem or name, rest)
    if "://" in target:  # a remote path (s3a://, hdfs://, abfss://): the suffix names the format
        name = target.rstrip("/").rsplit("/", 1)[-1]
        fmt = FORMATS.get(Path(name).suffix.lower())
        if fmt is None:
            raise SourceError(
                f"{redact_uri(target)}: Spark reads URLs of {choices(sorted(set(FORMATS)))} "
                "files; prefix a dataset directory with its format, e.g. "
                "parquet:s3a://bucket/people (database URLs are for the local engine)"
            )
        return SparkTarget(target, fmt, Path(name).stem, target)
    path = Path(target)
    if path.is_file():
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise SourceError(
                f"{target}: Spark reads {choices(sorted(set(FORMATS)))} files; "
                "prefix another path with its format, e.g. parquet:PATH"
            )
        return SparkTarget(target, fmt, path.stem, str(path))
    if path.is_dir():
        found = {
            FORMATS[p.suffix.lower()]
            for p in path.rglob("*")
            if p.is_file() and p.suffix.lower() in FORMATS and not _hidden(p, path)
        }
        if len(found) != 1:
            what = f"files in several formats ({choices(sorted(found))})" if found else "no data"
            raise SourceError(
                f"{target}: a directory is read as one dataset and holds {what}; "
                "name a format with FORMAT:PATH or scan the files one by one"
            )
        return SparkTarget(target, found.pop(), path.name, str(path))
    if _TABLE_NAME.fullmatch(target) and Path(target).suffix.lower() not in FORMATS:
        return SparkTarget(target, "table", target, target)
    raise SourceError(
        f"{target}: no such file or directory, and not a table name; use table:NAME for a "
        f"catalog table or FORMAT:PATH (formats: {choices(PREFIXES[:-1])})"
    )


def _hidden(path: Path, root: Path) -> bool:
    return any(_SKIP.match(part) for part in path.relative_to(root).parts)


def read(spark: SparkSession, target: SparkTarget) -> DataFrame:
    """A DataFrame over the target (lazy: nothing is read until a job runs)."""
    reader = spark.read
    kind, where = target.kind, target.location
    if kind == "table":
        return spark.table(where)
    if kind in ("csv", "tsv"):
        sep = "\t" if kind == "tsv" else _sniff(where)
        reader = (
            reader.option("header", True)
            .option("inferSchema", False)
            .option("sep", sep)
            .option("quote", '"')
            .option("escape", '"')  # RFC 4180: a quote inside quotes is doubled
            .option("encoding", "UTF-8")
        )
        return reader.csv(where)
    if kind == "json":
        return reader.option("primitivesAsString", True).json(where)
    return reader.format(kind).load(where)


def _sniff(where: str) -> str:
    """The delimiter of a local CSV file (or of the first CSV file of a local directory)."""
    path = Path(where)
    if path.is_dir():
        path = next((p for p in sorted(path.rglob("*.csv")) if not _hidden(p, path)), path)
    if not path.is_file():
        return ","
    try:
        return sniff_delimiter(read_head(path).decode("utf-8", errors="ignore"))
    except OSError:
        return ","
