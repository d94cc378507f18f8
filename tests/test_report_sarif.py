"""SARIF 2.1.0: structure (against a subset schema written here, no network), one result per
asserted info type per column, levels, locations, masked messages."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema

import fenji
from fenji.report import to_sarif, write_sarif
from fenji.report.sarif import MAX_DOCUMENT_RESULTS
from test_report_fixtures import RAW_VALUES, make_result

_TEXT = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
_LOCATION = {
    "type": "object",
    "properties": {
        "physicalLocation": {
            "type": "object",
            "required": ["artifactLocation"],
            "properties": {
                "artifactLocation": {"type": "object", "required": ["uri"],
                                     "properties": {"uri": {"type": "string", "minLength": 1}}},
                "region": {"type": "object", "properties": {
                    "charOffset": {"type": "integer", "minimum": 0},
                    "charLength": {"type": "integer", "minimum": 0}}},
            },
        },
        "logicalLocations": {"type": "array", "items": {"type": "object", "properties": {
            "fullyQualifiedName": {"type": "string"}, "name": {"type": "string"}}}},
    },
}
# The parts of the SARIF 2.1.0 schema that code-scanning consumers rely on.
SARIF_SUBSET = {
    "type": "object",
    "required": ["$schema", "version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["tool", "results"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object",
                    "required": ["name", "version", "informationUri", "rules"],
                    "properties": {"rules": {"type": "array", "items": {
                        "type": "object",
                        "required": ["id", "shortDescription", "help"],
                        "properties": {"shortDescription": _TEXT, "help": _TEXT},
                    }}},
                }}},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["ruleId", "level", "message", "locations"],
                    "properties": {
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": _TEXT,
                        "ruleIndex": {"type": "integer", "minimum": 0},
                        "locations": {"type": "array", "minItems": 1, "items": _LOCATION},
                    },
                }},
                "invocations": {"type": "array", "items": {
                    "type": "object", "required": ["executionSuccessful"]}},
            },
        }},
    },
}


def sarif(tmp_path: Path | None = None) -> dict[str, Any]:
    return to_sarif(make_result(), base=tmp_path)


def test_structure_validates() -> None:
    log = sarif()
    jsonschema.Draft202012Validator(SARIF_SUBSET).validate(log)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "fenji" and driver["version"] == fenji.__version__
    assert log["$schema"].endswith("sarif-2.1.0.json")


def test_one_result_per_asserted_type_per_column_and_finding() -> None:
    result = make_result()
    expected = sum(len(c.info_types) for s in result.sources for t in s.tables for c in t.columns)
    expected += sum(len(d.findings) for s in result.sources for d in s.documents)
    run = to_sarif(result)["runs"][0]
    assert len(run["results"]) == expected
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    assert set(ids) == {r["ruleId"] for r in run["results"]}
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]


def test_rules_describe_known_and_new_info_types() -> None:
    result = make_result()
    people = result.sources[0].tables[0]
    hit = replace(people.columns[0].info_types[0], type="PACK_SPECIFIC_ID")
    col = replace(people.columns[0], info_types=(people.columns[0].info_types[0], hit))
    src = replace(result.sources[0], tables=(replace(people, columns=(col,)),))
    rules = to_sarif(replace(result, sources=(src,)))["runs"][0]["tool"]["driver"]["rules"]
    text = {r["id"]: r["shortDescription"]["text"] for r in rules}
    assert "居民身份证号码" in text["CN_RESIDENT_ID"]
    assert "pack specific id" in text["PACK_SPECIFIC_ID"]
    assert all("PIPL" in r["help"]["text"] for r in rules)


def test_levels_follow_sensitivity() -> None:
    by_col = {}
    for r in sarif()["runs"][0]["results"]:
        for loc in r["locations"][0].get("logicalLocations", []):
            if "fullyQualifiedName" in loc:
                by_col[(loc["fullyQualifiedName"], r["ruleId"])] = r["level"]
    assert by_col[("people.身份证号", "CN_RESIDENT_ID")] == "error"
    assert by_col[("people.手机号", "CN_MOBILE_PHONE")] == "warning"
    assert by_col[("public.customers.bank_card", "CN_RESIDENT_ID")] == "error"


def test_message_has_context_and_masked_samples_only() -> None:
    log = sarif()
    msg = next(r["message"]["text"] for r in log["runs"][0]["results"]
               if r["ruleId"] == "CN_RESIDENT_ID" and r["level"] == "error")
    for part in ("people.身份证号", "CN_RESIDENT_ID", "0.99", "general-4", "Annex H",
                 "110***********4514"):
        assert part in msg, part
    text = json.dumps(log, ensure_ascii=False)
    for raw in RAW_VALUES:
        assert raw not in text


def test_locations_files_relative_and_databases_logical(tmp_path: Path) -> None:
    result = make_result()
    absolute = replace(result.sources[0], uri=str(tmp_path / "data" / "人员" / "people.csv"))
    outside = replace(result.sources[2], uri="/elsewhere/app.log")
    leaky_db = replace(result.sources[1], uri="postgresql://analyst:pw123@db.internal:5432/crm")
    result = replace(result, sources=(absolute, leaky_db, outside))
    uris = {}
    for r in to_sarif(result, base=tmp_path)["runs"][0]["results"]:
        loc = r["locations"][0]
        uris[r["ruleId"], loc["physicalLocation"]["artifactLocation"]["uri"]] = loc
    plain = {unquote(u) for _, u in uris}
    assert "data/人员/people.csv" in plain  # relative to base, percent-encoded on the wire
    assert all(u.isascii() for _, u in uris)
    assert "file:///elsewhere/app.log" in plain
    db = uris["BANK_CARD_NUMBER", "postgresql://analyst:***@db.internal:5432/crm"]
    assert db["logicalLocations"][0]["fullyQualifiedName"] == "public.customers.bank_card"
    assert "pw123" not in json.dumps(to_sarif(result, base=tmp_path))


def test_document_findings_have_regions() -> None:
    def uri(r: dict[str, Any]) -> str:
        return str(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])

    results = [r for r in sarif()["runs"][0]["results"] if uri(r) == "logs/app.log"]
    regions = sorted((r["locations"][0]["physicalLocation"]["region"]["charOffset"],
                      r["locations"][0]["physicalLocation"]["region"]["charLength"])
                     for r in results)
    assert regions == [(120, 11), (300, 18)]


def test_errors_and_interruption_reported_in_invocation() -> None:
    inv = to_sarif(make_result(complete=False))["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    levels = {n["level"]: n["message"]["text"] for n in inv["toolExecutionNotifications"]}
    assert "not a valid workbook" in levels["error"] and "broken.xlsx" in levels["error"]
    assert "statistics" in levels["warning"]
    assert inv["startTimeUtc"] == "2025-03-01T09:00:00.000000Z"


def test_document_results_capped() -> None:
    result = make_result()
    doc = result.sources[2].documents[0]
    many = replace(doc, findings=doc.findings * (MAX_DOCUMENT_RESULTS // 2 + 5))
    src = replace(result.sources[2], documents=(many,))
    run = to_sarif(replace(result, sources=(src,)))["runs"][0]
    assert len(run["results"]) == MAX_DOCUMENT_RESULTS
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("10 more findings omitted" in n["message"]["text"] for n in notes)


def test_write_sarif_atomic(tmp_path: Path) -> None:
    out = tmp_path / "fenji.sarif"
    write_sarif(make_result(), out, base=tmp_path)
    assert json.loads(out.read_text("utf-8")) == to_sarif(make_result(), base=tmp_path)
    assert os.listdir(tmp_path) == ["fenji.sarif"]
