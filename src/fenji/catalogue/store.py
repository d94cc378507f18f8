"""``Catalogue``: the one object for the catalogue database (SQLite, PostgreSQL, MySQL/MariaDB)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from alembic.util.exc import CommandError
from sqlalchemy import create_engine, func, select, true
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from fenji import __version__
from fenji.catalogue import compute_runs, ledger, migrate  # noqa: F401 - they add tables to models
from fenji.catalogue.models import (
    STATUS_COMPLETE,
    STATUS_INTERRUPTED,
    STATUS_RUNNING,
    ColumnRow,
    InfoTypeRow,
    ScanRow,
    SourceRow,
    TableRow,
)
from fenji.catalogue.records import (
    ScanRecord,
    ScanSummary,
    TableRecord,
    from_db_time,
    scan_result,
    source_rows,
    table_profile,
    to_db_time,
)
from fenji.catalogue.urls import redact, resolve_url
from fenji.errors import CatalogueError, FenjiError
from fenji.model import Grade, ScanResult
from fenji.records import models as _records_models  # noqa: F401 - records tables on the metadata

_TABLE_LOAD = selectinload(TableRow.columns).selectinload(ColumnRow.info_types)


class Catalogue:
    """The catalogue database: every scan kept, profiles and sketches only, never raw values.

    ``url`` defaults to env ``FENJI_CATALOGUE``, then ``sqlite:///<XDG data dir>/fenji/
    catalogue.db``. Opening runs any pending migrations.
    """

    def __init__(self, url: str | None = None) -> None:
        self.url = resolve_url(url)
        self.display_url = redact(self.url)
        try:
            self.engine = create_engine(self.url)
            with self.engine.begin() as conn:
                current = migrate.current_revision(conn)
                self._check_revision(current)
                migrate.upgrade(conn, current)
        except (SQLAlchemyError, CommandError) as exc:
            raise self._error("cannot open or migrate", exc) from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _check_revision(self, current: str | None) -> None:
        known = migrate.known_revisions()
        if current is not None and current not in known:
            raise CatalogueError(
                f"catalogue {self.display_url}: schema revision {current!r} is newer than this"
                f" fenji ({__version__}) knows; known revisions: {', '.join(sorted(known))}"
            )

    def _error(self, action: str, exc: BaseException) -> CatalogueError:
        orig = getattr(exc, "orig", None) or exc
        lines = str(orig).strip().splitlines()
        detail = lines[0] if lines else type(orig).__name__
        if self.url.password:
            detail = detail.replace(str(self.url.password), "***")
        return CatalogueError(f"catalogue {self.display_url}: {action}: {detail}")

    @contextmanager
    def _session(self, action: str) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any exception (incl. Ctrl-C)."""
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise self._error(action, exc) from exc

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- writing -----------------------------------------------------------------------------

    def begin_scan(
        self,
        *,
        pack: str,
        catalogue_version: str | None = None,
        sample: int | None = None,
        started_at: datetime | None = None,
        tool_version: str = __version__,
    ) -> int:
        """Record a scan as 'running' and return its id; ``finish_scan`` completes it.

        ``finish_scan`` overwrites pack, catalogue version, sample and start time from the result.
        """
        with self._session("cannot record scan") as session:
            row = ScanRow(
                started_at=to_db_time(started_at or datetime.now(UTC)),
                status=STATUS_RUNNING,
                pack=pack,
                catalogue_version=catalogue_version or "",
                sample=sample,
                tool_version=tool_version,
            )
            session.add(row)
            session.flush()
            return row.id

    def finish_scan(self, scan_id: int, result: ScanResult, *, key_id: str | None = None) -> None:
        """Store ``result`` under a running scan in one transaction.

        The scan becomes 'complete' only when ``result.complete``, else 'interrupted'. If writing
        fails or is interrupted, nothing of it is kept and the scan stays 'running'. ``key_id``
        (``fenji.individuals.key_fingerprint``) records which HMAC key made the sketches.
        """
        with self._session(f"cannot store scan {scan_id}") as session:
            row = session.get(ScanRow, scan_id, with_for_update=True)
            if row is None:
                raise CatalogueError(f"catalogue {self.display_url}: no scan {scan_id}")
            if row.status != STATUS_RUNNING:
                raise CatalogueError(
                    f"catalogue {self.display_url}: scan {scan_id} is {row.status}, not"
                    f" {STATUS_RUNNING}; only a running scan can be finished"
                )
            self._write(session, row, result, key_id)

    def save_scan(self, result: ScanResult, *, key_id: str | None = None) -> int:
        """Store a whole scan in one transaction and return its id."""
        with self._session("cannot store scan") as session:
            row = ScanRow(
                started_at=to_db_time(result.started_at),
                status=STATUS_RUNNING,
                pack=result.pack,
                catalogue_version=result.catalogue_version,
                sample=result.sample,
                tool_version=__version__,
            )
            session.add(row)
            session.flush()
            self._write(session, row, result, key_id)
            return row.id

    @staticmethod
    def _write(session: Session, row: ScanRow, result: ScanResult, key_id: str | None) -> None:
        row.started_at = to_db_time(result.started_at)
        row.pack = result.pack
        row.catalogue_version = result.catalogue_version
        row.sample = result.sample
        session.add_all(source_rows(row.id, result, key_id))
        session.flush()  # everything written before the status says so
        row.finished_at = to_db_time(result.finished_at)
        row.status = STATUS_COMPLETE if result.complete else STATUS_INTERRUPTED

    def mark_interrupted(self, scan_id: int) -> None:
        """Mark a running scan 'interrupted' (e.g. from a Ctrl-C handler); others are left as is."""
        with self._session(f"cannot update scan {scan_id}") as session:
            row = session.get(ScanRow, scan_id)
            if row is not None and row.status == STATUS_RUNNING:
                row.status = STATUS_INTERRUPTED
                row.finished_at = to_db_time(datetime.now(UTC))

    # --- reading -----------------------------------------------------------------------------

    def list_scans(self, limit: int | None = None) -> list[ScanSummary]:
        """Scans, newest first, with counts and the highest table grade."""
        with self._session("cannot list scans") as session:
            scans = list(
                session.scalars(
                    select(ScanRow)
                    .order_by(ScanRow.started_at.desc(), ScanRow.id.desc())
                    .limit(limit)
                )
            )
            # All scans: no filter (a long IN list would hit SQLite's parameter limit).
            ids = [s.id for s in scans] if limit is not None else None

            def only(column: Any) -> Any:
                return true() if ids is None else column.in_(ids)

            n_sources = dict(
                session.execute(
                    select(SourceRow.scan_id, func.count())
                    .where(only(SourceRow.scan_id))
                    .group_by(SourceRow.scan_id)
                ).all()
            )
            n_tables = dict(
                session.execute(
                    select(TableRow.scan_id, func.count())
                    .where(only(TableRow.scan_id))
                    .group_by(TableRow.scan_id)
                ).all()
            )
            n_pi = dict(
                session.execute(
                    select(TableRow.scan_id, func.count(func.distinct(InfoTypeRow.column_id)))
                    .join(ColumnRow, ColumnRow.table_id == TableRow.id)
                    .join(InfoTypeRow, InfoTypeRow.column_id == ColumnRow.id)
                    .where(only(TableRow.scan_id))
                    .group_by(TableRow.scan_id)
                ).all()
            )
            highest: dict[int, Grade] = {}
            for scan_id, scheme, level, rank in session.execute(
                select(
                    TableRow.scan_id,
                    TableRow.grade_scheme,
                    TableRow.grade_level,
                    func.max(TableRow.grade_rank),
                )
                .where(only(TableRow.scan_id), TableRow.grade_rank.is_not(None))
                .group_by(TableRow.scan_id, TableRow.grade_scheme, TableRow.grade_level)
            ):
                if rank is None:
                    continue
                if scan_id not in highest or rank > highest[scan_id].rank:
                    highest[scan_id] = Grade(scheme=scheme or "", level=level or "", rank=rank)
        return [
            ScanSummary(
                id=s.id,
                started_at=from_db_time(s.started_at) or datetime.min.replace(tzinfo=UTC),
                finished_at=from_db_time(s.finished_at),
                status=s.status,
                pack=s.pack,
                catalogue_version=s.catalogue_version,
                sample=s.sample,
                tool_version=s.tool_version,
                sources=n_sources.get(s.id, 0),
                tables=n_tables.get(s.id, 0),
                pi_columns=n_pi.get(s.id, 0),
                highest_grade=highest.get(s.id),
            )
            for s in scans
        ]

    def get_scan(self, scan_id: int) -> ScanRecord:
        """One scan with everything it found (masked samples only)."""
        with self._session(f"cannot read scan {scan_id}") as session:
            row = session.scalar(
                select(ScanRow)
                .where(ScanRow.id == scan_id)
                .options(
                    selectinload(ScanRow.sources)
                    .selectinload(SourceRow.tables)
                    .options(_TABLE_LOAD),
                    selectinload(ScanRow.sources).selectinload(SourceRow.documents),
                )
            )
            if row is None:
                last = session.scalar(select(func.max(ScanRow.id)))
                known = f"scan ids run 1 to {last}" if last else "the catalogue has no scans"
                raise CatalogueError(f"catalogue {self.display_url}: no scan {scan_id}; {known}")
            return ScanRecord(
                id=row.id, status=row.status, tool_version=row.tool_version, result=scan_result(row)
            )

    def latest_table(self, name: str, source_uri: str | None = None) -> TableRecord | None:
        """The table ``name`` as recorded by the newest complete scan that has it, or None.

        When that scan has the name in more than one source, pass ``source_uri`` to choose.
        """
        with self._session(f"cannot read table {name!r}") as session:
            query = (
                select(TableRow, ScanRow, SourceRow)
                .join(ScanRow, ScanRow.id == TableRow.scan_id)
                .join(SourceRow, SourceRow.id == TableRow.source_id)
                .where(TableRow.name == name, ScanRow.status == STATUS_COMPLETE)
                .order_by(ScanRow.started_at.desc(), ScanRow.id.desc(), TableRow.id)
                .options(_TABLE_LOAD)
            )
            if source_uri is not None:
                query = query.where(SourceRow.uri == source_uri)
            rows = session.execute(query.limit(2)).all()
            if not rows:
                return None
            table, scan, source = rows[0]
            if len(rows) > 1 and rows[1][1].id == scan.id:
                uris = session.scalars(
                    select(SourceRow.uri)
                    .join(TableRow, TableRow.source_id == SourceRow.id)
                    .where(TableRow.scan_id == scan.id, TableRow.name == name)
                ).all()
                raise CatalogueError(
                    f"catalogue {self.display_url}: table {name!r} is in {len(uris)} sources of"
                    f" scan {scan.id}; pass a source URI, one of: {', '.join(sorted(set(uris)))}"
                )
            return TableRecord(
                scan_id=scan.id,
                started_at=from_db_time(scan.started_at) or datetime.min.replace(tzinfo=UTC),
                pack=scan.pack,
                source_uri=source.uri,
                source_kind=source.kind,
                profile=table_profile(table),
                sketch_key_id=table.sketch_key_id,
            )

    def merge_sketches(
        self, tables: Iterable[str | tuple[str, str]], *, mixed_keys: bool = False
    ) -> int:
        """Estimated distinct individuals across tables (latest complete scan of each).

        Items are table names or ``(name, source_uri)``. A person in several tables counts once,
        provided all sketches were made with the same HMAC key (checked) and the same identifier
        type (checked unless ``mixed_keys``; mixing types counts a person once per type).
        """
        from fenji.individuals import union_estimate

        sketches: list[bytes] = []
        key_types: dict[str, str] = {}
        key_ids: dict[str, str] = {}
        for item in tables:
            name, uri = (item, None) if isinstance(item, str) else item
            rec = self.latest_table(name, uri)
            if rec is None:
                raise CatalogueError(
                    f"catalogue {self.display_url}: no complete scan has table {name!r}"
                )
            if rec.sketch is None or rec.individuals is None:
                raise CatalogueError(
                    f"catalogue {self.display_url}: table {name!r} (scan {rec.scan_id}) has no"
                    " individuals sketch (no identifier column was found)"
                )
            sketches.append(rec.sketch)
            key_types[name] = rec.individuals.key
            if rec.sketch_key_id:
                key_ids[name] = rec.sketch_key_id
        if len(set(key_ids.values())) > 1:
            raise CatalogueError(
                f"catalogue {self.display_url}: sketches were made with different HMAC keys"
                f" ({', '.join(f'{n}: {k}' for n, k in sorted(key_ids.items()))}); they cannot"
                " be merged"
            )
        if not mixed_keys and len(set(key_types.values())) > 1:
            raise CatalogueError(
                f"catalogue {self.display_url}: tables are keyed on different identifier types"
                f" ({', '.join(f'{n}: {k}' for n, k in sorted(key_types.items()))}); a person"
                " would count once per type (pass mixed_keys=True for that upper bound)"
            )
        try:
            return union_estimate(sketches)
        except FenjiError as exc:
            raise CatalogueError(f"catalogue {self.display_url}: {exc}") from exc
