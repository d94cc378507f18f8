"""Where records are kept (the catalogue database), transactions, times and safe error text."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from fenji.catalogue import Catalogue, redact, resolve_url
from fenji.catalogue import migrate as _migrate
from fenji.catalogue.records import from_db_time, to_db_time
from fenji.errors import CatalogueError, InputError

Target = Catalogue | Engine | str | None
"""A catalogue object, an engine on a migrated catalogue database, or a catalogue URL."""

__all__ = ["Target", "catalogue_of", "engine_of", "from_db", "now", "parse_when", "locked_row",
           "safe_detail", "session", "to_db"]

R = TypeVar("R")

_MIGRATED: set[str] = set()
_OPENED: dict[str, Catalogue] = {}


def engine_of(target: Target) -> Engine:
    """The engine of ``target``; a URL (or None: env/default URL) opens and migrates it."""
    if isinstance(target, Catalogue):
        return target.engine
    if isinstance(target, Engine):
        key = f"{id(target)}:{target.url}"
        if key not in _MIGRATED:  # an engine from elsewhere may predate revision 0003
            try:
                with target.begin() as conn:
                    _migrate.upgrade(conn)
            except SQLAlchemyError as exc:
                raise CatalogueError(
                    f"catalogue {redact(target.url)}: cannot migrate: {safe_detail(exc)}"
                ) from exc
            _MIGRATED.add(key)
        return target
    return catalogue_of(target).engine


def catalogue_of(target: Target) -> Catalogue:
    """A ``Catalogue`` for ``target`` (for its table lookups and sketch merges)."""
    if isinstance(target, Catalogue):
        return target
    url = (target.url.render_as_string(hide_password=False) if isinstance(target, Engine)
           else resolve_url(target).render_as_string(hide_password=False))
    # One Catalogue (engine and pool) per database, not one per call.
    if url not in _OPENED:
        _OPENED[url] = Catalogue(url)
    return _OPENED[url]


@contextmanager
def session(engine: Engine, action: str) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any exception."""
    try:
        with Session(engine, expire_on_commit=False) as s, s.begin():
            yield s
    except SQLAlchemyError as exc:
        raise CatalogueError(
            f"catalogue {redact(engine.url)}: {action}: {safe_detail(exc)}"
        ) from exc


def locked_row(s: Session, model: type[R], ident: int, name: str, id_word: str) -> R:
    """Row ``ident`` of ``model``, locked for update; ``InputError`` naming the valid id range
    ("no incident 9; incident ids run 1 to 4") when there is none."""
    row = s.get(model, ident, with_for_update=True)
    if row is None:
        last = s.scalar(select(func.max(model.id)))  # type: ignore[attr-defined]
        known = f"{id_word} ids run 1 to {last}" if last else f"no {id_word} is recorded"
        raise InputError(f"no {name} {ident}; {known}")
    return row


def safe_detail(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """First line of the driver's message, without bound parameters, passwords or ``secrets``.

    SQLAlchemy's own text appends the statement's parameters, which may hold PI; the driver's
    first line does not, but values are still blanked in case a driver quotes them.
    """
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    text = lines[0] if lines else type(orig).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def to_db(value: datetime) -> datetime:
    """UTC, naive (how the catalogue stores times); naive input is local time."""
    return to_db_time(value)


def from_db(value: datetime | None) -> datetime | None:
    """A stored time back as an aware UTC datetime."""
    return from_db_time(value)


def parse_when(text: str | None, what: str = "time") -> datetime | None:
    """ISO 8601 date or time (``2026-03-02T09:30+08:00``); without an offset it is local time."""
    if text is None or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{what}: {text!r} is not an ISO 8601 time, e.g. 2026-03-02T09:30:00+08:00"
        ) from None
    return value if value.tzinfo is not None else value.astimezone()
