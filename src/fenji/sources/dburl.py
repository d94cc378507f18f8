"""Database URLs: which schemes fenji reads, and how a URL is shown without its password."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL

# URL scheme -> (source kind, SQLAlchemy driver name)
SCHEMES = {
    "sqlite": ("sqlite", "sqlite"),
    "sqlite+pysqlite": ("sqlite", "sqlite"),
    "postgresql": ("postgresql", "postgresql+psycopg"),
    "postgres": ("postgresql", "postgresql+psycopg"),
    "postgresql+psycopg": ("postgresql", "postgresql+psycopg"),
    "postgresql+psycopg2": ("postgresql", "postgresql+psycopg"),  # psycopg 3 is what we ship
    "mysql": ("mysql", "mysql+pymysql"),
    "mysql+pymysql": ("mysql", "mysql+pymysql"),
    "mariadb": ("mysql", "mariadb+pymysql"),
    "mariadb+pymysql": ("mysql", "mariadb+pymysql"),
}
SQLITE_HEADER = b"SQLite format 3\x00"
_SECRET_QUERY_KEYS = ("password", "passwd", "secret", "token", "sslkey", "sslpassword")


def looks_like_url(target: str) -> bool:
    """True when ``target`` is a URL (``scheme://``) rather than a path."""
    head, sep, _ = target.partition("://")
    return bool(sep) and head.replace("+", "").replace("-", "").replace(".", "").isalnum()


def safe_uri(url: URL) -> str:
    """``url`` for display: password replaced by ``***``, secret query options dropped."""
    query = {k: v for k, v in url.query.items() if not k.lower().startswith(_SECRET_QUERY_KEYS)}
    return url.set(query=query).render_as_string(hide_password=True)


def scrub(text: str, url: URL) -> str:
    """First line of a driver message, with the password (if any) masked."""
    line = (text.strip().splitlines() or [""])[0]
    if url.password:
        line = line.replace(str(url.password), "***")
    return line


def is_sqlite_file(path: Path) -> bool:
    """True when ``path`` starts with the SQLite 3 header."""
    try:
        with path.open("rb") as fh:
            return fh.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def describe(exc: BaseException, url: URL) -> str:
    """A one-line reason for a database error, without the password."""
    orig = getattr(exc, "orig", None) or exc
    return scrub(str(orig), url) or type(orig).__name__
