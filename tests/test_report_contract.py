"""The JSON contract: keys, types (JSON Schema), Chinese text, no leaks, atomic writes."""

from __future__ import annotations

import copy
import doctest
import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import fenji
from fenji.errors import InputError
from fenji.model import ColumnProfile, InfoTypeHit, ScanResult, SourceProfile, TableProfile
from fenji.report import contract, contract_schema, to_contract, write_json
from test_report_fixtures import RAW_VALUES, make_result, people_table


def validate(doc: dict[str, Any]) -> None:
    schema = contract_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)


def test_contract_validates_against_schema() -> None:
    validate(to_contract(make_result()))


def test_contract_keys_follow_architecture() -> None:
    doc = to_contract(make_result())
    assert doc["tool"] == {"name": "fenji", "version": fenji.__version__}
    src = doc["sources"][0]
    assert src["uri"] == "data/人员/people.csv"
    table = src["tables"][0]
    assert (table["name"], table["rows"], table["rows_sampled"]) == ("people", 3000, 1000)
    assert table["individuals"]["estimate"] == 2987
    assert table["individuals"]["key"] == "CN_RESIDENT_ID"
    assert "sketch" not in table["individuals"]
    assert {k: table["grade"][k] for k in ("scheme", "level", "rank")} == {
        "scheme": "GB/T 43697-2024", "level": "general-4", "rank": 4}
    col = table["columns"][0]
    assert col["name"] == "身份证号"
    hit = col["info_types"][0]
    assert {k: hit[k] for k in ("type", "hits", "checked")} == {
        "type": "CN_RESIDENT_ID", "hits": 991, "checked": 1000}
    assert hit["score"] == 0.991  # rounded to 3 decimals
    assert hit["evidence"] == {"name_hint": "sfzh", "checksum_valid": 991, "ratio": 0.9912}
    assert col["category"] == "personal.identity" and col["sensitive"] is True
    assert col["grade"]["citations"][0].startswith("GB/T 43697-2024 Annex H")
    assert col["samples"] == ["110***********4514", "320***********1234"]
    no_pi = table["columns"][-1]
    assert no_pi["info_types"] == [] and no_pi["grade"] is None
    # a DB table keeps its own name; documents sit beside tables
    assert doc["sources"][1]["tables"][0]["name"] == "public.customers"
    assert doc["sources"][1]["tables"][0]["rows_exact"] is False
    finding = doc["sources"][2]["documents"][0]["findings"][1]
    assert finding == {"type": "CN_RESIDENT_ID", "start": 300, "end": 318, "score": 0.99,
                       "masked": "110***********4514", "detector": "cn_resident_id"}


def test_summary_counts() -> None:
    s = to_contract(make_result())["summary"]
    # people: 5 columns (4 PI, 1 sensitive); customers: 2 columns (1 PI, 1 sensitive)
    assert (s["tables"], s["columns"], s["pi_columns"], s["sensitive_columns"]) == (2, 7, 5, 2)
    assert s["individuals_max"] == 2987
    assert s["highest_grade"]["level"] == "general-4"
    assert (s["sources"], s["documents"], s["document_findings"]) == (4, 1, 2)
    assert (s["errors"], s["warnings"]) == (1, 1)


def test_chinese_round_trip_keeps_characters() -> None:
    doc = to_contract(make_result())
    text = json.dumps(doc, ensure_ascii=False)
    assert "身份证号" in text and "\\u" not in text
    assert json.loads(text) == doc


def test_no_raw_values_and_no_password() -> None:
    result = make_result()
    leaky = replace(result.sources[1], uri="postgresql://analyst:Sup3rS3cret@db:5432/crm")
    result = replace(result, sources=(result.sources[0], leaky))
    text = contract.dumps(to_contract(result))
    assert "Sup3rS3cret" not in text and "analyst:***@db" in text
    for raw in RAW_VALUES:
        assert raw not in text


def test_non_finite_scores_become_null_and_still_serialise() -> None:
    col = ColumnProfile("x", "String", 1, info_types=(
        InfoTypeHit("EMAIL_ADDRESS", float("nan"), 1, 1, "email", (("ratio", float("inf")),)),))
    table = TableProfile("t", 1, True, 1, (col,))
    result = replace(make_result(), sources=(SourceProfile("t.csv", "csv", (table,)),))
    doc = to_contract(result)
    hit = doc["sources"][0]["tables"][0]["columns"][0]["info_types"][0]
    assert hit["score"] is None and hit["evidence"]["ratio"] is None
    json.loads(contract.dumps(doc))  # allow_nan=False would raise on NaN
    validate(doc)


