"""Grading columns and tables under each shipped pack."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from fenji.errors import ConfigError
from fenji.grade import grade_column, grade_table
from fenji.model import ColumnProfile, Individuals, InfoTypeHit
from fenji.packs import Pack, load_pack

PROVISIONS = "Several Provisions on Automotive Data Security Management (Trial)"


def hits(*types: str) -> tuple[InfoTypeHit, ...]:
    return tuple(InfoTypeHit(t, 0.95, 95, 100, f"test.{t.lower()}") for t in types)


def column(name: str, types: Sequence[str], pack: Pack) -> ColumnProfile:
    """A column profile graded the way the scanner grades it."""
    found = hits(*types)
    g = grade_column(found, name, pack)
    return ColumnProfile(name=name, dtype="str", non_empty=100, info_types=found,
                         category=g.category, sensitive=g.sensitive, role=g.role, grade=g.grade)


def level(pack_name: str, types: Sequence[str], name: str = "c", version: str | None = None
          ) -> str | None:
    g = grade_column(hits(*types), name, load_pack(pack_name, version)).grade
    return None if g is None else g.level


def people(n: int | None, minors: int | None = None) -> Individuals | None:
    if n is None:
        return None
    return Individuals(estimate=n, key="CN_RESIDENT_ID", column="id", minors_under_14=minors)


# -- columns: general ---------------------------------------------------------------------------


def test_id_number_is_general_4_under_gbt35273_and_general_3_under_tc260() -> None:
    old = grade_column(hits("CN_RESIDENT_ID"), "身份证号", load_pack("general"))
    assert (old.category, old.sensitive, old.role, old.pi) == (
        "personal.identity", True, "direct", True)
    assert old.grade is not None
    assert (old.grade.scheme, old.grade.level, old.grade.rank) == ("GB/T 43697-2024",
                                                                   "general-4", 4)
    assert old.grade.rule == "GEN-SPI"
    assert {"PIPL Art. 28", "GB/T 35273-2020 Annex B", "GB/T 43697-2024 Annex H (verify)"} <= set(
        old.grade.citations)

    new = grade_column(hits("CN_RESIDENT_ID"), "身份证号", load_pack("general", "tc260-2024"))
    assert new.sensitive is False and new.grade is not None
    assert new.grade.level == "general-3" and "PIPL Art. 28" not in new.grade.citations


@pytest.mark.parametrize(("types", "expected"), [
    (["PERSON_NAME"], "general-3"),
    (["CN_MOBILE_PHONE"], "general-3"),
    (["GENDER"], "general-3"),
    (["BANK_CARD_NUMBER"], "general-4"),
    (["HEALTH_INFO"], "general-4"),
    (["BIOMETRIC"], "general-4"),
    (["GPS_COORDINATE"], "general-4"),
    (["ORGANIZATION"], None),
    (["CN_USCC"], None),
    ([], None),
])
def test_general_levels(types: list[str], expected: str | None) -> None:
    assert level("general", types) == expected


def test_organisation_column_is_classified_but_not_pi() -> None:
    g = grade_column(hits("ORGANIZATION"), "公司名称", load_pack("general"))
    assert (g.category, g.pi, g.sensitive, g.role, g.grade) == (
        "organisation", False, False, None, None)
    empty = grade_column((), "remark", load_pack("general"))
    assert (empty.category, empty.pi, empty.sensitive, empty.role, empty.grade) == (
        None, False, False, None, None)


def test_free_text_column_takes_the_strictest_of_its_types() -> None:
    g = grade_column(hits("PERSON_NAME", "HEALTH_INFO"), "备注", load_pack("general"))
    assert g.category == "personal.basic"  # the best (first) info type names the category
    assert g.sensitive and g.role == "direct"
    assert g.grade is not None and g.grade.level == "general-4"


@pytest.mark.parametrize(("types", "role"), [
    (["HEALTH_INFO", "GENDER"], "quasi"),  # quasi-identifier beats sensitive attribute
    (["GENDER", "CN_MOBILE_PHONE"], "direct"),
    (["CREDENTIAL"], "sensitive"),
])
def test_role_precedence(types: list[str], role: str) -> None:
    assert grade_column(hits(*types), "c", load_pack("general")).role == role


@pytest.mark.parametrize(("name", "rule", "role"), [
    ("身份证照片", "id_card_photo", "direct"),
    ("idCardFront", "id_card_photo", "direct"),
    ("人脸图像", "face_image", "direct"),
    ("face_img", "face_image", "direct"),
    ("userAge", "age", "quasi"),
    ("年龄", "age", "quasi"),
    ("邮编", "postcode", "quasi"),
    ("marital_status", "marital_status", "quasi"),
])
def test_column_names_classify_columns_without_info_types(name: str, rule: str,
                                                          role: str) -> None:
    g = grade_column((), name, load_pack("general", "tc260-2024"))
    assert g.name_rules == (rule,) and g.role == role and g.pi
    assert g.grade is not None


@pytest.mark.parametrize("name", ["page", "usage", "stage", "surface", "face_value", "image",
                                  "order_id", "备注"])
def test_ordinary_column_names_match_no_name_rule(name: str) -> None:
    g = grade_column((), name, load_pack("general"))
    assert g.grade is None and g.name_rules == ()


def test_id_card_photo_stays_sensitive_under_tc260() -> None:
    g = grade_column((), "身份证照片", load_pack("general", "tc260-2024"))
    assert g.sensitive and g.grade is not None and g.grade.level == "general-4"
    assert "TC260-PG-20244A" in g.grade.citations


def test_unknown_info_type_names_the_column() -> None:
    with pytest.raises(ConfigError, match="column 'x': info type 'SHOE_SIZE'"):
        grade_column(hits("SHOE_SIZE"), "x", load_pack("general"))


# -- columns: sector packs ----------------------------------------------------------------------


@pytest.mark.parametrize(("types", "name", "expected", "rule"), [
    (["CREDENTIAL"], "pay_pwd", "L4", "FIN-C3"),
    (["BIOMETRIC"], "fingerprint", "L4", "FIN-C3"),
    ([], "face_img", "L4", "FIN-C3-FACE"),
    (["BANK_CARD_NUMBER"], "card_no", "L3", "FIN-C2"),
    (["FINANCIAL_ACCOUNT_INFO"], "acct", "L3", "FIN-C2"),
    (["CN_RESIDENT_ID"], "sfzh", "L3", "FIN-C2"),
    (["CN_MOBILE_PHONE"], "sjhm", "L3", "FIN-C2"),
    (["ADDRESS"], "dz", "L3", "FIN-C2"),
    (["HEALTH_INFO"], "jkzk", "L3", "FIN-SPI"),
    (["GENDER"], "xb", "L2", "FIN-C1"),
    (["DEVICE_ID"], "device", "L2", "FIN-C1"),
    (["ORGANIZATION"], "branch", None, None),
])
def test_financial_levels(types: list[str], name: str, expected: str | None,
                          rule: str | None) -> None:
    g = grade_column(hits(*types), name, load_pack("financial")).grade
    assert (g.level if g else None, g.rule if g else None) == (expected, rule)
    if g is not None:
        assert g.scheme == "JR/T 0197-2020"
        assert f"JR/T 0197-2020 level {g.level[1]}" in g.citations


def test_financial_id_number_stays_c2_whatever_the_catalogue() -> None:
    # C2 names identity data itself, so the sensitive-PI catalogue does not move it
    assert level("financial", ["CN_RESIDENT_ID"], version="tc260-2024") == "L3"


@pytest.mark.parametrize(("types", "name", "expected"), [
    (["HEALTH_INFO"], "诊断", "L4"),
    (["BIOMETRIC"], "指纹", "L4"),
    (["BANK_CARD_NUMBER"], "card", "L4"),
    (["PERSON_NAME"], "xm", "L3"),
    (["CN_MOBILE_PHONE"], "phone", "L3"),
    (["GENDER"], "xb", "L2"),
    (["DATE_OF_BIRTH"], "csrq", "L2"),
    (["ORGANIZATION"], "医院", None),
])
def test_healthcare_levels(types: list[str], name: str, expected: str | None) -> None:
    g = grade_column(hits(*types), name, load_pack("healthcare")).grade
    assert (g.level if g else None) == expected
    if g is not None:
        assert g.scheme == "GB/T 39725-2020"
        assert any("39725" in c and "verify" in c for c in g.citations)


def test_automotive_whereabouts_and_media_cite_the_provisions() -> None:
    pack = load_pack("automotive")
    gps = grade_column(hits("GPS_COORDINATE"), "lat_lng", pack)
    assert gps.sensitive and gps.grade is not None and gps.grade.level == "general-4"
    assert gps.grade.rule == "AUTO-SPI" and PROVISIONS in gps.grade.citations
    video = grade_column((), "cabin_video", pack)
    assert (video.category, video.sensitive) == ("personal.media", True)
    assert video.grade is not None and video.grade.rule == "AUTO-MEDIA"
    # the general pack has no media rule: the same column name is nothing there
    assert grade_column((), "cabin_video", load_pack("general")).grade is None
    for name in ("车内录音", "dashcam_clip", "photoUrl", "行车记录视频"):
        assert grade_column((), name, pack).name_rules == ("audio_video_image",), name
    for name in ("camera_id", "photo_count", "imageType", "voltage"):
        assert grade_column((), name, pack).grade is None, name


def test_automotive_plate_alone_vs_plate_with_positions() -> None:
    assert level("automotive", ["CN_LICENSE_PLATE"]) == "general-3"
    g = grade_column(hits("CN_LICENSE_PLATE", "GPS_COORDINATE"), "轨迹日志",
                     load_pack("automotive")).grade
    assert g is not None and g.level == "general-4" and PROVISIONS in g.citations


# -- tables -------------------------------------------------------------------------------------


def test_table_takes_the_highest_column() -> None:
    pack = load_pack("general")
    cols = [column("xm", ["PERSON_NAME"], pack), column("sfzh", ["CN_RESIDENT_ID"], pack),
            column("gs", ["ORGANIZATION"], pack)]
    g = grade_table(cols, people(3000), pack)
    assert (g.level, g.rank, g.rule) == ("general-4", 4, "GEN-SPI")
    assert grade_table(cols[:1], people(3000), pack).level == "general-3"


@pytest.mark.parametrize(("pack_name", "level_id", "rule"), [
    ("general", "general-1", "GEN-NONE"),
    ("automotive", "general-1", "GEN-NONE"),
    ("financial", "L1", "FIN-NONE"),
    ("healthcare", "L1", "HC-NONE"),
])
def test_table_without_pi_gets_the_default_level(pack_name: str, level_id: str,
                                                 rule: str) -> None:
    pack = load_pack(pack_name)
    cols = [column("gs", ["ORGANIZATION"], pack), column("amount", [], pack)]
    g = grade_table(cols, None, pack)
    assert (g.level, g.rank, g.rule) == (level_id, 1, rule) and g.citations
    assert grade_table([], None, pack).level == level_id


@pytest.mark.parametrize(("n", "expected"), [
    (None, "general-3"), (99_999, "general-3"), (100_000, "general-3"), (100_001, "important")])
def test_automotive_volume_rule_boundary(n: int | None, expected: str) -> None:
    pack = load_pack("automotive")
    cols = [column("cph", ["CN_LICENSE_PLATE"], pack), column("vin", ["VIN"], pack)]
    g = grade_table(cols, people(n), pack)
    assert g.level == expected
    if expected == "important":
        assert (g.rank, g.rule) == (5, "AUTO-VOLUME")
        assert any(c.startswith(PROVISIONS) and "100,000" in c for c in g.citations)


def test_volume_rule_needs_pi_and_is_automotive_only() -> None:
    auto = load_pack("automotive")
    no_pi = [column("gs", ["ORGANIZATION"], auto)]
    assert grade_table(no_pi, people(5_000_000), auto).level == "general-1"
    general = load_pack("general")
    assert grade_table([column("xm", ["PERSON_NAME"], general)], people(5_000_000),
                       general).level == "general-3"


def test_automotive_trajectory_table_rule() -> None:
    pack = load_pack("automotive", "tc260-2024")
    cols = [column("cph", ["CN_LICENSE_PLATE"], pack), column("lng", ["GPS_COORDINATE"], pack)]
    g = grade_table(cols, people(10), pack)
    assert g.level == "general-4"
    assert g.rule == "AUTO-SPI"  # on a tie the column's own rule is kept


@pytest.mark.parametrize(("pack_name", "minors", "expected"), [
    ("general", None, "general-3"), ("general", 0, "general-3"), ("general", 1, "general-4"),
    ("financial", 2, "L3"), ("healthcare", 2, "L4")])
def test_minors_make_a_table_sensitive(pack_name: str, minors: int | None,
                                       expected: str) -> None:
    pack = load_pack(pack_name)
    cols = [column("xb", ["GENDER"], pack), column("csrq", ["DATE_OF_BIRTH"], pack)]
    g = grade_table(cols, people(500, minors), pack)
    assert g.level == expected
    if minors:
        assert "PIPL Art. 31" in g.citations


def test_table_rejects_grades_from_another_scheme() -> None:
    general = load_pack("general")
    col = column("sfzh", ["CN_RESIDENT_ID"], load_pack("financial"))
    with pytest.raises(ConfigError, match="column 'sfzh' is graded 'L3' under 'JR/T 0197-2020'"):
        grade_table([col], None, general)
