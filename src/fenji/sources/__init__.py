"""Read-only readers for files, directories and databases.

``open_sources(targets)`` yields one ``Source`` per file or database (or a ``SourceError`` in its
place); ``Source.tables()`` yields ``TableReader`` objects that count, sample and stream rows as
Polars frames. Nothing here ever writes to what it reads.
"""

from fenji.sources.base import MAX_CELL_CHARS, DocumentFile, Source, TableReader
from fenji.sources.dburl import SCHEMES, safe_uri
from fenji.sources.discover import FILE_KINDS, open_file, open_sources
from fenji.sources.sql import DatabaseSource

__all__ = [
    "FILE_KINDS",
    "MAX_CELL_CHARS",
    "SCHEMES",
    "DatabaseSource",
    "DocumentFile",
    "Source",
    "TableReader",
    "open_file",
    "open_sources",
    "safe_uri",
]
