"""One joint run from the command line's point of view: read, compute, record.

``run_psi``, ``run_stats`` and ``run_train`` read the party's own input, take part in the
protocol, and fill the per-run record (``RunLog``), which is written whether the run succeeds or
fails. They return the plain-data summary the CLI prints. The Typer shell (``fenji.cli_compute``)
only declares options and reports errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from fenji.compute import audit, io, report
from fenji.compute.mpc import MpcConfig
from fenji.compute.wire import TlsFiles
from fenji.errors import FenjiError, InputError

Say = Callable[[str], None]


def where(target: str) -> str:
    """A file path as given, or a database URL without its password."""
    if "://" not in target:
        return target
    from fenji.catalogue.urls import redact

    return redact(target)


class RunLog:
    """Collects the per-run record while a command runs; written on success and failure."""

    def __init__(self, command: str, catalogue: str | None, off: bool, purpose: str | None):
        # Opened first: if the record cannot be kept, nothing is shared with anyone.
        self.log = None if off else audit.AuditLog(catalogue)
        self.started = datetime.now(UTC)
        self.fields: dict[str, Any] = {
            "run_id": "", "command": command, "protocol": "", "role": "", "parties": (),
            "tls": False, "inputs": {}, "revealed_to_me": (), "revealed_to_others": (),
            "result": {}, "purpose": purpose,
        }

    def write(self, status: str, error: str | None = None) -> None:
        """Store the record (no-op with ``--no-catalogue``)."""
        if self.log is None:
            return
        try:
            self.log.add(
                audit.RunRecord(
                    **self.fields, started_at=self.started, finished_at=datetime.now(UTC),
                    status=status, error=error,
                )
            )
        finally:
            self.log.close()

    def record(self, body: Callable[[], dict[str, Any]], warn: Say) -> dict[str, Any]:
        """Run ``body`` and write the record: ``ok``, or ``failed`` with the one-line error.

        The run's own error is re-raised; failing to write the record after a failed run is
        only reported through ``warn``, so the first error stays the one the user sees.
        """
        try:
            summary = body()
        except FenjiError as exc:
            try:
                self.write("failed", str(exc))
            except FenjiError as inner:
                warn(str(inner))
            raise
        except KeyboardInterrupt:
            self.write("failed", "interrupted")
            raise
        self.write("ok")
        return summary


def mpc_config(
    parties: str, me: int, tls: TlsFiles | None, timeout: float
) -> MpcConfig:
    """The party list, this party's index, TLS files and timeout, checked."""
    from fenji.compute.mpc import parse_parties

    if tls is not None and None in (tls.cert, tls.key, tls.ca):
        raise InputError("TLS between parties needs --cert, --key and --ca together")
    if timeout <= 0:
        raise InputError(f"--timeout {timeout:g}: must be a positive number of seconds")
    return MpcConfig(parse_parties(parties, me), me, timeout, tls)


def mpc_protocol(cfg: MpcConfig) -> str:
    """How the run is protected, for the record."""
    from fenji.compute.mpc import mpyc_version

    m = len(cfg.parties)
    return (
        f"MPyC {mpyc_version()} Shamir secret sharing, threshold {(m - 1) // 2} of {m} "
        "(semi-honest, honest majority)"
    )


@dataclass(frozen=True)
class PartyInput:
    """Where this party's rows come from; ``file`` None with ``helper`` for a data-less party."""

    file: str | None
    helper: bool = False
    table: str | None = None
    within: Path | None = None  # this party's own PSI result
    id_column: str | None = None
    id_type: str | None = None


def party_data(src: PartyInput, columns: list[str]) -> tuple[pl.DataFrame | None, dict[str, Any]]:
    """This party's rows (None for a helper) and the input part of its record."""
    from fenji.compute.normalize import filter_within

    if src.helper:
        if src.file is not None or src.within is not None:
            raise InputError("--helper takes part without data: drop FILE and --within")
        return None, {"helper": True}
    if src.file is None:
        raise InputError("give your FILE (or database URL), or --helper to take part without data")
    if (src.within is None) != (src.id_column is None):
        raise InputError("--within and --id-column go together (PSI result and your ID column)")
    wanted = columns + ([src.id_column] if src.id_column else [])
    df = io.read_columns(src.file, wanted, src.table)
    inputs: dict[str, Any] = {
        "source": where(src.file), "table": src.table, "columns": columns, "rows": df.height
    }
    if src.within is not None and src.id_column is not None:
        within = io.read_identifiers(src.within)
        df, kind = filter_within(df, src.id_column, within, src.id_type)
        inputs.update(
            within=src.within.name, id_column=src.id_column, id_type=kind, rows_within=df.height
        )
    return df, inputs


@dataclass(frozen=True)
class PsiRequest:
    """One side of a PSI run as the command line described it."""

    target: str
    column: str
    info_type: str | None
    table: str | None
    address: tuple[str, int] | None  # None when serving
    bind: str
    port: int
    output: Path | None


