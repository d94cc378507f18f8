"""What ``fenji deidentify`` and ``fenji risk`` print: a JSON report and Rich tables.

Only counts, column names, operators, steps and risk figures appear: never a raw value.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fenji.deid.engine import DeidResult
from fenji.deid.io import is_url, safe_url
from fenji.deid.kanon import KResult
from fenji.deid.profile import Profile
from fenji.deid.risk import RiskReport


def deid_report(
    target: str,
    table: str | None,
    written: str,
    profile: Profile,
    result: DeidResult,
    search: KResult | None,
) -> dict[str, Any]:
    source = safe_url(target) + (f" table {table!r}" if table else "") if is_url(target) else target
    report: dict[str, Any] = {
        "input": source,
        "output": written,
        "records_in": result.records_in,
        "records_out": result.records_out,
        "suppressed_records": result.suppressed_records,
        "dropped_columns": list(result.dropped_columns),
    }
    if search is not None:
        report["k_anonymity"] = {
            "k": search.k,
            "max_suppression": search.max_suppression,
            "loss_metric": search.loss_metric,
            "loss": round(search.loss, 6),
            "discernibility": search.discernibility,
            "nodes_evaluated": search.nodes_evaluated,
            "lattice_size": search.lattice_size,
            "levels": {lv.column: f"{lv.level}/{lv.top} {lv.label}" for lv in search.levels},
        }
    elif profile.k is not None:
        report["k_anonymity"] = {"k": profile.k, "max_suppression": profile.max_suppression}
    report["utility"] = [u.to_dict() for u in result.utility]
    report["risk"] = result.risk.to_dict()
    return report


def print_deid(report: dict[str, Any], result: DeidResult) -> None:
    console = Console()
    console.print(f"[bold]{escape(report['input'])}[/] -> [bold]{escape(report['output'])}[/]")
    console.print(
        f"records {result.records_in} -> {result.records_out} "
        f"({result.suppressed_records} suppressed)"
    )
    if "k_anonymity" in report and "loss" in report["k_anonymity"]:
        ka = report["k_anonymity"]
        console.print(f"k={ka['k']}: loss {ka['loss']:.4f} ({ka['loss_metric']})")
    grid = Table("column", "role", "operator", "step", "distinct before", "after", "blanked")
    for u in result.utility:
        grid.add_row(
            u.column,
            u.role or "",
            u.operator,
            u.generalisation,
            str(u.distinct_before),
            str(u.distinct_after),
            str(u.suppressed_cells),
        )
    console.print(grid)
    print_risk(console, result.risk)


def print_risk(console: Console, risk: RiskReport) -> None:
    grid = Table("measure", "value", title="re-identification risk")
    rows: list[tuple[str, str]] = [
        ("records", str(risk.records)),
        ("equivalence classes", str(risk.equivalence_classes)),
        ("k (smallest class)", str(risk.k)),
    ]
    if risk.l is not None:
        rows.append(("l (distinct sensitive values)", str(risk.l)))
    rows += [
        ("uniques", str(risk.uniques)),
        (
            "prosecutor risk max / avg",
            f"{risk.prosecutor_risk.max:.4g} / {risk.prosecutor_risk.avg:.4g}",
        ),
    ]
    if risk.journalist_risk is not None:
        rows.append(
            (
                "journalist risk max / avg",
                f"{risk.journalist_risk.max:.4g} / {risk.journalist_risk.avg:.4g}",
            )
        )
    rows += [
        ("marketer risk", f"{risk.marketer_risk:.4g}"),
        (f"records at risk (> {risk.threshold:.4g})", f"{risk.records_at_risk:.2%}"),
    ]
    for name, value in rows:
        grid.add_row(name, value)
    console.print(grid)
    console.print(f"[bold]{risk.effect_grade.standard}[/] {risk.effect_grade.statement}")
