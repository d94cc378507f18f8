"""Spans of pattern info types in decoded text: every text recognizer of the pack, validated.

A window of text is split into lines (no pattern crosses a line end; context words are looked for
on the match's line) and regrouped into blocks of about 64K characters. The patterns that need no
context word run as one union regex (one scan for all of them, not one each); Polars' Rust
engine wraps each match in a private-use sentinel with ``str.replace_all`` and splits on it, so
the pieces' character lengths give every match's offsets without a Python loop over matches.
Each match goes to every pattern that matches it whole (an 18-digit number is tried as an ID, a
card and a credit code), is compacted and checked by the pack's validators in bulk
(``fenji.detect.validators``), scored with context words (``fenji.text.context``), and returned
in one Polars frame.

Recognizer regexes fence identifiers with ASCII word boundaries (``(?-u:\\b)``), so
``身份证号110101199003074514`` matches while ``1101011990030745141`` does not. Full-width
digits and letters are folded to half width first (one character for one, so offsets hold).

>>> spans = find_pattern_spans("客户手机１３８００１３８０００，订单号2024031512345678")
>>> spans.select("type", "start", "end").rows()
[('CN_MOBILE_PHONE', 4, 15)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from fenji.detect.column_exprs import COMPACT, FULL_WIDTH_CLASS, PREPROCESS
from fenji.detect.recognizer import RecognizerSet, Validator, general_recognizers
from fenji.text.context import TextContext, context_columns, general_context, words_regex

# Private-use characters: the first one absent from a window marks match boundaries.
SENTINELS = ("\ue000", "\ue001", "\ue002", "\uf8ff", "\x00")

SPAN_SCHEMA: dict[str, type[pl.DataType]] = {
    "type": pl.String,
    "start": pl.Int64,
    "end": pl.Int64,
    "score": pl.Float64,
    "detector": pl.String,
    "ctx": pl.Boolean,  # a context word (or cue) of its type is near: wins ties on overlap
    "value": pl.String,  # the matched text: used to mask or pseudonymise, never reported
}
# Patterns that carry no boundaries of their own are run as <match><one non-alnum or end>,
# so a date alternative such as 0?[1-9] cannot stop short inside "20日".
FENCED = "(?P<fm>{})(?P<ft>[^0-9A-Za-z]|$)"
NEEDS_CONTEXT_FLOOR = 0.75  # a required context word vouches for a format-only validator


@dataclass(frozen=True)
class TextPattern:
    """One regex of a recognizer, as run over prose."""

    recognizer: str
    pattern: str
    info_type: str
    regex: str
    compact: str
    score: float
    needs_context: bool  # counts only next to a context word of its type
    validator: str | None = None
    check: Validator | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> str:
        return f"{self.recognizer}|{self.pattern}"


def text_patterns(rs: RecognizerSet, ctx: TextContext) -> tuple[TextPattern, ...]:
    """The patterns searched in prose: those of ``text: true`` recognizers, plus the
    ``context_only`` recognizers of the text context (which then need a context word)."""
    out = []
    for r in rs.recognizers:
        if not r.patterns or not (r.text or r.id in ctx.context_only):
            continue
        for p in r.patterns:
            out.append(
                TextPattern(
                    recognizer=r.id,
                    pattern=p.id,
                    info_type=r.info_type,
                    regex=p.regex,
                    compact=r.compact,
                    score=r.score,
                    needs_context=p.hint_only or not r.text,
                    validator=p.validator,
                    check=p.check,
                )
            )
    return tuple(out)


def empty_spans() -> pl.DataFrame:
    """A span frame with no rows."""
    return pl.DataFrame(schema=SPAN_SCHEMA)


def sentinel_for(text: str) -> str:
    """A character that does not occur in ``text`` (to mark match boundaries)."""
    for s in SENTINELS:
        if s not in text:
            return s
    raise ValueError("text contains every sentinel character")  # pragma: no cover


def lines_frame(text: str) -> pl.DataFrame:
    """One row per line: ``line`` (full width folded to half width) and ``off``, the character
    offset of the line's start in ``text``."""
    lines = pl.Series("line", [text], dtype=pl.String).str.split("\n").explode()
    lengths = lines.str.len_chars().cast(pl.Int64)
    off = (lengths + 1).cum_sum() - (lengths + 1)
    if lines.str.contains(FULL_WIDTH_CLASS).any():
        lines = lines.to_frame().select(PREPROCESS["halfwidth"](pl.col("line"))).to_series()
    return pl.DataFrame({"line": lines, "off": off})