def run_psi(
    run: RunLog, req: PsiRequest, opts: Any, ctx: Any, say: Say, spu: Any = None
) -> dict[str, Any]:
    """Serve or connect, write this side's matches to ``req.output`` when it learnt them.

    ``spu`` (``psi_spu.SpuSettings``) runs the optional spu backend instead of openmined-psi.
    """
    from fenji.compute import psi, psi_spu, wire
    from fenji.compute.normalize import prepare

    values = io.read_columns(req.target, [req.column], req.table).get_column(req.column)
    ids = prepare(values, req.column, req.info_type)
    run.fields.update(
        protocol=psi_spu.describe(spu) if spu is not None else psi.backend_version(),
        role="connect" if req.address else "serve",
        inputs={"source": where(req.target), "column": req.column, "table": req.table,
                "info_type": ids.info_type, "rows": ids.rows, "distinct": ids.size,
                "invalid": ids.invalid},
    )
    if req.address is None:
        sock = wire.listen(req.bind, req.port)
        say(f"listening on {req.bind}:{sock.getsockname()[1]} for one partner")
        if spu is not None:
            result = psi_spu.serve(ids, sock, ctx, opts, spu, say)
        else:
            result = psi.serve(ids, sock, ctx, opts)
    elif spu is not None:
        result = psi_spu.run_connect(ids, *req.address, ctx, opts, spu, say)
    else:
        result = psi.run_connect(ids, *req.address, ctx, opts)
    output = str(req.output) if req.output is not None and result.matches is not None else None
    summary = report.psi_summary(result, ids, output)
    run.fields.update(
        run_id=result.run_id, tls=result.tls,
        parties=audit.parties_list(["me", result.peer], [None, result.peer_subject]),
        revealed_to_me=result.revealed_to_me, revealed_to_others=result.revealed_to_peer,
        result={k: summary[k] for k in ("my_set_size", "peer_set_size", "intersection_size")},
    )
    if req.output is not None and result.matches is not None:
        io.write_identifiers(req.output, req.column, result.matches)
    return summary


def _mpc_fields(run: RunLog, cfg: MpcConfig, inputs: dict[str, Any], suffix: str = "") -> None:
    m = len(cfg.parties)
    run.fields.update(
        protocol=mpc_protocol(cfg) + suffix, role=f"party {cfg.me} of {m}",
        tls=cfg.tls is not None, inputs=inputs,
        parties=audit.parties_list([p.address for p in cfg.parties]),
    )


def run_stats(
    run: RunLog, cfg: MpcConfig, spec: Any, src: PartyInput, column: str | None, on_step: Say | None
) -> dict[str, Any]:
    """Take part in joint statistics of ``column`` (a helper passes no column)."""
    from fenji.compute import mpc
    from fenji.compute import stats as st

    df, inputs = party_data(src, [column] if column else [])
    if df is None or column is None:
        local = st.helper_aggregates(spec)
    else:
        local = st.local_aggregates(io.numeric(df, column), spec)
    _mpc_fields(run, cfg, {**inputs, "used": local.n})
    started = time.monotonic()
    result = mpc.run(cfg, lambda rt, pr: st.program(rt, cfg, local, spec, pr), on_step)
    summary = report.stats_summary(result, local)
    summary["seconds"] = round(time.monotonic() - started, 3)  # incl. waiting for the others
    run.fields.update(
        run_id=result.run_id, revealed_to_me=result.revealed, revealed_to_others=result.revealed,
        result={k: summary[k] for k in ("count", "figures", "histogram")},
    )
    return summary


def run_train(
    run: RunLog,
    cfg: MpcConfig,
    spec: Any,
    src: PartyInput,
    features: list[str],
    label: str | None,
    on_step: Say | None,
) -> dict[str, Any]:
    """Take part in federated training (a helper passes no label)."""
    from fenji.compute import fedlearn as fl
    from fenji.compute import mpc

    df, inputs = party_data(src, features + ([label] if label else []))
    if df is None or label is None:
        rows = fl.helper_rows(len(features))
    else:
        rows = fl.load_rows(df, features, label)
    _mpc_fields(run, cfg, {**inputs, "used": int(rows.y.size)}, "; Newton logistic regression")
    started = time.monotonic()
    result = mpc.run(cfg, lambda rt, pr: fl.program(rt, cfg, rows, spec, pr), on_step)
    summary = report.train_summary(result, features, rows)
    summary["seconds"] = round(time.monotonic() - started, 3)  # incl. waiting for the others
    keep = ("intercept", "coefficients", "rows", "rounds", "converged")
    run.fields.update(
        run_id=result.run_id, revealed_to_me=result.revealed, revealed_to_others=result.revealed,
        result={k: summary[k] for k in keep},
    )
    return summary
