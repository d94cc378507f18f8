"""Record of processing activities (ROPA) and PIA register, from what the catalogue holds.

Processing activities come from the consent ledger (one per purpose) and from policy decisions
and exports appended to the record log (``check.*``, ``exports.*``); the PI inventory from the
newest complete scan of each catalogue table; the PIA register from ``fenji records pia``
(PIPL Art. 55-56: reports and records kept at least 3 years). Nothing here holds raw PI.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from fenji.catalogue.models import STATUS_COMPLETE, ScanRow, SourceRow, TableRow
from fenji.errors import InputError, choices
from fenji.packs import load_pack
from fenji.records.config import section
from fenji.records.db import Target, catalogue_of, engine_of, from_db, now, session, to_db
from fenji.records.incidents import list_incidents
from fenji.records.log import append_in, entries, iso, resolve_key, text_digest
from fenji.records.models import ConsentRow, PiaRow
from fenji.records.rights import add_months, list_requests


@dataclass(frozen=True)
class PiaRecord:
    id: int
    activity: str
    purpose: str | None
    triggers: tuple[str, ...]
    assessed_at: datetime
    conclusion: str
    report: str | None
    keep_until: datetime


def _pia(row: PiaRow) -> PiaRecord:
    return PiaRecord(row.id, row.activity, row.purpose, tuple(row.triggers),
                     from_db(row.assessed_at) or row.assessed_at, row.conclusion, row.report,
                     from_db(row.keep_until) or row.keep_until)


def record_pia(
    target: Target,
    activity: str,
    *,
    triggers: Iterable[str],
    conclusion: str,
    assessed_at: datetime | None = None,
    purpose: str | None = None,
    report: str | None = None,
    signing_key: Ed25519PrivateKey | None = None,
) -> PiaRecord:
    """Register a PI protection impact assessment; it is kept ``keep_years`` (3) years."""
    cfg = section("pia")
    trig = tuple(dict.fromkeys(triggers))
    if not trig:
        raise InputError(f"name what made the assessment necessary: {choices(cfg['triggers'])}")
    for t in trig:
        if t not in cfg["triggers"]:
            raise InputError(f"PIA trigger {t!r} is not one of {choices(cfg['triggers'])}")
    if not activity.strip() or not conclusion.strip():
        raise InputError("a PIA needs an activity name and a conclusion")
    when = assessed_at or now()
    keep = add_months(when, 12 * int(cfg["keep_years"]))
    engine = engine_of(target)
    with session(engine, "cannot record the PIA") as s:
        row = PiaRow(activity=activity.strip(), purpose=purpose, triggers=list(trig),
                     assessed_at=to_db(when), conclusion=conclusion.strip(), report=report,
                     keep_until=to_db(keep))
        s.add(row)
        s.flush()
        append_in(s, "pia.record", {"pia": row.id, "activity": row.activity,
                                    "triggers": list(trig), "assessed_at": when,
                                    "keep_until": keep,
                                    "conclusion_sha256": text_digest(row.conclusion),
                                    "report": report}, signing_key=resolve_key(signing_key))
        return _pia(row)


def list_pias(target: Target) -> list[PiaRecord]:
    engine = engine_of(target)
    with session(engine, "cannot list PIAs") as s:
        return [_pia(r) for r in s.scalars(select(PiaRow).order_by(PiaRow.assessed_at))]


def _processing(target: Target, at: datetime) -> list[dict[str, Any]]:
    info = load_pack("general").info_types
    engine = engine_of(target)
    with session(engine, "cannot read consents") as s:
        rows = list(s.scalars(select(ConsentRow).order_by(ConsentRow.given_at)))
    by_purpose: dict[str, list[ConsentRow]] = {}
    for r in rows:
        by_purpose.setdefault(" ".join(r.purpose.split()).casefold(), []).append(r)
    out = []
    db_at = to_db(at)
    for group in by_purpose.values():
        cats = sorted({c for r in group for c in r.categories})
        active = {r.subject for r in group if r.given_at <= db_at
                  and (r.withdrawn_at is None or r.withdrawn_at > db_at)}
        out.append({
            "purpose": group[0].purpose,
            "legal_basis": "consent",
            "categories": cats,
            "sensitive_categories": [c for c in cats if c in info and info[c].sensitive],
            "consent_kinds": sorted({r.kind for r in group}),
            "uses": sorted({u for r in group for u in r.uses}),
            "consents": len(group),
            "withdrawn": sum(r.withdrawn_at is not None for r in group),
            "subjects_with_consent": len(active),
            "first_given": iso(group[0].given_at),
            "last_given": iso(group[-1].given_at),
        })
    return out


def _inventory(target: Target) -> list[dict[str, Any]]:
    cat = catalogue_of(target)
    engine = engine_of(target)
    with session(engine, "cannot read the catalogue") as s:
        names = s.execute(
            select(TableRow.name, SourceRow.uri)
            .distinct()
            .join(ScanRow, ScanRow.id == TableRow.scan_id)
            .join(SourceRow, SourceRow.id == TableRow.source_id)
            .where(ScanRow.status == STATUS_COMPLETE)
            .order_by(TableRow.name, SourceRow.uri)
        ).all()
    out = []
    for name, uri in names:
        rec = cat.latest_table(name, uri)
        if rec is None:
            continue
        cols = rec.profile.columns
        grade = rec.profile.grade
        out.append({
            "table": name, "source": uri, "scan": rec.scan_id,
            "categories": sorted({h.type for c in cols for h in c.info_types}),
            "sensitive": any(c.sensitive for c in cols),
            "individuals": rec.individuals.estimate if rec.individuals else None,
            "level": grade.level if grade else None,
        })
    return out


def build_register(target: Target, at: datetime | None = None) -> dict[str, Any]:
    """The ROPA and PIA register as one JSON-ready mapping."""
    when = at or now()
    log = entries(target)
    requests = list_requests(target)
    cfg = section("pia")
    return {
        "generated_at": iso(when),
        "retention": f"keep at least {cfg['keep_years']} years ({cfg['citation']})",
        "processing": _processing(target, when),
        "decisions": [{"entry": e.seq, "time": iso(e.recorded_at), "kind": e.kind,
                       **dict(e.payload)} for e in log if e.kind.startswith("check.")],
        "exports": [{"entry": e.seq, "time": iso(e.recorded_at), "kind": e.kind,
                     **dict(e.payload)} for e in log if e.kind.startswith("exports.")],
        "inventory": _inventory(target),
        "rights_requests": {
            "by_kind_and_status": [{"kind": k, "status": st, "count": n} for (k, st), n in
                                   sorted(Counter((r.kind, r.status) for r in requests).items())],
            "overdue": sum(r.overdue(when) for r in requests),
        },
        "incidents": [{"id": i.id, "title": i.title, "kind": i.kind, "status": i.status,
                       "detected_at": iso(i.detected_at), "categories": list(i.categories)}
                      for i in list_incidents(target)],
        "pia": [{**asdict(p), "triggers": list(p.triggers), "assessed_at": iso(p.assessed_at),
                 "keep_until": iso(p.keep_until),
                 "expired": p.keep_until < when} for p in list_pias(target)],
        "log": {"entries": len(log)},
    }


def write_register(register: dict[str, Any], out_dir: Path, fmt: str = "json") -> list[Path]:
    """``register.json``, or ``ropa.csv``, ``inventory.csv``, ``pia.csv`` (lists joined by
    ``;``), into ``out_dir``."""
    if fmt not in ("json", "csv"):
        raise InputError(f"format {fmt!r} is not one of csv, json")
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        import json

        path = out_dir / "register.json"
        path.write_text(json.dumps(register, ensure_ascii=False, indent=2), encoding="utf-8")
        return [path]
    written = []
    for name, key in (("ropa", "processing"), ("inventory", "inventory"), ("pia", "pia")):
        rows = [{k: ";".join(map(str, v)) if isinstance(v, list) else v for k, v in r.items()}
                for r in register[key]]
        path = out_dir / f"{name}.csv"
        frame = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
        frame.write_csv(path)
        written.append(path)
    return written
