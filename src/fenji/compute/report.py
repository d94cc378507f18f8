"""Plain-data summaries of joint runs (for ``--format json``, the per-run record and tables).

Summaries hold counts, aggregates and model weights only: never an identifier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from fenji.compute.disclosure import Cell
from fenji.compute.fedlearn import Rows, TrainResult
from fenji.compute.normalize import Identifiers
from fenji.compute.psi import PsiResult
from fenji.compute.stats import Local, StatsResult


def _cell(c: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {"value": c.value, "suppressed": c.suppressed}
    if c.reason:
        out["reason"] = c.reason
    return out


def psi_summary(r: PsiResult, ids: Identifiers, output: str | None) -> dict[str, Any]:
    """What this side of a PSI run learnt and showed, with its own input counts."""
    return {
        "run_id": r.run_id,
        "role": r.role,
        "peer": r.peer,
        "peer_subject": r.peer_subject,
        "tls": r.tls,
        "info_type": r.info_type,
        "my_set_size": r.my_size,
        "peer_set_size": r.peer_size,
        "intersection_size": r.intersection_size,
        "output": output if r.matches is not None else None,
        "input": {
            "column": ids.column,
            "rows": ids.rows,
            "empty": ids.empty,
            "invalid": ids.invalid,
            "duplicates": ids.duplicates,
        },
        "revealed_to_me": list(r.revealed_to_me),
        "revealed_to_peer": list(r.revealed_to_peer),
        "seconds": round(r.seconds, 3),
    }


def stats_summary(r: StatsResult, local: Local) -> dict[str, Any]:
    """The opened statistics (suppressed ones with their reason) and this party's counts."""
    return {
        "run_id": r.run_id,
        "count": r.count,
        "min_group": r.min_group,
        "figures": {c.label: _cell(c) for c in r.figures},
        "histogram": [{"bin": c.label, **_cell(c)} for c in r.histogram],
        "revealed": list(r.revealed),
        "local": {"rows": local.rows, "used": local.n, "dropped": local.dropped},
    }


def train_summary(r: TrainResult, features: Sequence[str], rows: Rows) -> dict[str, Any]:
    """The joint model with named coefficients and this party's counts."""
    return {
        "run_id": r.run_id,
        "model": "logistic_regression",
        "intercept": r.weights[0],
        "coefficients": dict(zip(features, r.weights[1:], strict=True)),
        "rows": r.rows,
        "rounds": r.rounds,
        "converged": r.converged,
        "revealed": list(r.revealed),
        "local": {"rows": rows.read, "used": int(rows.y.size), "dropped": rows.dropped},
    }


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        if "suppressed" in value:
            return (
                f"suppressed ({value.get('reason', '')})"
                if value["suppressed"]
                else _show(value["value"])
            )
        return ", ".join(f"{k}={_show(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    return "-" if value is None else str(value)


def print_summary(title: str, summary: Mapping[str, Any], console: Console) -> None:
    """A two-column table of a summary (histograms as one row per cell)."""
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in summary.items():
        if value == []:
            continue
        if key == "histogram":
            for cell in value:
                table.add_row(f"histogram {cell['bin']}", _show(cell))
        elif key == "figures":
            for name, cell in value.items():
                table.add_row(name, _show(cell))
        else:
            table.add_row(key.replace("_", " "), _show(value))
    console.print(table)
