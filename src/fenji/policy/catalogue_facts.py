"""Facts for ``fenji check`` from the catalogue: scanned tables and the export ledger.

``CatalogueFacts(catalogue)`` implements ``fenji.policy.FactsProvider``. It reads the newest
complete scan of each table and the exports recorded with ``fenji exports record``; it never sees
a raw value (profiles, counts and HLL sketches of keyed hashes only).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from fenji.catalogue import Catalogue, TableRecord
from fenji.catalogue.ledger import ExportRecord, list_exports
from fenji.errors import ConfigError, InputError
from fenji.individuals import SketchBuilder, union_estimate
from fenji.model import Grade
from fenji.policy.activity import Activity, CatalogueData, DeclaredData
from fenji.policy.facts import LedgerEntry, TableFacts, combine
from fenji.policy.vocab import IMPORTANT_LEVELS, LEVEL_RANKS

GENERAL_SCHEME = "GB/T 43697"  # ranks >= 5 of this scheme are important (5) or core (6) data


class CatalogueFacts:
    """The catalogue as a facts provider for the policy engine.

    Sketches are only combined when made with one HMAC key: the first table looked up with a
    sketch fixes the key (or pass ``key_id``, a ``fenji.individuals.key_fingerprint``). Tables
    and ledger entries sketched under another key keep their counts but lose their sketches, so
    the engine adds them up and flags the result as an upper bound.
    """

    def __init__(self, catalogue: Catalogue, key_id: str | None = None) -> None:
        self.catalogue = catalogue
        self.key_id = key_id
        self.scans: dict[str, int] = {}  # table name -> scan id its facts came from

    def close(self) -> None:
        """Release the catalogue's connections."""
        self.catalogue.close()

    def table_facts(self, name: str) -> TableFacts | None:
        """Facts of ``name`` from its newest complete scan; None when it was never scanned.

        - ``info_types``: every info type asserted in its columns;
        - ``individuals``: the scan's estimate and sketch; without an identifier column, the row
          count (one person per row at most, an upper bound) when any column holds PI, else 0;
        - ``sensitive_individuals``: all of the table's people when any column is sensitive PI
          (the sensitive sketch is then the table's sketch), else the minors under 14 (whose PI
          is sensitive, PIPL Art. 28), without a sketch;
        - ``level`` and ``important_data``: from the table grade (``important``/``core``, or
          rank 5 or more in the GB/T 43697-2024 scheme).
        """
        rec = self.catalogue.latest_table(name)
        if rec is None:
            return None
        self.scans[name] = rec.scan_id
        return self._facts(rec)

    def _facts(self, rec: TableRecord) -> TableFacts:
        profile = rec.profile
        info_types = tuple(dict.fromkeys(h.type for c in profile.columns for h in c.info_types))
        ind = profile.individuals
        sketch = rec.sketch if ind is not None else None
        if sketch is not None:
            if self.key_id is None and rec.sketch_key_id:
                self.key_id = rec.sketch_key_id
            elif rec.sketch_key_id and rec.sketch_key_id != self.key_id:
                sketch = None  # another key's hashes: the person would count twice anyway
        if ind is not None:
            people = ind.estimate
        elif info_types:
            people = profile.rows if profile.rows is not None else profile.rows_sampled
        else:
            people = 0
        minors = (ind.minors_under_14 or 0) if ind is not None else 0
        if any(c.sensitive for c in profile.columns):
            sensitive, sensitive_sketch = people, sketch
        else:
            sensitive, sensitive_sketch = minors, None
        grade = profile.grade
        return TableFacts(
            name=profile.name,
            info_types=info_types,
            individuals=people,
            sensitive_individuals=sensitive,
            minors_under_14=minors,
            important_data=_important(grade),
            level=grade.level if grade is not None and grade.level in LEVEL_RANKS else None,
            sketch=sketch,
            sensitive_sketch=sensitive_sketch,
        )

    def export_ledger(self, year: int) -> Sequence[LedgerEntry]:
        """Exports recorded for ``year``, as ledger entries for cumulative counts.

        An export that also counted people without a sketch (declared data) is passed on as a
        plain count, as is one sketched under another HMAC key: the engine adds those up.
        """
        records = list_exports(self.catalogue, year)
        key = self.key_id or _usual_key(records)
        return [_entry(r, key) for r in records]


