"""ScanResult fixtures shared by the report tests (built directly: the scanner is separate).

The fixture mixes what real scans hold: Chinese names, a database with estimated row counts, a
prose document, an unreadable source, and a hostile column name. ``RAW_VALUES`` are the values the
masked samples stand for; no report may ever contain them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fenji.model import (
    ColumnProfile,
    DocumentProfile,
    Grade,
    Individuals,
    InfoTypeHit,
    ScanResult,
    SourceProfile,
    TableProfile,
    TextFinding,
)

HOSTILE = "<script>alert(1)</script>"
RAW_VALUES = ("110101199003074514", "13800138000", "6222021234567890128", "张三丰", "alice@corp.cn")
CITE_G4 = "GB/T 43697-2024 Annex H (verify)"
SCHEME = "GB/T 43697-2024"


def g(level: str, rank: int, *cites: str) -> Grade:
    return Grade(scheme=SCHEME, level=level, rank=rank, citations=cites, rule=f"R-{level}")


def people_table() -> TableProfile:
    cols = (
        ColumnProfile(
            name="身份证号", dtype="String", non_empty=1000,
            info_types=(InfoTypeHit("CN_RESIDENT_ID", 0.99123, 991, 1000, "cn_resident_id",
                                    (("name_hint", "sfzh"), ("checksum_valid", 991),
                                     ("ratio", 0.991234567))),),
            category="personal.identity", sensitive=True, role="direct",
            grade=g("general-4", 4, CITE_G4, "PIPL Art. 28"),
            samples=("110***********4514", "320***********1234"),
        ),
        ColumnProfile(
            name="手机号", dtype="String", non_empty=998,
            info_types=(InfoTypeHit("CN_MOBILE_PHONE", 0.97, 970, 998, "cn_mobile"),),
            category="personal.contact", sensitive=False, role="direct",
            grade=g("general-3", 3, "GB/T 43697-2024"), samples=("138****8000",),
        ),
        ColumnProfile(
            name="姓名", dtype="String", non_empty=1000,
            info_types=(InfoTypeHit("PERSON_NAME", 0.9, 900, 1000, "cn_name"),),
            category="personal.identity", role="direct", grade=g("general-3", 3),
            samples=("张**",),
        ),
        ColumnProfile(
            name=HOSTILE, dtype="String", non_empty=10,
            info_types=(InfoTypeHit("EMAIL_ADDRESS", 0.8, 8, 10, "email"),),
            category="personal.contact", grade=g("general-3", 3), samples=("a****@corp.cn",),
        ),
        ColumnProfile(name="备注", dtype="String", non_empty=500),
    )
    return TableProfile(
        name="people", rows=3000, rows_exact=True, rows_sampled=1000, columns=cols,
        individuals=Individuals(estimate=2987, key="CN_RESIDENT_ID", column="身份证号",
                                sketch=b"\x00sketch", minors_under_14=12),
        grade=g("general-4", 4, CITE_G4),
    )


def customers_table() -> TableProfile:
    cols = (
        ColumnProfile(
            name="bank_card", dtype="VARCHAR", non_empty=1000,
            info_types=(InfoTypeHit("BANK_CARD_NUMBER", 1.0, 1000, 1000, "bank_card"),
                        InfoTypeHit("CN_RESIDENT_ID", 0.41, 12, 1000, "cn_resident_id")),
            category="personal.financial", sensitive=True, role="direct",
            grade=g("general-4", 4, CITE_G4), samples=("6222 **** **** 0128",),
        ),
        ColumnProfile(name="created_at", dtype="TIMESTAMP", non_empty=1000),
    )
    return TableProfile(
        name="public.customers", rows=120_000, rows_exact=False, rows_sampled=1000, columns=cols,
        grade=g("general-4", 4, CITE_G4),
        warnings=("row count estimated from database statistics",),
    )


def app_log() -> DocumentProfile:
    return DocumentProfile(
        name="app.log", chars=5000,
        findings=(
            TextFinding("CN_MOBILE_PHONE", 120, 131, 0.95, "138****8000", "cn_mobile"),
            TextFinding("CN_RESIDENT_ID", 300, 318, 0.99, "110***********4514", "cn_resident_id"),
        ),
        grade=g("general-4", 4, CITE_G4),
    )


def make_result(*, complete: bool = True) -> ScanResult:
    """The standard fixture: four sources covering tables, a DB, a document and an error."""
    return ScanResult(
        sources=(
            SourceProfile(uri="data/人员/people.csv", kind="csv", tables=(people_table(),),
                          encoding="gb18030"),
            SourceProfile(uri="postgresql://analyst@db.internal:5432/crm", kind="postgresql",
                          tables=(customers_table(),)),
            SourceProfile(uri="logs/app.log", kind="text", documents=(app_log(),),
                          encoding="utf-8"),
            SourceProfile(uri="broken.xlsx", kind="error",
                          errors=("broken.xlsx: not a valid workbook (bad zip header)",)),
        ),
        pack="general",
        catalogue_version="gbt35273-2020",
        started_at=datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC),
        finished_at=datetime(2025, 3, 1, 9, 0, 42, tzinfo=UTC),
        sample=1000,
        complete=complete,
    )


def test_fixture_samples_are_masked() -> None:
    # Guards the fixture itself: if a sample equalled a raw value, the no-leak tests would lie.
    result = make_result()
    cols = [c for src in result.sources for t in src.tables for c in t.columns]
    samples = [s for c in cols for s in c.samples]
    assert samples and all("*" in s for s in samples)
    assert not any(raw in s for s in samples for raw in RAW_VALUES)
