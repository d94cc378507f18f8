"""``fenji packs``: list, show and validate classification and grading packs."""

from __future__ import annotations

import json
from dataclasses import fields
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fenji.errors import FenjiError
from fenji.grade import ColumnGrade, grade_classes
from fenji.infotypes import INFO_TYPES
from fenji.packs import Condition, Pack, list_packs, load_pack, validate_pack_dir

app = typer.Typer(no_args_is_help=True, help="List, show and validate classification packs.")


class Format(StrEnum):
    table = "table"
    json = "json"


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(f"error: {message}", markup=False, highlight=False)
    return typer.Exit(2)


def _when(c: Condition) -> str:
    parts = []
    for f in fields(c):
        value = getattr(c, f.name)
        if value is not None:
            shown = ",".join(sorted(value)) if isinstance(value, frozenset) else str(value)
            parts.append(f"{f.name}={shown.lower() if isinstance(value, bool) else shown}")
    return " and ".join(parts) or "always"


def describe(pack: Pack) -> dict[str, Any]:
    """The pack as plain data: each info type's classification and level under this pack."""
    def graded(g: ColumnGrade) -> dict[str, Any]:
        return {"category": g.category, "sensitive": g.sensitive, "role": g.role,
                "level": g.grade.level if g.grade else None,
                "rule": g.grade.rule if g.grade else None,
                "citations": list(g.grade.citations) if g.grade else []}

    types = [{"type": tid, "description": info.en, "zh": info.zh,
              **graded(grade_classes([tid], (), pack))} for tid, info in INFO_TYPES.items()]
    names = [{"id": rule.id, "pattern": rule.pattern.pattern,
              **graded(grade_classes((), [rule], pack))} for rule in pack.name_rules]
    return {
        "name": pack.name, "title": pack.title, "scheme": pack.scheme, "extends": pack.extends,
        "catalogue_version": pack.catalogue_version, "catalogue": pack.catalogue.title,
        "catalogue_versions": sorted(pack.catalogues),
        "levels": [{"id": lv.id, "rank": lv.rank, "label": lv.label, "citation": lv.citation}
                   for lv in pack.levels.values()],
        "info_types": types, "name_rules": names,
        "table_rules": [{"id": r.id, "when": _when(r.when), "level": r.level,
                         "citations": list(r.citations)}
                        for r in (*pack.table_rules, pack.default_rule)],
        "recognizers": str(pack.recognizers_path),
        "rules": str(pack.rules_path) if pack.rules_path else None,
    }


@app.command("list")
def list_command() -> None:
    """List the shipped packs."""
    table = Table("pack", "title", "scheme", "catalogue versions (default first)")
    try:
        for name in list_packs():
            pack = load_pack(name)
            versions = [pack.catalogue_version, *sorted(set(pack.catalogues) -
                                                        {pack.catalogue_version})]
            table.add_row(name, pack.title, pack.scheme, ", ".join(versions))
    except FenjiError as exc:
        raise _fail(str(exc)) from None
    Console().print(table)


@app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="A shipped pack name or a pack directory.")],
    catalogue_version: Annotated[
        str | None, typer.Option(help="Sensitive-PI catalogue version (default: the pack's).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
) -> None:
    """Show how a pack classifies and grades every info type."""
    try:
        data = describe(load_pack(name, catalogue_version))
    except FenjiError as exc:
        raise _fail(str(exc)) from None
    console = Console()
    if fmt is Format.json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]{data['title']}[/bold] — scheme {data['scheme']}, sensitive-PI "
                  f"catalogue {data['catalogue_version']} ({data['catalogue']})", markup=True)
    levels = Table("level", "rank", "label", "citation", title="levels")
    for lv in data["levels"]:
        levels.add_row(lv["id"], str(lv["rank"]), lv["label"], lv["citation"])
    console.print(levels)
    types = Table("info type", "category", "sensitive", "role", "level", "rule", "citations",
                  title="info types")
    for t in data["info_types"]:
        types.add_row(t["type"], t["category"] or "", "yes" if t["sensitive"] else "no",
                      t["role"] or "-", t["level"] or "-", t["rule"] or "-",
                      "; ".join(t["citations"]))
    console.print(types)
    if data["name_rules"]:
        names = Table("name rule", "category", "sensitive", "role", "level", "rule", "citations",
                      title="column-name rules")
        for r in data["name_rules"]:
            names.add_row(r["id"], r["category"], "yes" if r["sensitive"] else "no",
                          r["role"] or "-", r["level"] or "-", r["rule"] or "-",
                          "; ".join(r["citations"]))
        console.print(names)
    rules = Table("table rule", "when", "level", "citations", title="table rules")
    for r in data["table_rules"]:
        rules.add_row(r["id"], r["when"], r["level"], "; ".join(r["citations"]))
    console.print(rules)


@app.command("validate")
def validate_command(
    path: Annotated[Path, typer.Argument(help="A pack directory (with pack.yaml).")],
) -> None:
    """Check a pack directory; list every problem and exit 2 if there is any."""
    problems = validate_pack_dir(path)
    if problems:
        err = Console(stderr=True, soft_wrap=True)
        for problem in problems:
            err.print(problem, markup=False, highlight=False)
        raise typer.Exit(2)
    Console().print(f"ok: {path} is a valid pack", markup=False, highlight=False)
