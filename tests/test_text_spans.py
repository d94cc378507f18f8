"""Pattern spans in prose: CJK-safe boundaries, validators, context words, overlaps."""

from __future__ import annotations

import polars as pl
import pytest

from fenji.ids import cn_ric, hk_id
from fenji.text.find import find_spans
from fenji.text.overlap import clusters, resolve
from fenji.text.spans import find_pattern_spans, lines_frame

RIC = "11010519491231002X"


def spans(text: str) -> list[tuple[str, str]]:
    """(type, exact text at the offsets) of every span found without the segmenter."""
    found = find_pattern_spans(text)
    return [(t, text[s:e]) for t, s, e in found.select("type", "start", "end").iter_rows()]


def luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str(-total % 10)


def test_chinese_characters_right_against_an_identifier_are_a_boundary() -> None:
    assert spans(f"身份证号{RIC}已核验") == [("CN_RESIDENT_ID", RIC)]
    assert spans("手机13800138000联系") == [("CN_MOBILE_PHONE", "13800138000")]


def test_ascii_letters_or_digits_right_against_an_identifier_are_not_a_boundary() -> None:
    assert spans(f"编号{RIC}1") == []
    assert spans("a13800138000") == []
    assert spans(f"ID{RIC}") == []


def test_full_width_digits_match_and_offsets_point_into_the_original_text() -> None:
    text = "请拨打１３８ ００１３ ８０００，谢谢"
    assert spans(text) == [("CN_MOBILE_PHONE", "１３８ ００１３ ８０００")]


def test_masked_values_and_failed_checksums_are_not_findings() -> None:
    bad = RIC[:-1] + ("0" if RIC[-1] != "0" else "1")
    assert spans(f"手机138****8000，身份证110***********002X，证件{bad}") == []


def test_separators_and_country_codes_stay_inside_the_span() -> None:
    text = "联系电话+86 138-0013-8000或010-62345678转123"
    assert spans(text) == [
        ("CN_MOBILE_PHONE", "+86 138-0013-8000"),
        ("CN_LANDLINE_PHONE", "010-62345678转123"),
    ]


def test_offsets_are_right_on_every_line_with_crlf_endings() -> None:
    text = "第一行\r\n手机13800138000\r\n\r\n邮箱zhang.wei@example.com\n"
    found = find_pattern_spans(text)
    for _t, s, e, value in found.select("type", "start", "end", "value").iter_rows():
        assert text[s:e] == value
    assert found.height == 2


def test_a_phone_inside_an_email_address_is_not_a_phone() -> None:
    assert spans("发至13800138000@163.com即可") == [("EMAIL_ADDRESS", "13800138000@163.com")]


def test_a_negative_word_right_before_a_luhn_valid_number_suppresses_the_card() -> None:
    number = luhn_complete("620000000012345678")
    assert spans(f"银行卡号{number}") == [("BANK_CARD_NUMBER", number)]
    assert spans(f"订单号{number}") == []
    assert spans(f"退回尾号1234的银行卡，流水号{number}") == []


def test_context_decides_between_types_sharing_a_span() -> None:
    # A passport number (E, a letter, seven digits) that is also a valid Hong Kong ID.
    value = next(
        b + c
        for b in (f"EQ{n:06d}" for n in range(435800, 436000))
        if (c := hk_id.calc_check_digit(b)).isdigit()
    )
    assert spans(f"护照号码{value}") == [("CN_PASSPORT", value)]
    assert spans(f"香港身份证{value}") == [("HK_ID_CARD", value)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("QQ：12345678，晚上聊", [("QQ_NUMBER", "12345678")]),
        ("编号12345678，晚上聊", []),
        ("合同编号HT-2024-211322，QQ联系", []),
        ("出生日期：1990年10月20日，籍贯", [("DATE_OF_BIRTH", "1990年10月20日")]),
        ("会议定于2024年3月15日召开", []),
        ("微信号 zhangwei_88 加我", [("WECHAT_ID", "zhangwei_88")]),
        ("台胞证号码12345678已登记", [("CN_HMT_PERMIT", "12345678")]),
    ],
)
def test_column_name_led_types_count_in_prose_only_beside_a_context_word(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert spans(text) == expected


def test_a_birth_date_inside_an_id_number_is_the_id() -> None:
    assert spans(f"生日见身份证{RIC}") == [("CN_RESIDENT_ID", RIC)]


def test_every_pattern_type_in_one_line() -> None:
    legacy = "110105491231002"  # the 15-digit form: YYMMDD, no check digit
    text = (
        f"证件{cn_ric.compact(RIC)} 旧证{legacy} IP 192.168.1.20 MAC 00:1A:2B:3C:4D:5E "
        "坐标39.904200,116.407400 车牌粤B12345 邮箱a.b@example.cn"
    )
    types = [t for t, _ in spans(text)]
    assert types == [
        "CN_RESIDENT_ID", "CN_RESIDENT_ID", "IP_ADDRESS", "MAC_ADDRESS", "GPS_COORDINATE",
        "CN_LICENSE_PLATE", "EMAIL_ADDRESS",
    ]  # fmt: skip


def test_lines_frame_keeps_offsets_and_folds_full_width() -> None:
    lines = lines_frame("ａｂ\n\nc１")
    assert lines["off"].to_list() == [0, 3, 4]
    assert lines["line"].to_list() == ["ab", "", "c1"]


def test_overlap_resolution_prefers_longer_then_context_then_score() -> None:
    frame = pl.DataFrame(
        {
            "type": ["A", "B", "C", "D", "E"],
            "start": [0, 2, 20, 20, 40],
            "end": [18, 13, 29, 29, 45],
            "score": [0.6, 0.9, 0.9, 0.5, 0.7],
            "detector": ["a", "b", "c", "d", "e"],
            "ctx": [False, True, False, True, False],
            "value": ["x"] * 5,
        }
    )
    assert resolve(frame)["type"].to_list() == ["A", "D", "E"]


def test_clusters_group_spans_sharing_a_character() -> None:
    import numpy as np

    ids = clusters(np.array([0, 5, 10, 12, 30]), np.array([6, 9, 11, 20, 31]))
    assert ids.tolist() == [0, 0, 1, 2, 3]  # [10, 11) and [12, 20) do not overlap


def test_names_off_finds_no_names_or_addresses() -> None:
    text = "联系人：王芳，手机13800138000，住址：浙江省杭州市西湖区文三路478号"
    assert find_spans(text, names=False)["type"].to_list() == ["CN_MOBILE_PHONE"]