BLOCK_CHARS = 1 << 16  # characters per block of lines searched by one regex call


def _blocks(lines: pl.DataFrame) -> pl.LazyFrame:
    """Consecutive lines joined into blocks of about ``BLOCK_CHARS``: ``off`` (of the block's
    first line) and ``line`` (its text)."""
    size = lines["line"].str.len_chars().cast(pl.Int64) + 1
    block = (size.cum_sum() - size) // BLOCK_CHARS
    return (
        lines.lazy()
        .with_columns(block=block)
        .group_by("block", maintain_order=True)
        .agg(pl.col("off").first(), pl.col("line").str.join("\n"))
    )


def find_all(
    lines: pl.DataFrame,
    regexes: Mapping[str, str],
    sentinel: str,
    prefilters: Mapping[str, str] | None = None,
) -> dict[str, pl.DataFrame]:
    """Every match of each regex: ``row`` (line index), ``s``/``e`` (character offsets in the
    line) and ``m`` (the matched text). All regexes run in one parallel ``collect_all``.

    A regex runs over a few big blocks of lines (per-line bookkeeping cost more than the regex;
    blocks let Polars use every core), so ``^``/``$`` need ``(?m)`` to mean line starts and
    ends. One with a prefilter (same key in ``prefilters``) runs only on the lines where the
    prefilter matches.
    """
    prefilters = prefilters or {}
    plain = f"{sentinel}${{0}}{sentinel}"
    fenced = f"{sentinel}${{fm}}{sentinel}${{ft}}"
    base = lines.lazy().with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    blocks = _blocks(lines)
    queries = []
    for key, rx in regexes.items():
        mark = fenced if rx.startswith("(?P<fm>") else plain
        if key in prefilters:  # the lines holding a prefilter match, one row each
            frame = base.filter(pl.col("line").str.contains(prefilters[key]))
        else:  # a few big blocks of lines: one regex call each, run in parallel
            frame = blocks.select(pl.col("off").alias("row"), "line")
        length = pl.col("line").str.len_chars().cast(pl.Int64)
        queries.append(
            frame.with_columns(
                k=pl.int_range(pl.len(), dtype=pl.Int64),  # ordinal of the row
                before=length.cum_sum() - length,  # characters in the rows before it
                p=pl.col("line").str.replace_all(rx, mark).str.split(sentinel),
            )
            .select("row", "k", "before", "p")
            .explode("p")
            # Each row splits into an odd number of pieces, matches at odd places: a global
            # running sum and index do, with no per-row grouping.
            .with_columns(n=pl.col("p").str.len_chars().cast(pl.Int64))
            .with_columns(g=pl.col("n").cum_sum(), i=pl.int_range(pl.len(), dtype=pl.Int64))
            .filter((pl.col("i") + pl.col("k")) % 2 == 1)
            .select("row", s=pl.col("g") - pl.col("n") - pl.col("before"),
                    e=pl.col("g") - pl.col("before"), m="p")
        )  # fmt: skip
    frames = pl.collect_all(queries) if queries else []
    off = lines["off"]
    out: dict[str, pl.DataFrame] = {}
    for key, got in zip(regexes, frames, strict=True):
        if key not in prefilters and got.height:  # block offsets -> line and column
            got = got.with_columns(s=pl.col("s") + pl.col("row"), e=pl.col("e") + pl.col("row"))
            row = off.search_sorted(got["s"], side="right").cast(pl.Int64) - 1
            start = off.gather(row)
            got = got.with_columns(row=row, s=got["s"] - start, e=got["e"] - start)
        out[key] = got
    return out


# Info types whose matches must win a tie of start position in the one-pass union: an e-mail
# address holds digits a phone pattern would stop at, a MAC address looks like IPv6 groups.
UNION_FIRST = ("EMAIL_ADDRESS", "GPS_COORDINATE", "MAC_ADDRESS", "IP_ADDRESS")
# Patterns run on their own: IPv6's many bounded alternations made the union's lazy DFA (and
# so every scan) about twice as slow (measured); alone it costs one quick scan.
UNION_APART = frozenset({"ip_address|ipv6"})
PLAIN_KEY = "union|plain"
CONTEXT_KEY = "union|context"


