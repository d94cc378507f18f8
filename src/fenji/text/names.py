"""PERSON_NAME in running Chinese text, and the jieba segmenter shared with addresses.

Segmenting a whole text with jieba costs seconds per megabyte, so it only ever sees short runs of
Han characters that Rust regexes picked out first: a run right after a cue word (``联系人：``,
``客户``, ``致``), right before one (``先生``, ``女士``, ``来电``), right before a phone number, ID
or e-mail address (``王芳 138…``), or a line holding nothing but a name (signatures, chat
speakers). jieba's ``posseg`` cuts the run at word boundaries and tags person names ``nr``; a name
must open with a surname of ``fenji/data/surnames.txt`` (compound ones too), have a one- or
two-character given name and no pronoun or particle in it. Cue words live in
``text_context.yaml``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from typing import Any

import polars as pl

from fenji.detect.names import surnames
from fenji.text.context import NameCues, TextContext
from fenji.text.places import is_place
from fenji.text.spans import SPAN_SCHEMA, empty_spans

NAME_TAGS = frozenset({"nr", "nrfg", "nrt"})
# jieba tags of words that are never part of a name.
FUNCTION_TAGS = frozenset(
    {"v", "vd", "vg", "p", "c", "d", "r", "rr", "rz", "u", "uj", "ul", "uz", "ug", "uv", "ud",
     "y", "e", "o", "x", "m", "q", "f", "t", "ad", "zg"}
)  # fmt: skip
NAME_TAGGED_BONUS = 0.15  # jieba tagged the name nr
SURNAME_ONLY_FACTOR = 0.85  # a cue and a surname, but jieba did not see a name
MAX_RUN = 6  # Han characters looked at beside a name cue
# A "name" followed by these is the start of an organisation's name (甲方：时空盒数字传媒有限公司).
ORG_AFTER = re.compile(r"^\w{0,10}?(?:公司|集团|银行|分行|支行|医院|大学|学院|学校|研究院|研究所"
                       r"|事务所|中心|工作室|门店|商行|店|厂)")  # fmt: skip
ANCHOR_TYPES = ("CN_MOBILE_PHONE", "CN_RESIDENT_ID", "EMAIL_ADDRESS", "CN_LANDLINE_PHONE",
                "BANK_CARD_NUMBER", "CN_PASSPORT", "HK_ID_CARD", "TW_ID_CARD")  # fmt: skip

Row = tuple[str, int, int, int, float, str, bool]  # type, line, start, end, score, detector, ctx


# --- the segmenter ---------------------------------------------------------------------------


@cache
def _posseg() -> Any:
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)  # jieba prints its dictionary loading otherwise
    return jieba.posseg


@lru_cache(maxsize=65536)
def segment(run: str) -> tuple[tuple[str, str], ...]:
    """(word, part-of-speech tag) pairs of a short run, by jieba's posseg (cached)."""
    return tuple((w.word, w.flag) for w in _posseg().cut(run))


def dictionary_tag(word: str) -> str | None:
    """jieba's dictionary tag of ``word``; None when the word is not in its dictionary."""
    tag = _posseg().dt.word_tag_tab.get(word)
    return str(tag) if tag is not None else None


