"""Recognizer YAML case files (tests/data/recognizers/*.yaml), run by one parametrised runner,
plus validation of recognizers.yaml itself and column-name hints.

A case file names one recognizer and lists, each optional:
  valid / invalid   whole values that must (not) validate as the info type
  hint_only         values valid only when the column name carries a hint
  found / not_found texts and the normalised values found inside them (none)
  normalize / mask  value -> expected canonical / masked form
  columns           small frames and the exact info types classify_frame must assert per column
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from fenji.detect.column import classify_frame
from fenji.detect.column_eval import apply, text_candidates, text_expr
from fenji.detect.hints import column_hint, find_hint, name_words
from fenji.detect.mask import mask_series
from fenji.detect.normalize import normalize, valid_mask
from fenji.detect.recognizer import (
    GENERAL_PACK_FILE,
    INFO_TYPES,
    general_recognizers,
    load_recognizers,
)
from fenji.errors import ConfigError

CASES = Path(__file__).parent / "data" / "recognizers"
KINDS = ("valid", "invalid", "hint_only", "found", "not_found", "normalize", "mask", "columns")


def _case_files() -> list[Path]:
    return sorted(CASES.glob("*.yaml"))


def _cases() -> list[Any]:
    out = []
    for path in _case_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        unknown = set(data) - {"info_type", "recognizer", *KINDS}
        assert not unknown, f"{path.name}: unknown keys {unknown}"
        for kind in KINDS:
            items = data.get(kind) or []
            items = list(items.items()) if isinstance(items, dict) else items
            for i, item in enumerate(items):
                out.append(
                    pytest.param(
                        data["info_type"],
                        data["recognizer"],
                        kind,
                        item,
                        id=f"{path.stem}:{kind}:{i}",
                    )
                )
    return out


@pytest.mark.parametrize(("info_type", "recognizer", "kind", "item"), _cases())
def test_case(info_type: str, recognizer: str, kind: str, item: Any) -> None:
    rs = general_recognizers()
    rec = rs.by_id(recognizer)
    assert rec.info_type == info_type
    if kind in ("valid", "invalid"):
        got = valid_mask(pl.Series([item]), info_type, hinted=False).to_list()
        assert got == [kind == "valid"], f"{item!r} should be {kind}"
    elif kind == "hint_only":
        assert valid_mask(pl.Series([item]), info_type, hinted=True).to_list() == [True]
        assert valid_mask(pl.Series([item]), info_type, hinted=False).to_list() == [False]
    elif kind in ("found", "not_found"):
        assert rec.text, f"{recognizer} does not search free text"
        text = item["text"] if kind == "found" else item
        view = apply(lambda e: text_expr(e, rec), pl.Series([text]))
        expected = item["values"] if kind == "found" else []
        assert text_candidates(view, rec).to_list() == expected
    elif kind == "normalize":
        raw, expected = item
        assert normalize(pl.Series([raw]), info_type).to_list() == [expected]
    elif kind == "mask":
        raw, expected = item
        masked = mask_series(pl.Series([raw]), info_type).to_list()
        assert masked == [expected]
        assert raw not in masked
    else:
        frame = pl.DataFrame(item["frame"])
        got = classify_frame(frame, rs)
        for column, types in item["expect"].items():
            assert sorted(h.type for h in got[column]) == sorted(types), column


def test_every_recognizer_has_a_case_file() -> None:
    ids = {r.id for r in general_recognizers().recognizers}
    files = {p.stem for p in _case_files()}
    assert ids - files == set(), "recognizers without a case file"
    assert files - ids == set(), "case files naming no recognizer"


def test_every_info_type_has_a_recognizer() -> None:
    covered = {r.info_type for r in general_recognizers().recognizers}
    assert covered == set(INFO_TYPES)


def test_text_recognizers_cover_chinese_full_width_and_masked_values() -> None:
    """ARCHITECTURE.md: Chinese right against the match, full-width input, masked negatives."""
    for path in _case_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        rec = general_recognizers().by_id(data["recognizer"])
        if not rec.text:
            continue
        texts = [f["text"] for f in data.get("found", [])]
        assert any(_han_next_to_ascii(t) for t in texts), f"{path.name}: no Chinese beside a match"
        values = [*data.get("valid", []), *texts]
        assert any(_has_full_width(v) for v in values), f"{path.name}: no full-width case"
        negatives = [*data.get("invalid", []), *data.get("not_found", [])]
        assert any("*" in v for v in negatives), f"{path.name}: no masked negative"


def _han_next_to_ascii(text: str) -> bool:
    return any(
        ("\u4e00" <= a <= "\u9fff" and b.isascii() and b.isalnum())
        or ("\u4e00" <= b <= "\u9fff" and a.isascii() and a.isalnum())
        for a, b in zip(text, text[1:], strict=False)
    )


def _has_full_width(text: str) -> bool:
    return any("\uff01" <= ch <= "\uff5e" for ch in text)


# --- recognizers.yaml validation -------------------------------------------------------------

MINIMAL = """
recognizers:
  - id: demo
    info_type: CN_MOBILE_PHONE
    patterns:
      - {id: p, regex: '1[3-9][0-9]{9}', validator: cn_mobile}
