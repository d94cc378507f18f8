"""Documents as scan results: findings, masking, grading, and the report contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fenji.grade import grade_column
from fenji.model import InfoTypeHit, ScanResult
from fenji.packs import load_pack
from fenji.report import to_contract
from fenji.text.documents import (
    DOCUMENT_SUFFIXES,
    document_source,
    grade_document,
    is_document,
    scan_document,
)

RIC = "11010519491231002X"
RAW = ["13800138000", RIC, "zhang.wei@example.com", "王芳", "文三路478号"]


@pytest.fixture()
def doc_path(tmp_path: Path) -> Path:
    path = tmp_path / "工单.txt"
    path.write_text(
        "联系人：王芳，手机13800138000，邮箱zhang.wei@example.com\n"
        f"身份证{RIC}，住址：浙江省杭州市西湖区文三路478号\n",
        encoding="utf-8",
    )
    return path


def test_document_findings_point_into_the_text_and_hold_masked_values(doc_path: Path) -> None:
    text = doc_path.read_text(encoding="utf-8")
    doc = scan_document(doc_path)
    assert doc.name == "工单.txt" and doc.chars == len(text)
    assert [f.type for f in doc.findings] == [
        "PERSON_NAME", "CN_MOBILE_PHONE", "EMAIL_ADDRESS", "CN_RESIDENT_ID", "ADDRESS",
    ]  # fmt: skip
    for f in doc.findings:
        value = text[f.start : f.end]
        assert value in RAW + [RIC, "浙江省杭州市西湖区文三路478号"]
        assert f.masked != value and "*" in f.masked
        assert 0 < f.score <= 1


def test_report_contract_carries_documents_without_raw_values(doc_path: Path) -> None:
    source = document_source(doc_path)
    now = datetime.now(UTC)
    result = ScanResult(sources=(source,), pack="general", catalogue_version="gbt35273-2020",
                        started_at=now, finished_at=now, sample=None)  # fmt: skip
    contract = to_contract(result)
    doc = contract["sources"][0]["documents"][0]
    assert set(doc) >= {"name", "chars", "findings", "grade"}
    assert set(doc["findings"][0]) >= {"type", "start", "end", "score", "masked"}
    dumped = json.dumps(contract, ensure_ascii=False)
    for raw in RAW:
        assert raw not in dumped


def test_document_grade_is_at_least_the_grade_of_a_column_holding_the_same_type() -> None:
    pack = load_pack("general")
    doc = scan_document_text("身份证11010519491231002X")
    column = grade_column(
        [InfoTypeHit("CN_RESIDENT_ID", 0.99, 1, 1, "cn_ric")], "身份证号", pack
    ).grade
    assert doc.grade is not None and column is not None
    assert doc.grade.scheme == column.scheme and doc.grade.rank >= column.rank
    assert doc.grade.citations


def test_a_document_without_pi_gets_the_pack_default() -> None:
    pack = load_pack("general")
    empty = grade_document((), pack)
    assert empty.rule == pack.default_rule.id
    richer = scan_document_text("邮箱zhang.wei@example.com")
    assert richer.grade is not None and richer.grade.rank >= empty.rank


def scan_document_text(text: str):  # type: ignore[no-untyped-def]
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.txt"
        path.write_text(text, encoding="utf-8")
        return scan_document(path)


def test_is_document_by_suffix() -> None:
    assert {".txt", ".md", ".log", ".html", ".docx", ".pdf", ".eml"} <= DOCUMENT_SUFFIXES
    assert is_document("A.PDF") and is_document(Path("x/y.eml"))
    assert not is_document("people.csv") and not is_document("db.sqlite")
