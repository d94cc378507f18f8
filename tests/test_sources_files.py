"""File sources: every supported type, encodings, sampling, batching; files are never modified."""

from __future__ import annotations

import gc
import hashlib
import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from fenji.errors import SourceError
from fenji.sources import MAX_CELL_CHARS, Source, TableReader, delimited, open_sources

HEADER_CN = ["姓名", "身份证号", "手机号", "地址"]
ROWS_CN = [
    ["张三", "110101199003074514", "013800138000", "北京市朝阳区建国路1号"],
    ["李四", "11010119900307451X", "13900139000", "上海市浦东新区世纪大道2号"],
    ["王五", "440301198501011234", "13700137000", "广州市天河区体育西路3号"],
]


def only_source(target: Path | str) -> Source:
    found = list(open_sources([str(target)]))
    assert len(found) == 1, found
    assert not isinstance(found[0], SourceError), found[0]
    return found[0]


def only_table(target: Path | str) -> TableReader:
    tables = list(only_source(target).tables())
    assert len(tables) == 1, tables
    assert isinstance(tables[0], TableReader), tables[0]
    return tables[0]


def csv_text(rows: list[list[str]], sep: str = ",") -> str:
    return "".join(sep.join(r) + "\n" for r in rows)


def test_gbk_csv_with_chinese_headers(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(csv_text([HEADER_CN, *ROWS_CN]).encode("gbk"))
    source = only_source(path)
    assert (source.kind, source.encoding) == ("csv", "gb18030")
    table = only_table(path)
    assert table.name == "people"
    df = table.sample(None, seed=1)
    assert df.columns == HEADER_CN
    assert df.rows() == [tuple(r) for r in ROWS_CN]
    assert df.get_column("手机号")[0] == "013800138000"  # leading zero kept, text dtype
    assert all(dtype == pl.String for dtype in df.dtypes)


def test_gbk_header_only_file_is_not_taken_for_korean(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes("姓名,电话\n".encode("gbk"))
    assert only_source(path).encoding == "gb18030"
    table = only_table(path)
    assert table.columns() == ["姓名", "电话"]
    assert table.row_count() == (0, True)
    assert table.sample(10, seed=1).shape == (0, 2)


def test_gbk_transcoded_copy_is_removed_with_its_reader(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(csv_text([HEADER_CN, *ROWS_CN]).encode("gbk"))
    table = only_table(path)
    table.row_count()
    copy = table._text.get()  # type: ignore[attr-defined]
    assert copy != path and copy.exists()
    del table
    gc.collect()
    assert not copy.exists()


def test_utf8_bom_semicolon_csv(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + csv_text([["编号", "name"], ["007", "李雷, Li"]], ";")).encode())
    assert only_source(path).encoding == "utf_8_sig"
    df = only_table(path).sample(None, seed=0)
    assert df.columns == ["编号", "name"]  # BOM not glued to the first header
    assert df.rows() == [("007", "李雷, Li")]


def test_delimiter_sniffing_respects_quotes(tmp_path: Path) -> None:
    rows = ["id;addr;note", '001;"Road 1, Block 2";x', '002;"Road 3, Block 4";y']
    path = tmp_path / "semi.csv"
    path.write_text("\n".join(rows) + "\n")
    df = only_table(path).sample(None, seed=0)
    assert df.columns == ["id", "addr", "note"]
    assert df.get_column("addr").to_list() == ["Road 1, Block 2", "Road 3, Block 4"]


@pytest.mark.parametrize("sep", ["|", "\t", ","])
def test_other_delimiters(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text(csv_text([["a", "b", "c"], ["01", "02", "03"], ["04", "05", "06"]], sep))
    assert only_table(path).sample(None, seed=0).rows() == [("01", "02", "03"), ("04", "05", "06")]


def test_tsv(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text(csv_text([["id", "name, full"], ["0012", "Li, Lei"]], "\t"))
    source = only_source(path)
    assert source.kind == "tsv"
    assert only_table(path).sample(None, seed=0).row(0) == ("0012", "Li, Lei")


def test_json_array_values_as_text(tmp_path: Path) -> None:
    records = [
        {"id": "001", "card": 62220202001123456789, "n": 1.5, "addr": {"city": "北京"}},
        {"id": "002", "card": None, "extra": "x"},
    ]
    path = tmp_path / "people.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    table = only_table(path)
    df = table.sample(None, seed=0)
    assert set(df.columns) == {"id", "card", "n", "addr", "extra"}
    assert df.get_column("card")[0] == "62220202001123456789"  # 20 digits, none lost
    assert json.loads(df.get_column("addr")[0]) == {"city": "北京"}
    assert df.get_column("id").to_list() == ["001", "002"]
    assert table.row_count() == (2, True)


def test_jsonl_key_appearing_late_is_a_column(tmp_path: Path) -> None:
    lines = [json.dumps({"id": f"{i:04d}"}) for i in range(2000)]
    lines.append(json.dumps({"id": "9999", "mobile": "13800138000"}))
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    table = only_table(path)
    assert only_source(path).kind == "jsonl"
    assert table.columns() == ["id", "mobile"]
    assert table.row_count() == (2001, True)
    batches = list(table.iter_batches(["mobile"], batch_rows=500))
    assert sum(b.height for b in batches) == 2001
    assert pl.concat(batches).get_column("mobile").drop_nulls().to_list() == ["13800138000"]


def test_parquet_keeps_types_and_skips_binary(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pl.DataFrame(
        {
            "id": ["001", "002"],
            "age": [30, 41],
            "seen": [datetime(2024, 1, 1), datetime(2024, 2, 1)],
            "photo": [b"\x89PNG", b"\xff\xd8"],
        }
    ).write_parquet(path)
    table = only_table(path)
    df = table.sample(None, seed=0)
    assert df.schema == pl.Schema(
        [("id", pl.String()), ("age", pl.Int64()), ("seen", pl.Datetime("us"))]
    )
    assert any("photo" in w and "binary" in w for w in table.warnings)
    assert table.row_count() == (2, True)


def test_xlsx_every_sheet_is_a_table(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    people = wb.add_worksheet("员工")
    people.write_row(0, 0, ["姓名", "手机", "工号"])
    people.write_row(1, 0, ["张三", 13800138000, "00123"])
    people.write_row(2, 0, ["李四", 13900139000, "00456"])
    orders = wb.add_worksheet("orders")
    orders.write_row(0, 0, ["order", "amount"])
    orders.write_row(1, 0, ["A1", 12.5])
    wb.add_worksheet("blank")
    wb.close()
    source = only_source(path)
    assert source.kind == "xlsx"
    tables = [t for t in source.tables() if isinstance(t, TableReader)]
    assert [t.name for t in tables] == ["book:员工", "book:orders"]
    df = tables[0].sample(None, seed=0)
    assert df.get_column("工号").to_list() == ["00123", "00456"]
    assert df.get_column("手机").to_list() == ["13800138000", "13900139000"]
    assert tables[1].row_count() == (1, True)


def big_csv(tmp_path: Path, rows: int = 5000) -> Path:
    path = tmp_path / "big.csv"
    body = "".join(f"{i:08d},name{i}\n" for i in range(rows))
    path.write_text("id,name\n" + body)
    return path


def test_sample_is_deterministic_uniform_and_bounded(tmp_path: Path) -> None:
    table = only_table(big_csv(tmp_path))
    first = table.sample(500, seed=42)
    assert first.height == 500
    assert first.equals(table.sample(500, seed=42))
    assert not first.equals(table.sample(500, seed=43))
    ids = first.get_column("id").cast(pl.Int64).to_numpy()
    assert len(set(ids)) == 500
    assert 2000 < ids.mean() < 3000  # spread over the file, not its head
    assert ids.max() > 4500
    everything = table.sample(None, seed=0)
    assert everything.height == 5000
    assert table.sample(10_000, seed=1).height == 5000
    assert everything.get_column("id")[0] == "00000000"


def test_iter_batches_streams_requested_columns(tmp_path: Path) -> None:
    table = only_table(big_csv(tmp_path))
    batches = list(table.iter_batches(["name"], batch_rows=1000))
    assert len(batches) >= 5
    assert all(b.columns == ["name"] and b.height <= 1000 for b in batches)
    assert pl.concat(batches).get_column("name").to_list() == [f"name{i}" for i in range(5000)]
    with pytest.raises(SourceError, match="no column 'nope'.*id, name"):
        list(table.iter_batches(["nope"]))


def test_enormous_cell_is_truncated_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text("id,blob\n1," + "x" * (MAX_CELL_CHARS + 5000) + "\n2,short\n")
    table = only_table(path)
    df = table.sample(None, seed=0)
    assert df.get_column("blob").str.len_chars().to_list() == [MAX_CELL_CHARS, 5]
    assert any("blob" in w and "truncated" in w for w in table.warnings)
    assert pl.concat(table.iter_batches(["id"])).height == 2


def test_short_rows_are_read_with_empty_fields(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("id,name,phone\n001,a,138\n002\n003,c,\n")
    df = only_table(path).sample(None, seed=0)
    assert df.rows() == [("001", "a", "138"), ("002", None, None), ("003", "c", None)]


def digest(root: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_files_are_never_modified(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(csv_text([HEADER_CN, *ROWS_CN]).encode("gbk"))
    (tmp_path / "b.jsonl").write_text('{"id": "1"}\n')
    (tmp_path / "c.json").write_text('[{"id": "1"}]')
    pl.DataFrame({"id": ["1"]}).write_parquet(tmp_path / "d.parquet")
    before = digest(tmp_path)
    seen = 0
    for source in open_sources([str(tmp_path)]):
        assert isinstance(source, Source)
        for table in source.tables():
            assert isinstance(table, TableReader)
            table.row_count()
            table.sample(1, seed=1)
            list(table.iter_batches(table.columns()))
            seen += 1
        source.close()
    assert seen == 4
    assert digest(tmp_path) == before


def test_utf16_tab_text_from_excel(tmp_path: Path) -> None:
    path = tmp_path / "export.tsv"  # Excel's "Unicode text" export: UTF-16 with BOM, CRLF
    path.write_bytes("姓名\t电话\r\n张三\t013800138000\r\n".encode("utf-16"))
    assert only_source(path).encoding == "utf_16"
    assert only_table(path).sample(None, seed=0).rows() == [("张三", "013800138000")]


def test_stopping_a_batch_stream_early_is_clean(tmp_path: Path) -> None:
    table = only_table(big_csv(tmp_path))
    stream = table.iter_batches(["id"], batch_rows=100)
    assert next(stream).height == 100
    stream.close()
    assert sum(b.height for b in table.iter_batches(["id"], batch_rows=1000)) == 5000


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2\n\n3,4\n\n",  # blank lines are rows of nulls
        'a,b\n"x\ny",2\n3,4\n',  # a quoted line break
        "a,b\r\n1,2\r\n3,4",  # CRLF, no final line break
        "\ufeffa,b\n1,2\n",
        "a,b\n",
    ],
)
def test_streamed_row_count_equals_the_checked_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    fast = only_table(path).streamed_row_count()
    assert fast == only_table(path).row_count()
    assert fast[0] == sum(b.height for b in only_table(path).iter_batches(["a"], 1))
    # Above the size limit the streamed count is the checked pass.
    monkeypatch.setattr(delimited, "FAST_COUNT_BYTES", 0)
    path.write_text(text + "5,6,7\n", encoding="utf-8")
    with pytest.raises(SourceError, match="ragged rows"):
        only_table(path).streamed_row_count()