def _alternatives(patterns: Iterable[TextPattern]) -> str:
    first = {t: i for i, t in enumerate(UNION_FIRST)}
    ordered = sorted(patterns, key=lambda tp: first.get(tp.info_type, len(first)))
    return "|".join(f"(?:{tp.regex})" for tp in ordered)


def pattern_regexes(
    patterns: Sequence[TextPattern], ctx: TextContext
) -> tuple[dict[str, str], dict[str, str]]:
    """(regexes, prefilters) that find every pattern's matches in few scans of the text.

    The patterns that need no context word share one union regex; those that count only next to
    a context word share another (fenced: nothing ASCII-alphanumeric may follow a match), run
    only on the lines that hold one of their context words.
    """
    plain = [tp for tp in patterns if not tp.needs_context and tp.key not in UNION_APART]
    fenced = [tp for tp in patterns if tp.needs_context]
    regexes = {PLAIN_KEY: _alternatives(plain)} if plain else {}
    regexes |= {tp.key: tp.regex for tp in patterns if tp.key in UNION_APART}
    prefilters = {}
    if fenced:
        regexes[CONTEXT_KEY] = FENCED.format(_alternatives(fenced))
        words = {w for tp in fenced for w in ctx.words.get(tp.info_type, ())}
        prefilters[CONTEXT_KEY] = words_regex(words)
    return regexes, prefilters


def split_unions(
    found: dict[str, pl.DataFrame], patterns: Sequence[TextPattern]
) -> dict[str, pl.DataFrame]:
    """The union matches, given to every pattern that matches each of them whole (an 18-digit
    match is tried as an ID, a card and a credit code alike)."""
    for key, needs in ((PLAIN_KEY, False), (CONTEXT_KEY, True)):
        union = found.pop(key, None)
        members = [tp for tp in patterns if tp.needs_context is needs and tp.key not in UNION_APART]
        if union is None or not members:
            continue
        whole = union.select(  # one parallel select: a column of whole matches per pattern
            pl.col("m").str.contains(f"^(?:{tp.regex})$").alias(tp.key) for tp in members
        )
        for tp in members:
            found[tp.key] = union.filter(whole[tp.key])
    return found


def _glued(line: pl.Expr, s: pl.Expr, e: pl.Expr, m: pl.Expr) -> pl.Expr:
    """True for matches glued to an ASCII letter or digit of the same kind as their own first
    or last character, or part of a longer code (recognizers that run in text only by context
    carry no boundaries: HT-2024-211322 is a contract number, not QQ 211322)."""
    prev = pl.when(s > 0).then(line.str.slice(s - 1, 1)).otherwise(pl.lit(""))
    nxt = line.str.slice(e, 1)

    def same_kind(a: pl.Expr, b: pl.Expr) -> pl.Expr:
        return (a.str.contains("^[0-9]$") & b.str.contains("^[0-9]$")) | (
            a.str.contains("^[A-Za-z]$") & b.str.contains("^[A-Za-z]$")
        )

    prev2 = pl.when(s > 1).then(line.str.slice(s - 2, 2)).otherwise(pl.lit(""))
    joined = prev2.str.contains(r"^[0-9A-Za-z][-_/.]$") | line.str.slice(e, 2).str.contains(
        r"^[-_/.][0-9A-Za-z]$"
    )
    return same_kind(prev, m.str.slice(0, 1)) | same_kind(nxt, m.str.slice(-1, 1)) | joined


def _confidences(cands: pl.DataFrame, patterns: Sequence[TextPattern]) -> np.ndarray:
    """Validator confidence of every candidate: compacted and checked in bulk, one call per
    (compact step, validator) pair present, never per match."""
    conf = np.ones(cands.height)
    checks = {tp.validator: tp.check for tp in patterns if tp.check is not None}
    groups = (
        cands.select("compact", "validator")
        .with_row_index("i")
        .filter(pl.col("validator").is_not_null())
        .group_by("compact", "validator")
        .agg("i")
    )
    for compact, validator, rows in groups.iter_rows():
        idx = np.asarray(rows, dtype=np.int64)
        compacted = cands["m"].gather(idx).to_frame().select(COMPACT[compact](pl.col("m")))
        conf[idx] = np.asarray(checks[validator](compacted.to_series()).fill_null(0.0), float)
    return conf