@pytest.mark.parametrize(
    "path, bad",
    [
        (("tool",), None),
        (("summary", "pi_columns"), "3"),
        (("sources", 0, "tables", 0, "columns", 0, "info_types", 0, "score"), 1.5),
        (("sources", 0, "tables", 0, "grade", "level"), ""),
    ],
)
def test_schema_rejects_broken_contracts(path: tuple[Any, ...], bad: Any) -> None:
    doc = copy.deepcopy(to_contract(make_result()))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if bad is None:
        del parent[path[-1]]
    else:
        parent[path[-1]] = bad
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_write_json_file_and_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = make_result()
    out = tmp_path / "报告.json"
    write_json(result, out)
    assert json.loads(out.read_text("utf-8")) == to_contract(result)
    assert os.listdir(tmp_path) == ["报告.json"]
    write_json(result, None)
    assert json.loads(capsys.readouterr().out) == to_contract(result)


def test_new_report_private_existing_keeps_mode(tmp_path: Path) -> None:
    new = tmp_path / "new.json"
    write_json(make_result(), new)
    assert new.stat().st_mode & 0o777 == 0o600
    shared = tmp_path / "shared.json"
    shared.write_text("old", "utf-8")
    shared.chmod(0o644)
    write_json(make_result(), shared)
    assert shared.stat().st_mode & 0o777 == 0o644
    assert json.loads(shared.read_text("utf-8"))["tool"]["name"] == "fenji"


def broken_result() -> ScanResult:
    # columns=None makes rendering fail half-way through, as a bug in a stage would.
    bad = TableProfile("t", 1, True, 1, None)  # type: ignore[arg-type]
    return replace(make_result(), sources=(SourceProfile("t.csv", "csv", (people_table(), bad)),))


def test_failed_render_leaves_existing_file_untouched(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text("previous report", "utf-8")
    with pytest.raises(TypeError):
        write_json(broken_result(), out)
    assert out.read_text("utf-8") == "previous report"
    assert os.listdir(tmp_path) == ["report.json"]


def test_failed_write_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "is_a_dir"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    with pytest.raises(InputError, match="is_a_dir"):
        write_json(make_result(), target)  # os.replace cannot overwrite a directory
    assert sorted(os.listdir(tmp_path)) == ["is_a_dir"]
    assert os.listdir(target) == ["keep.txt"]
    with pytest.raises(InputError, match="missing"):
        write_json(make_result(), tmp_path / "missing" / "r.json")


def test_module_doctests() -> None:
    from fenji.report import charts

    for module in (contract, charts):
        failures, tried = doctest.testmod(module)
        assert tried > 0 and failures == 0


def test_docs_example_matches_schema_and_palette() -> None:
    from fenji.report import GRADE_COLOURS

    docs = (Path(__file__).parents[1] / "docs" / "reports.md").read_text("utf-8")
    example = json.loads(docs.split("```json\n", 1)[1].split("```", 1)[0])
    validate(example)
    produced = to_contract(make_result())
    assert set(example) == set(produced)
    assert set(example["summary"]) == set(produced["summary"])
    for level, hex_ in GRADE_COLOURS.items():
        assert re.search(rf"`{level}`[^\n]*`{hex_}`", docs), level


def test_passwords_in_messages_masked_in_every_format() -> None:
    import io

    from rich.console import Console

    from fenji.report import print_table, render_html, to_sarif

    leak = "connect failed: mysql+pymysql://root:hunter2@10.0.0.5/crm (timeout)"
    result = make_result()
    src = replace(result.sources[3], errors=(leak,))
    table = replace(result.sources[1].tables[0], warnings=(leak,))
    db = replace(result.sources[1], tables=(table,))
    result = replace(result, sources=(result.sources[0], db, src))
    buf = io.StringIO()
    print_table(result, Console(file=buf, width=100, color_system=None))
    outputs = {
        "json": contract.dumps(to_contract(result)),
        "html": render_html(result),
        "sarif": json.dumps(to_sarif(result)),
        "console": " ".join(buf.getvalue().split()),
    }
    for name, text in outputs.items():
        assert "hunter2" not in text, name
        assert "root:***@10.0.0.5" in text.replace("\n", ""), name
