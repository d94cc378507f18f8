"""``fenji check ACTIVITY``, ``fenji check retention SOURCE`` and ``fenji rules list|show``.

Thin Typer shells over fenji.policy. Exit codes of ``check``: 0 allow (or every obligation met),
1 deny or an unmet obligation (retention: rows kept past the limit), 2 bad input (the message
names the file and key).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer
import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fenji.errors import FenjiError, InputError
from fenji.policy import (
    Decision,
    FactsProvider,
    RuleSettings,
    check,
    decision_to_dict,
    load_activity,
    load_all_rules,
    load_rules,
)
from fenji.policy.activity import CatalogueData
from fenji.policy.conditions import ParamValue
from fenji.policy.namespace import fact_specs
from fenji.policy.retention import RetentionReport
from fenji.policy.schema import sectors

ProviderFactory = Callable[[str | None], FactsProvider | None]
_provider_factory: ProviderFactory | None = None


def set_facts_provider_factory(factory: ProviderFactory | None) -> None:
    """Register how ``check`` opens the catalogue (URL or None for the default) as facts.

    The factory may return None when there is no catalogue to read.
    """
    global _provider_factory
    _provider_factory = factory


def catalogue_facts(url: str | None) -> FactsProvider | None:
    """The catalogue at ``url`` as facts; with no URL, the default catalogue if it exists.

    ``check`` never creates a catalogue: without one, catalogue data is an error naming the key
    and the export ledger is empty (the decision notes that earlier exports were not counted).
    """
    from fenji.catalogue import Catalogue
    from fenji.catalogue.urls import URL_ENV, data_dir
    from fenji.policy.catalogue_facts import CatalogueFacts

    if not (url or os.environ.get(URL_ENV) or (data_dir() / "catalogue.db").exists()):
        return None
    return CatalogueFacts(Catalogue(url))


set_facts_provider_factory(catalogue_facts)


class CheckFormat(StrEnum):
    table = "table"
    json = "json"


rules_app = typer.Typer(no_args_is_help=True, add_completion=False)
err_console = Console(stderr=True)


def _fail(exc: FenjiError) -> typer.Exit:
    err_console.print("[red]error:[/]", Text(str(exc)), highlight=False, soft_wrap=True)
    return typer.Exit(exc.exit_code)


def check_command(
    activity: str = typer.Argument(
        ..., metavar="ACTIVITY",
        help="Activity file (YAML or JSON, see docs/policy.md), or the word `retention`.",
    ),
    sources: list[str] | None = typer.Argument(
        None, metavar="SOURCE",
        help="After `retention`: files, directories or database URLs to check.",
    ),
    fmt: CheckFormat = typer.Option(CheckFormat.table, "--format", "-f", help="table or json."),
    catalogue: str | None = typer.Option(
        None, "--catalogue", envvar="FENJI_CATALOGUE",
        help="Catalogue URL for `catalogue:` data and the export ledger.",
    ),
    today: str | None = typer.Option(
        None, "--today",
        help="Date the calendar year is counted from, or (retention) ages are counted to "
        "(YYYY-MM-DD; default today).",
    ),
    disable: list[str] = typer.Option([], "--disable", help="Rule code to switch off (repeat)."),
    enable: list[str] = typer.Option([], "--enable", help="Rule code off by default to switch on."),
    param: list[str] = typer.Option(
        [], "--param", help="Rule parameter, CODE.NAME=VALUE (e.g. AU02.max_days=14)."
    ),
    pack: str | None = typer.Option(
        None, "--pack", help="retention: pack whose rule sets the limit (default automotive)."
    ),
    limit_days: int | None = typer.Option(
        None, "--limit-days", help="retention: limit in days (default: the pack rule's)."
    ),
    time_column: str | None = typer.Option(
        None, "--time-column", help="retention: the timestamp column (default: detected)."
    ),
) -> None:
    """Decide what the rules allow for one processing activity.

    `fenji check retention SOURCE` counts rows of location tables kept past the limit instead.
    """
    if activity == "retention":
        retention_command(sources or [], fmt, today, param, pack, limit_days, time_column)
        return
    provider = None
    try:
        if sources:
            raise InputError(f"unexpected argument {sources[0]!r} after the activity file (only "
                             "`fenji check retention SOURCE` takes more)")
        extra = [n for n, v in (("--pack", pack), ("--limit-days", limit_days),
                                ("--time-column", time_column)) if v is not None]
        if extra:
            raise InputError(f"{extra[0]} applies to `fenji check retention SOURCE` only")
        act = load_activity(Path(activity))
        settings = RuleSettings(
            disabled=frozenset(c.upper() for c in disable),
            enabled=frozenset(c.upper() for c in enable),
            params=_parse_params(param),
        )
        needs_catalogue = act.kind == "export" or any(
            isinstance(d, CatalogueData) for d in act.data
        )
        if needs_catalogue and _provider_factory is not None:
            provider = _provider_factory(catalogue)
        decision = check(act, provider, _parse_date(today), settings=settings)
        _log_decision(catalogue, activity, decision)
    except FenjiError as exc:
        raise _fail(exc) from None
    finally:
        close = getattr(provider, "close", None)
        if callable(close):
            close()
    if fmt is CheckFormat.json:
        typer.echo(json.dumps(decision_to_dict(decision), ensure_ascii=False, indent=2))
    else:
        print_decision(decision, Console())
    raise typer.Exit(decision.exit_code)


def retention_command(
    sources: list[str],
    fmt: CheckFormat,
    today: str | None,
    param: list[str],
    pack: str | None,
    limit_days: int | None,
    time_column: str | None,
) -> None:
    """``fenji check retention SOURCE``: exit 1 when a location table keeps rows too long."""
    from fenji.policy.retention import check_retention, retention_to_dict

    try:
        if not sources:
            raise InputError("check retention: missing SOURCE (a file, directory or database "
                             "URL), e.g. fenji check retention trips.parquet --pack automotive")
        report = check_retention(
            sources, pack=pack or "automotive", limit_days=limit_days, today=_parse_date(today),
            time_column=time_column, params=_parse_params(param),
        )
    except FenjiError as exc:
        raise _fail(exc) from None
    if fmt is CheckFormat.json:
        typer.echo(json.dumps(retention_to_dict(report), ensure_ascii=False, indent=2))
    else:
        print_retention(report, Console())
    for error in report.errors:
        err_console.print("[red]error:[/]", Text(error), highlight=False, soft_wrap=True)
    raise typer.Exit(report.exit_code)


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--today: {text!r} is not a date (YYYY-MM-DD)") from None


def _parse_params(items: list[str]) -> dict[str, dict[str, ParamValue]]:
    out: dict[str, dict[str, ParamValue]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        code, dot, name = key.partition(".")
        if not sep or not dot or not code or not name:
            raise InputError(f"--param: {item!r} is not CODE.NAME=VALUE (e.g. AU02.max_days=14)")
        value: ParamValue = raw
        if raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        else:
            with contextlib.suppress(ValueError):
                value = int(raw)
        out.setdefault(code.upper(), {})[name] = value
    return out


def print_retention(report: RetentionReport, console: Console) -> None:
    """Rich rendering of a retention check: one row per location table, counts and ages only."""
    lim = report.limit
    origin = f"{lim.rule}: {lim.citation}" if lim.rule else "--limit-days"
    console.print(Text.assemble(("Retention limit: ", "bold"), f"{lim.days} days ({origin})"))
    console.print(f"Today: {report.today}; pack {report.pack}; location info types: "
                  f"{', '.join(lim.info_types)}", highlight=False, markup=False)
    if not report.tables:
        console.print(f"No location table among {report.tables_scanned} tables scanned.",
                      highlight=False)
        return
    table = Table()
    for col in ("Source", "Table", "Location columns", "Time column"):
        table.add_column(col)
    for col in ("Rows", "Over limit", "Oldest (days)"):
        table.add_column(col, justify="right", no_wrap=True)
    for t in report.tables:
        if t.error is not None:
            over: str | Text = Text("not checked", "bold red")
        else:
            over = Text(f"{t.over_limit:,}", "bold red" if t.over_limit else "green")
        oldest = "-" if t.oldest_age_days is None else str(t.oldest_age_days)
        table.add_row(Text(t.source), Text(t.table), Text(", ".join(t.location_columns)),
                      Text(t.time_column or "-"), f"{t.rows:,}", over, oldest)
    console.print(table)
    for t in report.tables:
        if t.error is not None:
            console.print(f"not checked: {t.error}", highlight=False, markup=False)
    too_old = sum(1 for t in report.tables if t.over_limit)
    verdict = (f"{too_old} of {len(report.tables)} location tables keep rows past {lim.days} days"
               if too_old else f"no location table keeps rows past {lim.days} days")
    console.print(f"Result: {verdict} (exit {report.exit_code})", highlight=False)


_VERDICT_STYLE = {"allow": "green", "allow_with_obligations": "yellow", "deny": "red"}


def _log_decision(url: str | None, activity: str, decision: Decision) -> None:
    """Append the decision to the catalogue's tamper-evident log (PIPL Art. 69 proof).

    Only when a catalogue is named or already exists: ``check`` never creates one. The entry
    holds codes, verdict and route, no data values.
    """
    from fenji.catalogue.urls import URL_ENV, data_dir
    from fenji.records.log import append_event

    if not (url or os.environ.get(URL_ENV) or (data_dir() / "catalogue.db").exists()):
        return
    from fenji.catalogue import Catalogue

    with Catalogue(url) as cat:
        append_event(cat, "check.decision", {
            "activity_file": Path(activity).name,
            "verdict": decision.verdict,
            "route": decision.route,
            "findings": [{"code": f.code, "met": f.met} for f in decision.findings],
        })


def print_decision(decision: Decision, console: Console) -> None:
    """Rich rendering: verdict, route, one row per finding, then notes."""
    verdict = decision.verdict.replace("_", " ").upper()
    style = _VERDICT_STYLE[decision.verdict]
    head = Text.assemble(("Decision: ", "bold"), (verdict, f"bold {style}"),
                         f"  (exit {decision.exit_code})")
    console.print(head)
    if decision.route is not None:
        console.print(f"Route: {decision.route.replace('_', ' ')}", highlight=False)
    console.print(f"Activity: {decision.kind} ({decision.sector}) from {decision.source}",
                  highlight=False, markup=False)
    if decision.findings:
        table = Table(show_lines=False)
        table.add_column("Code", no_wrap=True)
        table.add_column("Met", no_wrap=True)
        table.add_column("Effect", no_wrap=True)
        table.add_column("Reason", ratio=3)
        table.add_column("Citation", ratio=2)
        with_deadline = any(f.deadline for f in decision.findings)
        if with_deadline:
            table.add_column("Deadline", ratio=1)
        for f in decision.findings:
            mark = Text("yes", "green") if f.met else Text("NO", "bold red")
            row: list[str | Text] = [f.code, mark, f.effect, Text(f.text), Text(f.citation)]
            if with_deadline:
                row.append(Text(f.deadline or ""))
            table.add_row(*row)
        console.print(table)
    else:
        console.print("No rule applies.")
    for note in decision.notes + tuple(n for f in decision.findings for n in f.notes):
        console.print(f"note: {note}", highlight=False, markup=False)
    if decision.disabled:
        console.print(f"disabled rules: {', '.join(decision.disabled)}", highlight=False)


@rules_app.command("list")
def rules_list(
    sector: str = typer.Option(
        "all", "--sector", help="general, financial, automotive, healthcare or all."
    ),
) -> None:
    """List policy rules: code, effect, pack, text, citation."""
    try:
        if sector != "all" and sector not in sectors():
            raise InputError(f"--sector: {sector!r} is not one of all, {', '.join(sectors())}")
        ruleset = load_all_rules() if sector == "all" else load_rules(sector)
    except FenjiError as exc:
        raise _fail(exc) from None
    table = Table()
    for col in ("Code", "Effect", "Pack", "Rule", "Citation"):
        table.add_column(col, no_wrap=col in ("Code", "Effect", "Pack"))
    for r in ruleset.rules:
        effect = r.effect + ("" if r.enabled else " (off)")
        table.add_row(r.code, effect, r.pack, Text(r.text), Text(r.citation))
    Console().print(table)


@rules_app.command("show")
def rules_show(code: str = typer.Argument(..., help="Rule code, e.g. XB03.")) -> None:
    """Show one rule: text, citations, conditions, parameters and the facts it reads."""
    try:
        rule = load_all_rules().get(code.upper())
    except FenjiError as exc:
        raise _fail(exc) from None
    console = Console()
    console.print(f"[bold]{rule.code}[/] ({rule.pack} pack, {rule.effect}"
                  f"{', off by default' if not rule.enabled else ''})", highlight=False)
    console.print(rule.text, highlight=False)
    for c in rule.citations:
        console.print(f"  cites: {c}", highlight=False)
    if rule.route:
        console.print(f"  route: {rule.route}", highlight=False)
    if rule.deadline:
        due = f"{rule.deadline.hours} hours" if rule.deadline.hours else rule.deadline.text
        console.print(f"  deadline: {due}", highlight=False)
    if rule.params:
        console.print(f"  params: {dict(rule.params)}", highlight=False)
    console.print(f"  reason: {rule.reason}", highlight=False, markup=False)
    shown = {k: rule.raw[k] for k in ("when", "met") if k in rule.raw}
    dumped = yaml.safe_dump(shown, sort_keys=False, allow_unicode=True, default_flow_style=None)
    console.print(dumped.rstrip(), highlight=False, markup=False)
    specs = fact_specs()
    console.print("facts read:", highlight=False)
    for name in rule.facts():
        console.print(f"  {name}: {specs[name].doc}", highlight=False, markup=False)