def score_matches(
    found: Mapping[str, pl.DataFrame],
    patterns: Sequence[TextPattern],
    lines: pl.DataFrame,
    ctx: TextContext,
) -> pl.DataFrame:
    """Validated, context-scored spans (absolute offsets within the window) from raw matches."""
    meta = pl.DataFrame(
        {
            "key": [tp.key for tp in patterns],
            "type": [tp.info_type for tp in patterns],
            "detector": [tp.recognizer for tp in patterns],
            "weight": [tp.score for tp in patterns],
            "needs": [tp.needs_context for tp in patterns],
            "compact": [tp.compact for tp in patterns],
            "validator": [tp.validator for tp in patterns],
        },
        schema_overrides={"validator": pl.String},
    )
    parts = [
        frame.with_columns(key=pl.lit(tp.key))
        for tp in patterns
        if (frame := found.get(tp.key)) is not None and frame.height
    ]
    if not parts:
        return empty_spans()
    cands = pl.concat(parts).join(meta, on="key", how="left")
    cands = cands.with_columns(lines["line"].gather(cands["row"]).alias("line"))
    fenced = cands["needs"]
    if fenced.any():  # boundaries only for the patterns that carry none of their own
        glued = cands.filter(fenced).select(
            _glued(pl.col("line"), pl.col("s"), pl.col("e"), pl.col("m"))
        )
        cands = cands.filter(~fenced).vstack(cands.filter(fenced).filter(~glued.to_series()))
    cands = cands.with_columns(conf=pl.Series(_confidences(cands, patterns))).filter(
        pl.col("conf") > 0
    )
    cands = context_columns(cands, ctx)
    # A required context word vouches for a format-only validator; elsewhere it is a bonus.
    conf = pl.when(pl.col("needs")).then(pl.col("conf").clip(lower_bound=NEEDS_CONTEXT_FLOOR))
    base = conf.otherwise(pl.col("conf")) * pl.col("weight")
    boost = pl.when(pl.col("ctx_pos") & ~pl.col("needs")).then(ctx.boost).otherwise(0.0)
    damp = pl.when(pl.col("ctx_neg") & ~pl.col("ctx_near")).then(ctx.negative_factor).otherwise(1.0)
    score = ((base + boost) * damp).clip(upper_bound=0.99)
    off = lines["off"].gather(cands["row"])
    return (
        cands.with_columns(off=off, score=score)
        .filter((pl.col("ctx_pos") | ~pl.col("needs")) & (pl.col("score") >= ctx.min_score))
        .select(
            pl.col("type"),
            (pl.col("off") + pl.col("s")).alias("start"),
            (pl.col("off") + pl.col("e")).alias("end"),
            pl.col("score"),
            pl.col("detector"),
            pl.col("ctx_pos").alias("ctx"),
            pl.col("m").alias("value"),
        )
    )


def pattern_spans(
    lines: pl.DataFrame, sentinel: str, rs: RecognizerSet, ctx: TextContext
) -> pl.DataFrame:
    """Validated, context-scored pattern spans in a window already split by ``lines_frame``."""
    patterns = text_patterns(rs, ctx)
    found = find_patterns(lines, patterns, sentinel, ctx)
    return score_matches(found, patterns, lines, ctx)


def find_patterns(
    lines: pl.DataFrame,
    patterns: Sequence[TextPattern],
    sentinel: str,
    ctx: TextContext,
    extra: Mapping[str, str] | None = None,
) -> dict[str, pl.DataFrame]:
    """Raw matches of every pattern (and of the ``extra`` regexes), all in one parallel run."""
    regexes, prefilters = pattern_regexes(patterns, ctx)
    found = find_all(lines, regexes | dict(extra or {}), sentinel, prefilters)
    return split_unions(found, patterns)


def find_pattern_spans(
    text: str, rs: RecognizerSet | None = None, ctx: TextContext | None = None
) -> pl.DataFrame:
    """Pattern spans in ``text`` (overlaps not yet resolved: see ``fenji.text.overlap``)."""
    rs = rs or general_recognizers()
    ctx = ctx or general_context()
    from fenji.text.overlap import resolve

    spans = pattern_spans(lines_frame(text), sentinel_for(text), rs, ctx)
    return resolve(spans)
