"""The probe's flags: whole-cell and text modes, and probing only some columns' text."""

from __future__ import annotations

import polars as pl

from fenji.detect.probe import probe_flags, probe_positions
from fenji.detect.recognizer import general_recognizers

RS = general_recognizers()

TEXTS = pl.DataFrame(
    {
        "手机": ["13800138000", "139 0013 9000", None],
        "备注": ["请致电 13800138000 联系张先生", "身份证 11010519491231002X 已核验", "无"],
        "编号": ["A-001", "A-002", "A-003"],
    }
)


def _modes(flags: frozenset[tuple[str, str]], mode: str) -> set[str]:
    return {rid for rid, m in flags if m == mode}


def test_whole_cells_and_text_inside_cells_are_flagged_separately() -> None:
    flags = probe_flags(TEXTS, RS)
    assert "cn_mobile" in _modes(flags["手机"], "cell")
    assert "cn_mobile" in _modes(flags["手机"], "hinted")  # no hint-only patterns: implied
    assert {"cn_mobile", "cn_ric"} <= _modes(flags["备注"], "text")
    assert not _modes(flags["备注"], "cell") & {"cn_mobile", "cn_ric"}
    assert not flags["编号"] & {("cn_mobile", "cell"), ("cn_mobile", "text")}


def test_text_search_only_in_the_named_columns() -> None:
    every = probe_flags(TEXTS, RS)
    only = probe_flags(TEXTS, RS, text_columns={"备注"})
    assert only["备注"] == every["备注"]
    assert _modes(only["手机"], "text") == set() != _modes(every["手机"], "text")
    assert {f for f in every["手机"] if f[1] != "text"} == only["手机"]


def test_text_only_probe_gives_the_text_flags_alone() -> None:
    every = probe_flags(TEXTS, RS)
    text = probe_flags(TEXTS, RS, cell=False)
    assert all(mode == "text" for f in text.values() for _, mode in f)
    assert {c: {f for f in v if f[1] == "text"} for c, v in every.items()} == text


def test_empty_columns_and_frames_have_no_flags() -> None:
    empty = pl.DataFrame({"a": pl.Series([None, None], dtype=pl.String)})
    assert probe_flags(empty, RS) == {"a": frozenset()}
    assert probe_flags(TEXTS.clear(), RS) == {c: frozenset() for c in TEXTS.columns}


def test_probe_positions_are_evenly_spaced_over_the_table() -> None:
    assert probe_positions(10, 100) is None
    positions = probe_positions(1_000_000, 2000)
    assert positions is not None and len(positions) == 2000
    assert positions[0] == 0 and positions[-1] == 999_999


def test_repeated_and_null_probe_rows_change_no_flag() -> None:
    # Each column is probed over its distinct values: a column of one repeated value and a
    # column of many values give the flags they give alone.
    repeated = pl.concat([TEXTS] * 50).with_columns(
        pl.Series("性别", (["男", "女"] * 75), dtype=pl.String)
    )
    alone = {c: probe_flags(repeated.select(c), RS)[c] for c in repeated.columns}
    assert probe_flags(repeated, RS) == alone
    assert probe_flags(TEXTS, RS) == {c: alone[c] for c in TEXTS.columns}
