"""Where the catalogue lives: default location, URL resolution, passwords kept out of messages."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from fenji.errors import CatalogueError

URL_ENV = "FENJI_CATALOGUE"

# Drivers that are installed with fenji; a bare scheme would make SQLAlchemy look for others
# (psycopg2, mysqlclient) that are not.
_DEFAULT_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def data_dir() -> Path:
    """``$XDG_DATA_HOME/fenji``, or ``~/.local/share/fenji`` when XDG_DATA_HOME is unset."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "fenji"


def default_url() -> str:
    """``sqlite:///<data_dir()>/catalogue.db``."""
    return f"sqlite:///{data_dir() / 'catalogue.db'}"


def resolve_url(url: str | None = None) -> URL:
    """The catalogue URL: the argument, else env ``FENJI_CATALOGUE``, else ``default_url()``.

    Bare ``postgresql://`` / ``mysql://`` / ``mariadb://`` get the installed driver (psycopg 3,
    PyMySQL). The parent directory of a SQLite file is created.
    """
    text = url or os.environ.get(URL_ENV) or default_url()
    try:
        parsed = make_url(text)
    except ArgumentError:
        scheme = text.split(":", 1)[0] if ":" in text else "(none)"
        raise CatalogueError(
            f"catalogue URL could not be parsed (scheme {scheme!r}); expected e.g."
            " sqlite:///path/catalogue.db or postgresql://user@host/db"
        ) from None
    driver = _DEFAULT_DRIVERS.get(parsed.drivername)
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database or "")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CatalogueError(
                f"catalogue {redact(parsed)}: cannot create directory {path.parent}: {exc.strerror}"
            ) from exc
    return parsed


def redact(url: URL | str) -> str:
    """The URL as text with any password replaced by ``***``."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except ArgumentError:
            return "(unparsable URL)"
    return url.render_as_string(hide_password=True)
