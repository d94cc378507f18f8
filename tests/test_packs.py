"""Pack loading and validation: shipped packs, catalogue versions, broken packs, the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from fenji.cli_packs import app
from fenji.errors import ConfigError
from fenji.infotypes import INFO_TYPES
from fenji.packs import PACKS_DIR, list_packs, load_pack, validate_pack_dir

SHIPPED = ("automotive", "financial", "general", "healthcare")
ID_DOCUMENTS = ("CN_RESIDENT_ID", "CN_PASSPORT", "CN_HMT_PERMIT", "HK_ID_CARD", "TW_ID_CARD")
ALWAYS_SENSITIVE = ("BANK_CARD_NUMBER", "FINANCIAL_ACCOUNT_INFO", "BIOMETRIC", "HEALTH_INFO",
                    "RELIGION", "GPS_COORDINATE", "CREDENTIAL")


def write_pack(root: Path, name: str = "mine", *, pack: dict[str, Any] | None = None,
               taxonomy: Any = None, grading: Any = None, text: dict[str, str] | None = None
               ) -> Path:
    """A pack directory under ``root``; extends general unless ``pack`` says otherwise."""
    directory = root / name
    directory.mkdir(parents=True, exist_ok=True)
    files = {"pack.yaml": pack if pack is not None else
             {"name": name, "title": "My pack", "extends": "general"},
             "taxonomy.yaml": taxonomy, "grading.yaml": grading}
    for file, data in files.items():
        if data is not None:
            (directory / file).write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    for file, content in (text or {}).items():
        (directory / file).write_text(content, "utf-8")
    return directory


def rule(**overrides: Any) -> dict[str, Any]:
    base = {"id": "MY-1", "when": {"has_pi": True}, "level": "general-4",
            "citations": ["My policy 1.2"]}
    return {**base, **overrides}


# -- shipped packs ------------------------------------------------------------------------------


def test_list_packs_names_the_shipped_packs() -> None:
    assert set(SHIPPED) <= set(list_packs())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_pack_validates_and_covers_every_info_type(name: str) -> None:
    assert validate_pack_dir(PACKS_DIR / name) == []
    pack = load_pack(name)
    assert pack.name == name
    assert set(pack.info_types) == set(INFO_TYPES)
    ranks = [level.rank for level in pack.levels.values()]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    assert all(level.citation for level in pack.levels.values())
    for r in (*pack.column_rules, *pack.table_rules, pack.default_rule):
        assert r.citations and all(c.strip() for c in r.citations), r.id
        assert not any("{" in c for c in r.citations), r.id  # placeholders were filled in
    assert pack.recognizers_path.name == "recognizers.yaml"


def test_level_ids_follow_the_architecture() -> None:
    general = {lv.id: lv.rank for lv in load_pack("general").levels.values()}
    assert general == {"general-1": 1, "general-2": 2, "general-3": 3, "general-4": 4,
                       "important": 5, "core": 6}
    assert dict(load_pack("automotive").levels) == dict(load_pack("general").levels)
    for sector, scheme in (("financial", "JR/T 0197-2020"), ("healthcare", "GB/T 39725-2020")):
        pack = load_pack(sector)
        assert pack.scheme == scheme
        assert [(lv.id, lv.rank) for lv in pack.levels.values()] == [
            (f"L{i}", i) for i in range(1, 6)]


def _all_citations(name: str) -> list[str]:
    pack = load_pack(name)
    return [*(lv.citation for lv in pack.levels.values()),
            *(c for r in (*pack.column_rules, *pack.table_rules, pack.default_rule)
              for c in r.citations),
            *(n.citation for n in pack.name_rules)]


@pytest.mark.parametrize("name", SHIPPED)
def test_unconfirmed_sources_are_cited_as_such(name: str) -> None:
    # regulations.md: Annex H level mapping and the GB/T 39725-2020 level texts are unconfirmed
    for citation in _all_citations(name):
        if "Annex H" in citation or "39725" in citation:
            assert "verify" in citation, citation
        # the automotive provisions' article number is not confirmed: cite them by name only
        assert "Art. 3(6)" not in citation


@pytest.mark.parametrize("name", SHIPPED)
def test_catalogue_version_switches_the_id_number_sensitive_flag(name: str) -> None:
    default = load_pack(name)
    old = load_pack(name, "gbt35273-2020")
    new = load_pack(name, "tc260-2024")
    assert default.catalogue_version == "gbt35273-2020"
    for tid in ID_DOCUMENTS:
        assert old.info_types[tid].sensitive is True
        assert new.info_types[tid].sensitive is False
    for tid in ALWAYS_SENSITIVE:
        assert old.info_types[tid].sensitive and new.info_types[tid].sensitive, tid
    # the ID-card photo stays sensitive: TC260-PG-20244A lists it
    photo = {r.id: r for r in new.name_rules}["id_card_photo"]
    assert photo.sensitive and photo.citation == "TC260-PG-20244A"
    assert new.catalogue.citation == "TC260-PG-20244A"


def test_identifier_roles_follow_gbt42460() -> None:
    types = load_pack("general").info_types
    assert {t for t, c in types.items() if c.role == "quasi"} >= {
        "GENDER", "DATE_OF_BIRTH", "ETHNICITY"}
    assert {t for t, c in types.items() if c.role == "direct"} >= {
        "PERSON_NAME", "CN_RESIDENT_ID", "CN_MOBILE_PHONE", "EMAIL_ADDRESS", "BANK_CARD_NUMBER",
        "CN_LICENSE_PLATE", "VIN", "ADDRESS", "IP_ADDRESS"}
    assert types["HEALTH_INFO"].role == "sensitive"
    assert types["ORGANIZATION"].role is None and types["CN_USCC"].role is None


def test_unknown_catalogue_version_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="unknown sensitive-PI catalogue version 'gbt-1999'") as e:
        load_pack("general", "gbt-1999")
    assert "gbt35273-2020, tc260-2024" in str(e.value)


def test_unknown_pack_lists_the_shipped_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown pack 'retail'") as e:
        load_pack("retail")
    assert "automotive, financial, general, healthcare" in str(e.value)
    with pytest.raises(ConfigError, match="unknown pack"):
        load_pack(str(tmp_path))  # a directory without pack.yaml


# -- custom packs -------------------------------------------------------------------------------


def test_custom_pack_inherits_and_overrides(tmp_path: Path) -> None:
    directory = write_pack(
        tmp_path,
        taxonomy={"info_types": {"CN_MOBILE_PHONE": {"sensitive": True}}},
        grading={"table_rules": [rule(id="MY-VOL", when={"has_pi": True,
                                                         "individuals_gte": 5000},
                                      level="important")]},
        text={"rules.yaml": "rules: []\n"},
    )
    assert validate_pack_dir(directory) == []
    pack = load_pack(str(directory))
    mobile = pack.info_types["CN_MOBILE_PHONE"]
    assert mobile.sensitive and mobile.category == "personal.contact" and mobile.role == "direct"
    assert pack.scheme == "GB/T 43697-2024" and "general-4" in pack.levels
    assert [r.id for r in pack.table_rules] == ["MY-VOL"]  # table_rules replaced, not appended
    assert [r.id for r in pack.column_rules] == [r.id for r in load_pack("general").column_rules]
    assert pack.recognizers_path == PACKS_DIR / "general" / "recognizers.yaml"
    assert pack.rules_path == directory.resolve() / "rules.yaml"


def test_standalone_pack_needs_every_info_type(tmp_path: Path) -> None:
    directory = tmp_path / "solo"
    directory.mkdir()
    for file in ("taxonomy.yaml", "grading.yaml"):
        shutil.copy(PACKS_DIR / "general" / file, directory / file)
    (directory / "pack.yaml").write_text("name: solo\ntitle: Solo\n", "utf-8")
    (directory / "recognizers.yaml").write_text("recognizers: []\n", "utf-8")
    assert validate_pack_dir(directory) == []
    assert load_pack(directory).recognizers_path == (directory / "recognizers.yaml").resolve()

    taxonomy = yaml.safe_load((directory / "taxonomy.yaml").read_text("utf-8"))
    del taxonomy["info_types"]["VIN"]
    (directory / "taxonomy.yaml").write_text(yaml.safe_dump(taxonomy, allow_unicode=True))
    problems = validate_pack_dir(directory)
    assert len(problems) == 1
    assert "taxonomy.yaml: info_types.VIN: missing" in problems[0]


BROKEN: list[tuple[str, dict[str, Any], str, str, str]] = [
    # (case, write_pack kwargs, file, field, a word of the message / valid choices)
    ("unknown key", {"grading": {"table_rules": [rule(colour="red")]}},
     "grading.yaml", "table_rules[0].colour", "valid: citations, id, level, note, when"),
    ("unknown info type", {"taxonomy": {"info_types": {"PASSPORT_NO": {"sensitive": True}}}},
     "taxonomy.yaml", "info_types.PASSPORT_NO", "CN_PASSPORT"),
    ("unknown info type in a condition",
     {"grading": {"table_rules": [rule(when={"info_type_in": ["SSN"]})]}},
     "grading.yaml", "table_rules[0].when.info_type_in", "unknown info type 'SSN'"),
    ("unknown level", {"grading": {"table_rules": [rule(level="general-9")]}},
     "grading.yaml", "table_rules[0].level", "general-1, general-2, general-3"),
    ("missing citations", {"grading": {"column_rules": [
        {"id": "X", "when": {"pi": True}, "level": "general-3"}]}},
     "grading.yaml", "column_rules[0].citations", "required"),
    ("empty citations", {"grading": {"column_rules": [rule(when={"pi": True}, citations=[])]}},
     "grading.yaml", "column_rules[0].citations", "non-empty list"),
    ("level without citation", {"grading": {"levels": [{"id": "low", "rank": 1,
                                                        "label": "low"}]}},
     "grading.yaml", "levels[0].citation", "required"),
    ("table field in a column rule",
     {"grading": {"column_rules": [rule(when={"individuals_gt": 10})]}},
     "grading.yaml", "column_rules[0].when.individuals_gt", "name_rule_in"),
    ("column field in a table rule",
     {"grading": {"table_rules": [rule(when={"name_rule_in": ["age"]})]}},
     "grading.yaml", "table_rules[0].when.name_rule_in", "individuals_gt"),
    ("count is not a number", {"grading": {"table_rules": [rule(when={"individuals_gt": "lots"})]}},
     "grading.yaml", "table_rules[0].when.individuals_gt", "non-negative integer"),
    ("unknown name rule", {"grading": {"column_rules": [rule(when={"name_rule_in": ["shoe"]})]}},
     "grading.yaml", "column_rules[0].when.name_rule_in", "face_image"),
    ("unknown placeholder", {"grading": {"table_rules": [rule(citations=["{law}"])]}},
     "grading.yaml", "table_rules[0].citations[0]", "{catalogue}"),
    ("bad regular expression", {"taxonomy": {"name_rules": [
        {"id": "x", "pattern": "(", "category": "personal.basic", "sensitive": False,
         "role": "quasi", "citation": "c"}]}},
     "taxonomy.yaml", "name_rules[x].pattern", "bad regular expression"),
    ("unknown category", {"taxonomy": {"info_types": {"VIN": {"category": "car"}}}},
     "taxonomy.yaml", "info_types.VIN.category", "personal.vehicle"),
    ("unknown role", {"taxonomy": {"info_types": {"VIN": {"role": "indirect"}}}},
     "taxonomy.yaml", "info_types.VIN.role", "direct, quasi, sensitive"),
    ("sensitive map misses a catalogue",
     {"taxonomy": {"info_types": {"VIN": {"sensitive": {"gbt35273-2020": True}}}}},
     "taxonomy.yaml", "info_types.VIN.sensitive.tc260-2024", "missing catalogue"),
    ("unknown catalogue in a sensitive map", {"taxonomy": {"info_types": {"VIN": {
        "sensitive": {"gbt35273-2020": True, "tc260-2024": True, "eu-2016": True}}}}},
     "taxonomy.yaml", "info_types.VIN.sensitive.eu-2016", "gbt35273-2020, tc260-2024"),
    ("default catalogue unknown", {"taxonomy": {"default_catalogue": "x"}},
     "taxonomy.yaml", "default_catalogue", "gbt35273-2020, tc260-2024"),
    ("unknown top-level key", {"taxonomy": {"colours": []}},
     "taxonomy.yaml", "colours", "info_types"),
    ("pack without a title", {"pack": {"name": "mine", "extends": "general"}},
     "pack.yaml", "title", "required"),
    ("extends an unknown pack", {"pack": {"name": "mine", "title": "t", "extends": "retail"}},
     "pack.yaml", "extends", "unknown pack 'retail'"),
    ("not YAML", {"grading": None, "text": {"grading.yaml": "levels: [\n"}},
     "grading.yaml", "(file)", "not valid YAML (line"),
]


@pytest.mark.parametrize(("case", "kwargs", "file", "where", "words"), BROKEN,
                         ids=[b[0] for b in BROKEN])
def test_broken_pack_names_file_field_and_choices(tmp_path: Path, case: str,
                                                   kwargs: dict[str, Any], file: str, where: str,
                                                   words: str) -> None:
    directory = write_pack(tmp_path, **kwargs)
    with pytest.raises(ConfigError) as e:
        load_pack(str(directory))
    message = str(e.value)
    assert f"{directory.resolve() / file}: {where}: " in message, message
    assert words in message, message
    problems = validate_pack_dir(directory)
    assert any(f"{file}: {where}: " in p for p in problems), problems


def test_validate_lists_every_problem(tmp_path: Path) -> None:
    directory = write_pack(tmp_path, grading={"table_rules": [
        rule(id="A", level="nope"), rule(id="B", citations=[]), rule(id="C", when={"x": 1})]})
    problems = validate_pack_dir(directory)
    assert len(problems) == 3, problems
    with pytest.raises(ConfigError, match=r"and 2 more: run `fenji packs validate"):
        load_pack(str(directory))


def test_circular_extends_is_reported(tmp_path: Path) -> None:
    write_pack(tmp_path, "a", pack={"name": "a", "title": "A", "extends": "../b"})
    write_pack(tmp_path, "b", pack={"name": "b", "title": "B", "extends": "../a"})
    problems = validate_pack_dir(tmp_path / "a")
    assert any("pack.yaml: extends: circular" in p for p in problems), problems


def test_not_a_pack_directory(tmp_path: Path) -> None:
    assert validate_pack_dir(tmp_path) == [f"{tmp_path}: not a pack directory (no pack.yaml)"]


# -- CLI ----------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_list() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    for name in SHIPPED:
        assert name in result.stdout


def test_cli_show_json_follows_the_catalogue_version() -> None:
    def sensitive_id(*args: str) -> bool:
        result = runner.invoke(app, ["show", "general", "--format", "json", *args])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        row = {t["type"]: t for t in data["info_types"]}["CN_RESIDENT_ID"]
        assert row["category"] == "personal.identity" and row["role"] == "direct"
        return bool(row["sensitive"])

    assert sensitive_id() is True
    assert sensitive_id("--catalogue-version", "tc260-2024") is False


def test_cli_show_table() -> None:
    result = runner.invoke(app, ["show", "automotive"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "CN_RESIDENT_ID" in result.stdout and "AUTO-VOLUME" in result.stdout
    assert "Several Provisions on Automotive Data Security Management" in result.stdout


@pytest.mark.parametrize("args", [["show", "retail"],
                                  ["show", "general", "--catalogue-version", "x"]])
def test_cli_show_bad_input_exits_2_without_traceback(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "valid:" in result.stderr and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_cli_validate(tmp_path: Path) -> None:
    good = write_pack(tmp_path, "good")
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0 and "ok" in result.stdout
    bad = write_pack(tmp_path, "bad", grading={"table_rules": [rule(level="nope")]})
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "table_rules[0].level" in result.stderr and result.stdout == ""
