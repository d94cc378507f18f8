"""ADDRESS in running Chinese text.

An address starts at a province, prefecture or county name of GB/T 2260 (the names in
python-stdnum's ``cn/loc.dat``, current and historic) or right after a cue word (``住址：``,
``寄到``), continues through administrative parts (省 市 区 县 镇 街道 …), a street or a village,
an estate and house details (栋 单元 室 …), and must end in a house number, building, room or
village: ``北京市朝阳区`` and ``南京路步行街`` are places, not addresses. A street and house
number with no such start (``快递放文三路478号``) is cut where jieba says the street name begins.

Finding the starts is one literal alternation (Aho-Corasick in Rust); the address body is then
matched, anchored, on the short text after each start. One regex holding both would be too big
for the lazy DFA and runs hundreds of times slower.

>>> from fenji.text.find import find_spans
>>> find_spans("家住浙江省杭州市西湖区文三路478号3栋201室，电话略")["value"].to_list()
['浙江省杭州市西湖区文三路478号3栋201室']
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from fenji.text.context import AddressRules, TextContext
from fenji.text.names import Row, alternation, finish, segment
from fenji.text.places import gazetteer

NUMERALS = "0-9一二三四五六七八九十百零〇"
TAIL_CHARS = 96  # longest address body looked at after a start
STREET_ONLY_FACTOR = 0.85  # a street and number with no place name or cue before it
PROVINCE_SUFFIXES = ("", "省", "市", "自治区", "特别行政区", "壮族自治区", "回族自治区",
                     "维吾尔自治区")  # fmt: skip
# jieba tags of words that cannot name a street (prepositions, particles, pronouns ...).
NOT_STREET_NAME = frozenset({"p", "c", "r", "rr", "rz", "u", "uj", "ul", "uz", "ug", "uv",
                             "ud", "x", "y", "e", "o", "d"})  # fmt: skip


def _house(rules: AddressRules) -> str:
    """What follows a street or village: an estate name, then buildings, units, rooms."""
    name = f"[\\p{{Han}}A-Za-z--[{rules.stop}]]"
    unit_num = f"[{NUMERALS}A-Za-z]{{1,6}}(?:[-－][0-9]{{1,5}})?"
    estate = f"(?:{name}{{1,12}}(?:{alternation(rules.estate)}))?"
    units = f"(?: ?{unit_num}(?:{alternation(rules.unit)}))*(?:[0-9]{{3,4}}(?-u:\\b))?"
    return f" ?{estate}{units}"


def _body(rules: AddressRules) -> str:
    """Administrative parts, then a street or village, then the house."""
    h = f"[\\p{{Han}}--[{rules.stop}]]"
    num = f"[{NUMERALS}]{{1,6}}(?:[-－之][{NUMERALS}]{{1,5}})?"
    admin = f"{h}{{1,8}}?(?:{alternation(rules.admin)}) ?"
    street = f"{h}{{1,10}}?(?:{alternation(rules.street)})(?:{num}号)?"
    village = f"{h}{{1,8}}?(?:{alternation(rules.village)})(?:{num}组)?"
    return f"(?:{admin})*(?:{street}|{village}){_house(rules)}"


def address_regexes(rules: AddressRules) -> dict[str, str]:
    """Rust regexes run over every line: cue words, place names (one literal alternation, which
    Rust runs as Aho-Corasick: mixing it with anything else made it 100x slower) and bare street
    cores (street name, marker, house number)."""
    h = f"[\\p{{Han}}--[{rules.stop}]]"
    places = set(gazetteer()) | {p + s for p in rules.provinces for s in PROVINCE_SUFFIXES}
    num = f"[{NUMERALS}]{{1,6}}(?:[-－之][{NUMERALS}]{{1,5}})?"
    return {
        "address|cue": f"(?:{alternation(rules.cues)})[:：\\s]{{0,3}}",
        "address|place": alternation(places),
        "address|street": f"{h}{{1,8}}(?:{alternation(rules.street)}){num}号",
    }


def _detail(rules: AddressRules) -> str:
    """An address needs a house number, building or room, or must end at a village."""
    return (
        f"[{NUMERALS}A-Za-z](?:{alternation(rules.unit)})"
        f"|(?:{alternation(rules.village)})$|[0-9]{{3,4}}$"
    )


def address_spans(
    found: Mapping[str, pl.DataFrame], lines: pl.DataFrame, ctx: TextContext
) -> pl.DataFrame:
    """ADDRESS spans from the start and street-core matches in ``found``."""
    rules = ctx.address
    out: list[Row] = []
    parts = [
        found[k].with_columns(cue=pl.lit(k == "address|cue"))
        for k in ("address|cue", "address|place")
        if k in found and found[k].height
    ]
    if parts:
        starts = pl.concat(parts)
        body = _body(rules)
        frame = (
            starts.with_columns(lines["line"].gather(starts["row"]).alias("line"))
            .with_columns(
                body=pl.col("line").str.slice(pl.col("e"), TAIL_CHARS).str.extract(f"^({body})")
            )
            .drop_nulls("body")
            # After a cue the address is the body; at a place name it includes the name.
            .with_columns(
                a=pl.when(pl.col("cue")).then(pl.col("e")).otherwise(pl.col("s")),
                b=pl.col("e") + pl.col("body").str.len_chars().cast(pl.Int64),
            )
            .with_columns(
                text=pl.col("line").str.slice(pl.col("a"), pl.col("b") - pl.col("a"))
            )
            .filter(
                pl.col("text").str.strip_chars().str.contains(_detail(rules))
                & (pl.col("text").str.len_chars() > 3)
            )
        )
        for row, a, b in frame.select("row", "a", "b").iter_rows():
            out.append(("ADDRESS", row, a, b, rules.score, "address_text", True))
    street = found.get("address|street")
    if street is not None and street.height:
        out += _street_cores(street, lines, rules)
    return finish(out, lines)


def _street_cores(street: pl.DataFrame, lines: pl.DataFrame, rules: AddressRules) -> list[Row]:
    """Street and number with no start before it: the street name is cut by jieba, the house
    details after the number are matched like an address body's."""
    markers = alternation(rules.street)
    head = street["m"].str.extract(f"^(.*?(?:{markers}))[{NUMERALS}]", 1)
    rest = (
        pl.DataFrame({"t": lines["line"].gather(street["row"]), "e": street["e"]})
        .select(pl.col("t").str.slice(pl.col("e"), TAIL_CHARS))
        .to_series()
        .str.extract(f"^({_house(rules)})")
        .str.len_chars()
        .fill_null(0)
    )
    out: list[Row] = []
    score = rules.score * STREET_ONLY_FACTOR
    for row, s, e, prefix, more in zip(street["row"], street["s"], street["e"], head, rest,
                                       strict=True):  # fmt: skip
        n = _street_name_start(prefix, rules) if prefix else None
        if n is not None:
            out.append(("ADDRESS", row, s + n, e + more, score, "address_text", False))
    return out


def _street_name_start(prefix: str, rules: AddressRules) -> int | None:
    """Where the street name begins in a Han run ending with a street marker, by jieba's words:
    the word holding the marker (文三路, 中山北路), or the word before a bare marker (人民/路)."""
    tokens = segment(prefix)
    last = tokens[-1][0]
    start = len(prefix) - len(last)
    if last in rules.street:  # a bare marker: the word before it names the street
        if len(tokens) < 2 or tokens[-2][1] in NOT_STREET_NAME:
            return None
        start -= len(tokens[-2][0])
    return start
