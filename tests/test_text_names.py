"""PERSON_NAME and ADDRESS in running Chinese text (jieba posseg, surnames, cue words)."""

from __future__ import annotations

import pytest

from fenji.errors import ConfigError
from fenji.text.context import general_context, load_context
from fenji.text.find import find_spans
from fenji.text.places import gazetteer, is_place


def found(text: str, info_type: str) -> list[str]:
    spans = find_spans(text)
    return [text[s:e] for t, s, e in spans.select("type", "start", "end").iter_rows()
            if t == info_type]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("联系人：王芳，电话见附件", ["王芳"]),
        ("客户梁鑫来电反映包裹破损", ["梁鑫"]),
        ("请王建国先生到前台办理", ["王建国"]),
        ("甲方：欧阳娜娜，乙方：司马光", ["欧阳娜娜", "司马光"]),
        ("抄送：张伟、李娜和王芳", ["张伟", "李娜", "王芳"]),
        ("此致\n陈静\n", ["陈静"]),
        ("王芳 13800138000 已签收", ["王芳"]),
        ("@李娜 车挡住门口了", ["李娜"]),
        ("香港同事慕容雪梅的香港身份证已登记", ["慕容雪梅"]),
    ],
)
def test_names_beside_cue_words(text: str, names: list[str]) -> None:
    assert found(text, "PERSON_NAME") == names


@pytest.mark.parametrize(
    "text",
    [
        "谢谢您的耐心等待",  # jieba tags 谢谢 as a name
        "学生家长联系方式见表",  # 家长 opens with the surname 家
        "甲方：时空盒数字传媒有限公司",  # a company after a cue word
        "张先生您好，请稍候",  # a surname alone is no name
        "客户称银行卡被盗刷",
        "好的\n收到\n明天见",
    ],
)
def test_words_that_look_like_names_are_not(text: str) -> None:
    assert found(text, "PERSON_NAME") == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("家住浙江省杭州市西湖区文三路478号3栋201室，电话略",
         "浙江省杭州市西湖区文三路478号3栋201室"),
        ("寄到北京市朝阳区建国路88号SOHO现代城2号楼1503室即可",
         "北京市朝阳区建国路88号SOHO现代城2号楼1503室"),
        ("地址：文三路478号华星时代广场A座12楼", "文三路478号华星时代广场A座12楼"),
        ("河南省周口市郸城县汲冢镇王庄村三组 李秀英收", "河南省周口市郸城县汲冢镇王庄村三组"),
        ("快递放文三路478号门口", "文三路478号"),
        ("他在西湖区天目山路148号上班", "西湖区天目山路148号"),
    ],
)
def test_addresses_start_at_a_place_or_cue_and_end_at_house_details(
    text: str, address: str
) -> None:
    assert found(text, "ADDRESS") == [address]


@pytest.mark.parametrize(
    "text",
    [
        "我去过杭州西湖，也在北京市朝阳区工作过",
        "南京路步行街很热闹，上海虹桥机场见",
        "浙江省今年的数据",
        "位于成都春熙路附近",
    ],
)
def test_places_that_are_not_addresses(text: str) -> None:
    assert found(text, "ADDRESS") == []


def test_gazetteer_holds_counties_and_cities_but_no_two_character_words() -> None:
    names = gazetteer()
    assert {"朝阳区", "杭州市", "郸城县"} <= set(names)
    assert all(len(n) >= 3 for n in names)
    assert is_place("张家港") and not is_place("黄洋")


def test_context_file_errors_name_the_file_and_the_choices(tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = general_context()
    assert good.min_score > 0
    bad = tmp_path / "ctx.yaml"
    bad.write_text("version: 1\ntypes:\n  NOT_A_TYPE: [x]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ctx\.yaml.*NOT_A_TYPE.*valid keys: .*CN_MOBILE_PHONE"):
        load_context(bad)
    bad.write_text("version: 1\ncontext_only: [nope]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ctx\.yaml.*nope.*valid ids: .*cn_ric"):
        load_context(bad)