def alternation(words: Iterable[str]) -> str:
    """Regex alternation of literal words, longest first."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


# --- names -----------------------------------------------------------------------------------


def surname_length(word: str) -> int:
    """Characters of the surname opening ``word`` (compound first); 0 when there is none."""
    single, compound = surnames()
    if word[:2] in compound:
        return 2
    return 1 if word[:1] in single else 0


def is_name(word: str, cues: NameCues) -> bool:
    """Surname, then a given name of one or two characters, no pronoun or particle."""
    k = surname_length(word)
    if k == 0 or word in cues.not_names or not 1 <= len(word) - k <= 2:
        return False
    if word[k:] in cues.after or word[k:] in cues.titles:  # 张先生, 李总: titles, no names
        return False
    return not any(c in cues.not_in_names for c in word[k:])


def _given_char(word: str, tag: str, cues: NameCues) -> bool:
    """A one-character token that may be a given name: jieba tags those anything (想 v, 倩 zg)."""
    return len(word) == 1 and tag != "x" and word not in cues.not_in_names


def _tagged(word: str, tag: str) -> bool:
    """jieba calls it a name, or a place that is no GB/T 2260 place (黄洋 ns, 汤坤 ns)."""
    return tag in NAME_TAGS or (tag in ("ns", "nz") and not is_place(word))


def leading_name(run: str, cues: NameCues) -> tuple[int, bool] | None:
    """(length, jieba tagged it a name) of a name opening ``run``, or None."""
    tokens = segment(run)
    word, tag = tokens[0]
    nxt = tokens[1] if len(tokens) > 1 else ("", "x")
    k = surname_length(word)
    if _tagged(word, tag):
        if not is_name(word, cues) and word[-1:] in cues.not_in_names:
            word = word[:-1]  # 杨健将(位于): the particle is not the name's
        if is_name(word, cues):
            # jieba cuts after a compound surname's first given character: 慕容雪/梅.
            if k == 2 and len(word) == 3 and _given_char(*nxt, cues):
                return 4, True
            return len(word), True
    if k and k == len(word):  # the surname stands alone: 梁/鑫, 王/小明, 上官/超
        n, tagged = k, tag in NAME_TAGS
        for w, t in tokens[1:]:
            if not (_given_char(w, t, cues) or (len(w) == 2 and _tagged(w, t))):
                break
            if n + len(w) > k + 2:
                break
            n, tagged = n + len(w), tagged or t in NAME_TAGS
        if is_name(run[:n], cues):
            return n, tagged
    # A word jieba does not know that opens with a surname (a rare given name).
    if 2 <= len(word) <= 3 and dictionary_tag(word) is None and is_name(word, cues):
        return len(word), False
    return None


def trailing_name(run: str, cues: NameCues, strict: bool = False) -> tuple[int, bool] | None:
    """(length, tagged) of a name closing ``run``, or None. ``strict``: jieba must tag it."""
    tokens = segment(run)
    word, tag = tokens[-1]
    found: tuple[int, bool] | None = None
    if len(tokens) >= 2 and (_tagged(word, tag) or _given_char(word, tag, cues)):
        head = tokens[-2][0]  # a bare surname, then the given name: 姜/桂花, 司马/倩
        if surname_length(head) == len(head) and is_name(head + word, cues):
            found = len(head + word), tag in NAME_TAGS or tokens[-2][1] in NAME_TAGS
    if found is None and _tagged(word, tag) and is_name(word, cues):
        found = len(word), True
    if found is None and not strict and tag not in FUNCTION_TAGS - {"zg"}:
        for n in (3, 2):  # three-character names are the most common
            if n <= len(run) and is_name(run[-n:], cues) and dictionary_tag(run[-n:]) is None:
                found = n, False
                break
    if found is None:
        return None
    n, tagged = found
    # jieba often cuts a compound surname in two: 尉/迟婷婷, 令狐/玉英.
    _, compound = surnames()
    for extra in (1, 2):
        head = run[len(run) - n - extra : len(run) - n + 2 - extra]
        if n + extra <= len(run) and head in compound and is_name(run[-(n + extra) :], cues):
            return n + extra, tagged
    return found


# --- spans -----------------------------------------------------------------------------------


def name_regexes(cues: NameCues) -> dict[str, str]:
    """Rust regexes: a cue then a Han run, a Han run then a cue, a line that is only a name."""
    sep = cues.separators
    return {
        "name|before": f"(?:{alternation(cues.before)}){sep}{{0,2}}",
        "name|after": f"\\p{{Han}}{{2,{MAX_RUN}}}(?:{alternation(cues.after)})",
        "name|line": "(?m)^[ \\t]*\\p{Han}{2,4}[ \\t]*(?:[:：]|\\r?$)",
    }


def _row(line: int, s: int, e: int, tagged: bool, cues: NameCues) -> Row:
    score = cues.score + NAME_TAGGED_BONUS if tagged else cues.score * SURNAME_ONLY_FACTOR
    return ("PERSON_NAME", line, s, e, min(score, 0.99), "person_name_text", True)


def name_spans(
    found: Mapping[str, pl.DataFrame],
    lines: pl.DataFrame,
    pattern_spans: pl.DataFrame,
    ctx: TextContext,
) -> pl.DataFrame:
    """PERSON_NAME spans from the cue matches in ``found`` and the names right before phone
    numbers, IDs and e-mail addresses in ``pattern_spans``."""
    cues = ctx.person_name
    text = lines["line"]
    out: list[Row] = []
    before = found.get("name|before")
    if before is not None and before.height:
        runs = _runs_after(before, text)
        for row, e, run in zip(before["row"], before["e"], runs, strict=True):
            got = leading_name(run, cues) if run else None
            if got and not ORG_AFTER.match(text[row][e + got[0] :]):
                out.append(_row(row, e, e + got[0], got[1], cues))
    after = found.get("name|after")
    if after is not None and after.height:
        cue = f"((?:{alternation(cues.after)}))$"
        tail = after["m"].str.extract(cue, 1).str.len_chars().fill_null(0)
        for row, s, m, k in zip(after["row"], after["s"], after["m"], tail, strict=True):
            run = m[: len(m) - k]
            got = trailing_name(run, cues)
            if got:
                out.append(_row(row, s + len(run) - got[0], s + len(run), got[1], cues))
    alone = found.get("name|line")
    if alone is not None and alone.height:
        for row, s, m in zip(alone["row"], alone["s"], alone["m"], strict=True):
            lead = len(m) - len(m.lstrip(" \t"))
            run = m.strip(" \t\r:：")
            got = trailing_name(run, cues)
            if got and got[0] == len(run):
                out.append(_row(row, s + lead, s + lead + len(run), True, cues))
    out += _names_before_pi(lines, pattern_spans, cues)
    out += _listed_names(out, text, cues)
    return finish(out, lines)


def _runs_after(matches: pl.DataFrame, text: pl.Series) -> pl.Series:
    """The run of Han characters right after each match (null when there is none)."""
    return (
        pl.DataFrame({"t": text.gather(matches["row"]), "e": matches["e"]})
        .select(pl.col("t").str.slice(pl.col("e"), MAX_RUN))
        .to_series()
        .str.extract(f"^(\\p{{Han}}{{2,{MAX_RUN}}})", 1)
    )


def _listed_names(found: list[Row], text: pl.Series, cues: NameCues) -> list[Row]:
    """Names listed after a name found (张伟、李娜和王芳): jieba must tag each one."""
    out: list[Row] = []
    todo = list(found)
    seen = {(r[1], r[2]) for r in found}
    while todo:
        _, row, _, e, *_ = todo.pop()
        line = str(text[row])
        m = re.match(cues.list_separators, line[e:])
        run = re.match(f"\\w{{2,{MAX_RUN}}}", line[e + len(m.group(0)) :]) if m else None
        got = leading_name(run.group(0), cues) if m and run else None
        if m and got and got[1] and (row, e + len(m.group(0))) not in seen:
            start = e + len(m.group(0))
            new = _row(row, start, start + got[0], True, cues)
            seen.add((row, start))
            out.append(new)
            todo.append(new)
    return out


def _names_before_pi(lines: pl.DataFrame, spans: pl.DataFrame, cues: NameCues) -> list[Row]:
    """Names written right before a phone number, ID or e-mail address (``王芳 138…``)."""
    spans = spans.filter(pl.col("type").is_in(ANCHOR_TYPES))
    if spans.height == 0:
        return []
    off = lines["off"]
    row = off.search_sorted(spans["start"], side="right").cast(pl.Int64) - 1  # line of each span
    s = spans["start"] - off.gather(row)
    lo = (s - 10).clip(lower_bound=0)
    head = (
        pl.DataFrame({"t": lines["line"].gather(row), "lo": lo, "n": s - lo})
        .select(pl.col("t").str.slice(pl.col("lo"), pl.col("n")))
        .to_series()
    )
    sep = r"[:：,，\s<（(]{0,2}$"
    runs = head.str.extract(f"(\\p{{Han}}{{2,{MAX_RUN}}}){sep}", 1)
    gap = head.str.extract(f"({sep[:-1]})$", 1).str.len_chars().fill_null(0)
    out = []
    for r, start, run, g in zip(row, s, runs, gap, strict=True):
        got = trailing_name(run, cues) if run else None
        if got:
            out.append(_row(r, start - g - got[0], start - g, True, cues))
    return out


def finish(rows: list[Row], lines: pl.DataFrame) -> pl.DataFrame:
    """Span frame (absolute offsets, ``value`` = the span's text, white space trimmed) from
    (type, line, start-in-line, end-in-line, score, detector, ctx) rows."""
    if not rows:
        return empty_spans()
    frame = pl.DataFrame(
        rows,
        schema={"type": pl.String, "row": pl.Int64, "s": pl.Int64, "e": pl.Int64,
                "score": pl.Float64, "detector": pl.String, "ctx": pl.Boolean},
        orient="row",
    )  # fmt: skip
    v = pl.col("line").str.slice(pl.col("s"), pl.col("e") - pl.col("s"))
    lead = v.str.len_chars() - v.str.strip_chars_start().str.len_chars()
    trail = v.str.len_chars() - v.str.strip_chars_end().str.len_chars()
    base = lines["off"].gather(frame["row"])
    return (
        frame.with_columns(lines["line"].gather(frame["row"]).alias("line"))
        .with_columns(value=v.str.strip_chars(), lead=lead.cast(pl.Int64), trail=trail)
        .with_columns(
            start=base + pl.col("s") + pl.col("lead"),
            end=base + pl.col("e") - pl.col("trail").cast(pl.Int64),
        )
        .filter(pl.col("end") > pl.col("start"))
        .select(list(SPAN_SCHEMA))
    )
