"""Streamed full-column scans (``--sample all``) equal the in-memory classifier on the whole table.

``fenji.detect.counts`` splits ``classify_frame`` into mergeable counts and a verdict; these tests
count tables in many small batches (so probe rows, guesses and second passes all happen) and
compare with ``classify_frame`` / an in-memory scan of every row.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from stdnum import luhn

from fenji import stream, stream_batches
from fenji.detect import counts_parts
from fenji.detect.column import classify_frame, verdict_from_counts
from fenji.detect.counts import (
    base_plan,
    column_text,
    count_evidence,
    merge_evidence,
    merge_stats,
    plan_column,
    prepare,
)
from fenji.detect.counts_parts import Distinct, merge_distinct
from fenji.detect.probe import probe_flags
from fenji.detect.recognizer import general_recognizers
from fenji.errors import SourceError
from fenji.ids import cn_ric
from fenji.scan import ScanOptions, scan
from fenji.sources import TableReader
from fenji.sources.discover import open_sources
from fenji.sources.tabular import LazyTable
from fenji.stream import count_table
from fenji.synth import make_tables

KEY = bytes(range(32))
RS = general_recognizers()


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return make_tables(rows=2600, seed=11)


def _batches(df: pl.DataFrame, sizes: list[int]) -> Iterator[pl.DataFrame]:
    start = 0
    for size in sizes:
        yield df.slice(start, size)
        start += size
    if start < df.height:
        yield df.slice(start)


def _no_second_pass(columns: list[str]) -> Iterator[pl.DataFrame]:
    raise AssertionError(f"unexpected second pass over {columns}")


def _mobiles(n: int, rng: np.random.Generator) -> list[str]:
    return [f"13{d:09d}" for d in rng.integers(0, 10**9, n)]


def _ids(n: int, rng: np.random.Generator) -> list[str]:
    out = []
    for i in range(n):
        body = f"1101051{rng.integers(960, 999)}{rng.integers(1, 13):02d}{rng.integers(1, 28):02d}"
        body = body[:14] + f"{i % 1000:03d}"
        out.append(body + cn_ric.calc_check_digit(body))
    return out


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("table", ["customers", "orders", "vehicle_telemetry"])
def test_streamed_scan_equals_in_memory_scan(
    tables: dict[str, pl.DataFrame], tmp_path: Path, table: str, fmt: str
) -> None:
    df = tables[table]
    path = tmp_path / f"{table}.{fmt}"
    df.write_csv(path) if fmt == "csv" else df.write_parquet(path)
    streamed = scan([str(path)], ScanOptions(sample=None, batch_rows=700), key=KEY)
    # every row in one frame (the individuals pass streams in the same batches)
    in_memory = scan([str(path)], ScanOptions(sample=10**9, batch_rows=700), key=KEY)
    (a,), (b,) = streamed.sources[0].tables, in_memory.sources[0].tables
    assert a.rows_sampled == b.rows_sampled == df.height
    assert a.columns == b.columns
    assert a.individuals == b.individuals and a.grade == b.grade
    assert any(c.info_types for c in a.columns)  # the comparison is not of empty findings


@pytest.mark.parametrize("sizes", [[1], [999, 1], [137] * 19, [2000, 5, 5]])
def test_counts_merged_in_any_batches_give_the_whole_frame_verdict(
    tables: dict[str, pl.DataFrame], sizes: list[int]
) -> None:
    df = tables["customers"]
    counted = count_table(_batches(df, sizes), df.height, RS, again=lambda cols: iter([df]))
    assert counted.verdict(RS) == classify_frame(df, RS)


def test_evidence_merges_the_same_in_any_order(tables: dict[str, pl.DataFrame]) -> None:
    df = tables["orders"]
    rng = np.random.default_rng(0)
    for c in ("收货电话", "备注", "收货人"):
        base = base_plan(c, df[c].dtype, RS)
        text = column_text(df[c], base)
        flags = probe_flags(text.to_frame(), RS)[c]
        whole = prepare(df[c], text, RS)
        plan = plan_column(base, flags, whole.stats.free_text(RS), RS)
        cuts = np.sort(rng.choice(np.arange(1, df.height), 6, replace=False))
        parts = [
            count_evidence(prepare(p, column_text(p, base), RS), plan, RS)
            for p in np.split(df[c].to_numpy(), cuts)
            for p in [pl.Series(c, p, dtype=df[c].dtype)]
        ]
        merged = merge_evidence(parts[::-1])
        assert merged == count_evidence(whole, plan, RS) == merge_evidence(parts)


def test_first_batch_missing_a_type_triggers_a_second_pass_over_that_column() -> None:
    rng = np.random.default_rng(1)
    words = [f"item{i}" for i in range(1000)]
    df = pl.DataFrame({"code": words + _mobiles(5000, rng), "n": list(range(6000))})
    passes: list[list[str]] = []

    def again(columns: list[str]) -> Iterator[pl.DataFrame]:
        passes.append(columns)
        return iter([df.select(columns)])

    counted = count_table(_batches(df, [1000] * 6), df.height, RS, again=again)
    assert passes == [["code"]]  # only the column whose guess was too narrow
    assert counted.verdict(RS) == classify_frame(df, RS)
    assert {h.type for h in counted.verdict(RS)["code"]} == {"CN_MOBILE_PHONE"}


def test_free_text_found_late_is_counted_again() -> None:
    rng = np.random.default_rng(2)
    ids = _ids(2500, rng)
    prose = [f"客户来电，身份证号 {i}，请尽快核实并回访。" for i in ids]
    df = pl.DataFrame({"备注": ["无"] * 1500 + prose})
    passes: list[list[str]] = []

    def again(columns: list[str]) -> Iterator[pl.DataFrame]:
        passes.append(columns)
        return iter([df])

    counted = count_table(_batches(df, [1500, 1000, 1500]), df.height, RS, again=again)
    whole = classify_frame(df, RS)
    assert passes == [["备注"]]
    assert counted.verdict(RS) == whole
    assert [h.type for h in whole["备注"]] == ["CN_RESIDENT_ID"]


def test_text_flags_of_a_free_text_column_come_from_every_probe_not_a_last_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(4)
    remarks = [f"客户来电，手机 {m}，请尽快核实并回访。" for m in _mobiles(6000, rng)]
    df = pl.DataFrame({"备注": remarks, "编号": [f"A{i:05d}" for i in range(6000)]})
    calls: list[tuple[list[str], bool]] = []

    def recorded(texts: pl.DataFrame, rs: object, text_columns: object = None,
                 cell: bool = True) -> object:
        calls.append((sorted(text_columns or ()) if text_columns is not None else ["*"], cell))
        return probe_flags(texts, RS, text_columns, cell)  # type: ignore[arg-type]

    monkeypatch.setattr(stream, "probe_flags", recorded)
    counted = count_table(_batches(df, [2000, 2000]), df.height, RS, again=_no_second_pass)
    assert counted.verdict(RS) == classify_frame(df, RS)
    # Searched as text in the first batch and in every later probe; none at the end.
    assert ["备注"] in [columns for columns, _ in calls[1:]]
    assert all(cell for _, cell in calls[2:]), calls


def test_a_single_batch_needs_no_second_pass(tables: dict[str, pl.DataFrame]) -> None:
    df = tables["orders"]
    counted = count_table(iter([df]), df.height, RS, again=_no_second_pass)
    assert counted.verdict(RS) == classify_frame(df, RS)


def test_wider_counts_cut_down_to_the_final_plan_give_the_same_verdict(
    tables: dict[str, pl.DataFrame],
) -> None:
    df = tables["customers"].select("身份证号", "手机号")
    every = frozenset((r.id, m) for r in RS.recognizers for m in ("cell", "hinted", "text"))
    stats, wide, exact = {}, {}, {}
    for c in df.columns:
        base = base_plan(c, df[c].dtype, RS)
        prep = prepare(df[c], column_text(df[c], base), RS)
        stats[c] = prep.stats
        wide[c] = count_evidence(prep, plan_column(base, every, True, RS), RS)
        flags = probe_flags(column_text(df[c], base).to_frame(), RS)[c]
        exact[c] = plan_column(base, flags, prep.stats.free_text(RS), RS)
    assert len(wide["身份证号"].plan.cell) > len(exact["身份证号"].cell)
    assert verdict_from_counts(stats, wide, RS, exact) == classify_frame(df, RS)


def test_statistics_add_up() -> None:
    df = pl.Series("v", ["a b c d e f", "", None, "  ", "1234567", "汉字汉字汉字"])
    base = base_plan("v", df.dtype, RS)
    whole = prepare(df, column_text(df, base), RS).stats
    halves = [prepare(p, column_text(p, base), RS).stats for p in (df[:3], df[3:])]
    assert merge_stats(halves) == whole
    assert (whole.filled, whole.non_empty, whole.prose) == (3, 3, 2)
    assert whole.chars == len("a b c d e f") + 7 + 6


def test_distinct_counts_are_exact_below_the_cap_and_estimated_above(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = np.arange(0, 3000, dtype=np.uint64)
    b = np.arange(2000, 5000, dtype=np.uint64)
    assert merge_distinct([Distinct(hashes=a), Distinct(hashes=b)]).count() == 5000
    monkeypatch.setattr(counts_parts, "EXACT_DISTINCT_CAP", 1000)
    spread = np.random.default_rng(3).integers(0, 2**63, 5000).astype(np.uint64)
    sketched = merge_distinct([Distinct(hashes=np.unique(spread[:3000])), Distinct(hashes=spread)])
    assert sketched.hashes is None and abs(sketched.count() - 5000) < 5000 * 0.05


def test_full_scans_never_read_a_whole_table_into_memory(
    tables: dict[str, pl.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "customers.csv"
    tables["customers"].write_csv(path)
    original = LazyTable.sample

    def sample(self: LazyTable, n: int | None, seed: int) -> pl.DataFrame:
        assert n is not None, "a --sample all scan asked for the whole table"
        return original(self, n, seed)

    monkeypatch.setattr(LazyTable, "sample", sample)
    result = scan([str(path)], ScanOptions(sample=None, batch_rows=500), key=KEY)
    (table,) = result.sources[0].tables
    assert table.rows_sampled == 2600
    assert {h.type for c in table.columns for h in c.info_types} >= {"CN_RESIDENT_ID"}


def test_luhn_reference_still_agrees_for_cards_found_by_streaming(
    tables: dict[str, pl.DataFrame],
) -> None:
    df = tables["customers"].select("银行卡号")
    counted = count_table(_batches(df, [400] * 7), df.height, RS, again=_no_second_pass)
    (hit,) = counted.verdict(RS)["银行卡号"]
    digits = [re.sub(r"\D", "", v) for v in df["银行卡号"].drop_nulls().to_list()]
    valid = sum(16 <= len(d) <= 19 and luhn.is_valid(d) for d in digits)
    assert hit.type == "BANK_CARD_NUMBER" and dict(hit.evidence)["checksum_valid"] == valid


@pytest.mark.parametrize("body", ["", "张三,13800138000\n"])
def test_empty_and_one_row_tables_stream_like_they_load(tmp_path: Path, body: str) -> None:
    path = tmp_path / "people.csv"
    path.write_text("姓名,手机号\n" + body, encoding="utf-8")
    streamed = scan([str(path)], ScanOptions(sample=None), key=KEY)
    in_memory = scan([str(path)], ScanOptions(sample=10**6), key=KEY)
    (a,), (b,) = streamed.sources[0].tables, in_memory.sources[0].tables
    assert a == b and [c.name for c in a.columns] == ["姓名", "手机号"]


def test_batches_hold_about_the_same_bytes_whatever_the_row_width(tmp_path: Path) -> None:
    narrow, wide = tmp_path / "narrow.csv", tmp_path / "wide.csv"
    pl.DataFrame({"a": ["x" * 8] * 2000}).write_csv(narrow)
    pl.DataFrame({f"c{i}": ["y" * 200] * 2000 for i in range(50)}).write_csv(wide)
    rows = {p.name: stream_batches.stream_batch_rows(_table(p)) for p in (narrow, wide)}
    assert rows["narrow.csv"] == stream_batches.STREAM_BATCH_ROWS  # 9 bytes a row: the row cap
    per_row = 50 * 201  # 50 cells of 200 characters and their separators
    assert rows["wide.csv"] == pytest.approx(stream_batches.STREAM_BATCH_BYTES / per_row, rel=0.01)


def test_batches_of_tables_of_unknown_row_size_stay_small(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as con:
        con.execute("create table t (a text)")
    # A Parquet footer's sizes are after dictionary encoding: no guide to the rows in memory.
    pl.DataFrame({"a": ["y" * 200] * 2000}).write_parquet(tmp_path / "t.parquet")
    for path in (db, tmp_path / "t.parquet"):
        reader = _table(path)
        assert reader.bytes_per_row() is None
        rows = stream_batches.stream_batch_rows(reader)
        assert rows == stream_batches.STREAM_UNSIZED_ROWS < stream_batches.STREAM_BATCH_ROWS


def _table(path: Path) -> TableReader:
    (source,) = open_sources([str(path)])
    assert not isinstance(source, SourceError)
    (reader,) = source.tables()
    return reader