def _important(grade: Grade | None) -> bool:
    if grade is None:
        return False
    return grade.level in IMPORTANT_LEVELS or (
        GENERAL_SCHEME in grade.scheme and grade.rank >= LEVEL_RANKS["important"]
    )


def _usual_key(records: Sequence[ExportRecord]) -> str | None:
    keys = Counter(r.key_id for r in records if r.key_id and r.sketch)
    return keys.most_common(1)[0][0] if keys else None


def _entry(rec: ExportRecord, key: str | None) -> LedgerEntry:
    same_key = rec.key_id is None or rec.key_id == key
    return LedgerEntry(
        date=rec.date,
        recipient=rec.recipient,
        individuals=rec.individuals,
        sensitive_individuals=rec.sensitive_individuals,
        sketch=rec.sketch if same_key and rec.unsketched_individuals == 0 else None,
        sensitive_sketch=(
            rec.sensitive_sketch if same_key and rec.unsketched_sensitive == 0 else None
        ),
    )


def _merged(sketches: Sequence[bytes]) -> bytes | None:
    if not sketches:
        return None
    if len(sketches) == 1:
        return sketches[0]
    builder = SketchBuilder()
    builder.merge(*sketches)
    return builder.serialize()


def export_record(activity: Activity, provider: CatalogueFacts, day: date) -> ExportRecord:
    """The ledger record of performing ``activity`` (an export) on ``day``.

    People are counted as ``fenji check`` counts them: the union of the catalogue tables'
    sketches (a person in two tables once) plus declared counts, which have no sketch.
    """
    if activity.kind != "export":
        raise InputError(
            f"{activity.source}: activity.kind is {activity.kind!r}; only activities of kind "
            "'export' can be recorded in the export ledger"
        )
    tables: list[TableFacts] = []
    used: list[tuple[str, int]] = []
    for i, item in enumerate(activity.data):
        if isinstance(item, DeclaredData):
            tables.append(TableFacts(f"declared[{i}]", item.info_types, item.individuals,
                                     item.sensitive_individuals, item.minors_under_14))
            continue
        assert isinstance(item, CatalogueData)
        facts = provider.table_facts(item.table)
        if facts is None:
            raise ConfigError(f"{activity.source}: activity.data[{i}].catalogue: table "
                              f"{item.table!r} not in catalogue (scan it first)")
        tables.append(facts)
        used.append((item.table, provider.scans[item.table]))
    people = combine([(t.individuals, t.sketch) for t in tables], union_estimate)
    sensitive = combine([(t.sensitive_individuals, t.sensitive_sketch) for t in tables],
                        union_estimate)
    sketch = _merged([t.sketch for t in tables if t.individuals > 0 and t.sketch])
    sensitive_sketch = _merged(
        [t.sensitive_sketch for t in tables if t.sensitive_individuals > 0 and t.sensitive_sketch]
    )
    rec = activity.recipient
    return ExportRecord(
        date=day,
        activity=activity.source,
        processor=activity.processor.name,
        recipient=rec.name if rec is not None else "",
        country=rec.country if rec is not None else None,
        purpose=activity.purpose,
        info_types=tuple(sorted({i for t in tables for i in t.info_types})),
        tables=tuple(used),
        individuals=people.value,
        sensitive_individuals=sensitive.value,
        unsketched_individuals=sum(t.individuals for t in tables if not t.sketch),
        unsketched_sensitive=sum(t.sensitive_individuals for t in tables
                                 if not t.sensitive_sketch),
        sketch=sketch,
        sensitive_sketch=sensitive_sketch,
        key_id=provider.key_id if sketch or sensitive_sketch else None,
    )