"""


def _load(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "recognizers.yaml"
    path.write_text(text, encoding="utf-8")
    return load_recognizers(path)


def test_general_pack_loads_with_real_validators() -> None:
    rs = load_recognizers(GENERAL_PACK_FILE)
    checked = {p.validator for r in rs.recognizers for p in r.patterns if p.validator}
    assert {"cn_ric18", "cn_ric15", "bank_card", "imei", "vin", "cn_uscc"} <= checked
    assert all(p.check is not None for r in rs.recognizers for p in r.patterns if p.validator)


def test_minimal_file_takes_defaults(tmp_path: Path) -> None:
    rs = _load(tmp_path, MINIMAL)
    rec = rs.by_id("demo")
    assert rec.threshold.share == 0.8 and rec.text and not rec.requires_hint
    assert rs.settings.probe_rows == 2000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("info_type: CN_MOBILE_PHONE", "info_type: PHONE"), "unknown info_type 'PHONE'"),
        (("validator: cn_mobile", "validator: nope"), "unknown validator 'nope'"),
        (("regex: '1[3-9][0-9]{9}'", "regex: '(?<=x)1'"), "does not compile"),
        (("    patterns:", "    colour: red\n    patterns:"), "unknown key(s) colour"),
        (("      - {id: p,", "      - {id: p, flavour: 1,"), "unknown key(s) flavour"),
        (("    patterns:", "    compact: squash\n    patterns:"), "unknown compact step"),
        (("    patterns:", "    threshold: {share: 2}\n    patterns:"), "between 0 and 1"),
        (("    patterns:", "    pair_with: ghost\n    patterns:"), "pair_with 'ghost'"),
    ],
)
def test_bad_yaml_names_file_recognizer_and_choices(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, MINIMAL.replace(*change))
    text = str(err.value)
    assert message in text
    assert "recognizers.yaml" in text
    if "unknown" in message and "key" not in message:
        assert "valid" in text  # the valid choices are listed


def test_the_regex_that_does_not_compile_is_named_among_good_ones(tmp_path: Path) -> None:
    # The file's regexes compile in one query; a failure still names the bad one.
    three = MINIMAL.replace(
        "      - {id: p, regex: '1[3-9][0-9]{9}', validator: cn_mobile}",
        "      - {id: p, regex: '1[3-9][0-9]{9}', validator: cn_mobile}\n"
        "      - {id: q, regex: '(?<=x)1'}\n"
        "      - {id: r, regex: '2[0-9]{10}'}",
    )
    with pytest.raises(ConfigError, match=r"recognizer 'demo' pattern 'q'.regex: regex does not"):
        _load(tmp_path, three)
    fixed = _load(tmp_path, three.replace("(?<=x)1", "x1")).by_id("demo")
    assert [p.id for p in fixed.patterns] == ["p", "q", "r"]


def test_unknown_validator_lists_valid_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"recognizer 'demo'.*valid validators: .*cn_ric18"):
        _load(tmp_path, MINIMAL.replace("validator: cn_mobile", "validator: nope"))


def test_duplicate_ids_and_missing_file(tmp_path: Path) -> None:
    twice = MINIMAL + MINIMAL.split("recognizers:\n", 1)[1]
    with pytest.raises(ConfigError, match="duplicate recognizer id"):
        _load(tmp_path, twice)
    with pytest.raises(ConfigError, match="cannot read"):
        load_recognizers(tmp_path / "missing.yaml")


# --- column-name hints -----------------------------------------------------------------------


def test_name_words_split_camel_case_separators_and_full_width() -> None:
    assert name_words("customerIdCard") == ("customer", "id", "card")
    assert name_words("ID Card No") == ("id", "card", "no")
    assert name_words("手机号（ＳＪＨＭ）") == ("sjhm",)


@pytest.mark.parametrize(
    ("column", "hints", "expected"),
    [
        ("kh_sfzh", ("sfzh",), "sfzh"),
        ("id_card_no", ("idcard",), "idcard"),
        ("客户身份证号码", ("身份证",), "身份证"),
        ("xml_path", ("xm",), None),
        ("userIdCard", ("id_card",), "id_card"),
        ("identifier", ("id",), None),
    ],
)
def test_find_hint(column: str, hints: tuple[str, ...], expected: str | None) -> None:
    assert find_hint(column, hints) == expected


def test_vetoes_cancel_hints() -> None:
    assert column_hint("product_name", ("name",), ("product",), ()) is None
    assert column_hint("password_updated_at", ("password",), (), ("updated",)) is None
    assert column_hint("手机号状态", ("手机",), (), ("状态",)) is None
    assert column_hint("contact_name", ("name",), ("product",), ("count",)) == "name"
