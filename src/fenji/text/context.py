"""Context words around matches in running text, read from ``text_context.yaml``.

Chinese has no spaces, so windows are counted in characters (``window.before`` characters before
a match, ``window.after`` after it) and stay on the match's line. Everything here is vectorised
over the candidate matches: each candidate's window is cut with Polars ``str.slice`` and searched
with one Rust regex per info type.

>>> ctx = general_context()
>>> ctx.before, "身份证" in ctx.words["CN_RESIDENT_ID"]
(20, True)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from fenji.detect.recognizer import INFO_TYPES, RecognizerSet, general_recognizers
from fenji.errors import ConfigError, choices

CONTEXT_FILE = Path(__file__).resolve().parent.parent / "packs" / "general" / "text_context.yaml"

TOP_KEYS = {"version", "window", "min_score", "boost", "negative_factor", "context_only"}
TOP_KEYS |= {"types", "negative", "person_name", "address"}
NAME_KEYS = {"score", "before", "after", "separators", "not_in_names", "not_names"}
NAME_KEYS |= {"list_separators", "titles"}
ADDRESS_KEYS = {"score", "cues", "provinces", "admin", "street", "estate", "village", "unit"}
ADDRESS_KEYS |= {"stop"}


@dataclass(frozen=True)
class NameCues:
    """Cue words around Chinese personal names in prose."""

    score: float
    before: tuple[str, ...]
    after: tuple[str, ...]
    separators: str
    not_in_names: str = ""
    not_names: frozenset[str] = frozenset()
    titles: frozenset[str] = frozenset()
    list_separators: str = "[、；;,，/]"


@dataclass(frozen=True)
class AddressRules:
    """The parts a Chinese postal address is built from, and the characters that end one."""

    score: float
    cues: tuple[str, ...]
    provinces: tuple[str, ...]
    admin: tuple[str, ...]
    street: tuple[str, ...]
    estate: tuple[str, ...]
    village: tuple[str, ...]
    unit: tuple[str, ...]
    stop: str


@dataclass(frozen=True)
class TextContext:
    """Everything ``text_context.yaml`` says, validated."""

    before: int
    after: int
    negative_before: int
    min_score: float
    boost: float
    negative_factor: float
    context_only: tuple[str, ...]
    words: Mapping[str, tuple[str, ...]]
    negative: tuple[str, ...]
    person_name: NameCues
    address: AddressRules
    source: str = ""


def words_regex(words: Iterable[str]) -> str:
    """One Rust regex matching any of ``words``: longest first, ASCII words case-insensitive
    and fenced by ASCII word boundaries (``ip`` must not match inside ``zip``)."""
    parts = []
    for w in sorted(set(words), key=lambda w: (-len(w), w)):
        escaped = re.escape(w)
        parts.append(f"(?-u:\\b){escaped}(?-u:\\b)" if w.isascii() else escaped)
    return "(?i)(?:" + "|".join(parts) + ")" if parts else "$^"


def _keys(where: str, data: Any, valid: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    unknown = set(data) - valid
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {choices(map(str, unknown))}; valid keys: {choices(valid)}"
        )
    return data


def _words(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: expected a non-empty list of non-empty strings")
    return tuple(str(v) for v in value)


def _optional_words(where: str, value: Any) -> tuple[str, ...]:
    return () if value is None or value == [] else _words(where, value)


def _number(where: str, value: Any, low: float, high: float) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high
    if not ok:
        raise ConfigError(f"{where}: expected a number between {low} and {high}, got {value!r}")
    return float(value)


def _chars(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 200:
        raise ConfigError(f"{where}: expected a number of characters 0..200, got {value!r}")
    return value


def _names(where: str, data: Any) -> NameCues:
    data = _keys(where, data, NAME_KEYS)
    separators = data.get("separators", r"[:：\s]")
    listed = data.get("list_separators", NameCues.list_separators)
    for key, rx in (("separators", separators), ("list_separators", listed)):
        try:
            pl.Series([""]).str.contains(rx)
            re.compile(rx)
        except Exception:  # Polars raises ComputeError, re raises re.error
            raise ConfigError(f"{where}.{key}: not a valid regex character class") from None
    return NameCues(
        score=_number(f"{where}.score", data.get("score", 0.8), 0, 1),
        before=_words(f"{where}.before", data.get("before")),
        after=_words(f"{where}.after", data.get("after")),
        separators=separators,
        list_separators=listed,
        not_in_names=str(data.get("not_in_names", "")),
        not_names=frozenset(_optional_words(f"{where}.not_names", data.get("not_names"))),
        titles=frozenset(_optional_words(f"{where}.titles", data.get("titles"))),
    )


def _address(where: str, data: Any) -> AddressRules:
    data = _keys(where, data, ADDRESS_KEYS)
    lists = {k: _words(f"{where}.{k}", data.get(k)) for k in ADDRESS_KEYS - {"score", "stop"}}
    stop = data.get("stop", "")
    if not isinstance(stop, str) or not stop or stop.isascii():
        raise ConfigError(f"{where}.stop: expected a string of Chinese characters")
    return AddressRules(
        score=_number(f"{where}.score", data.get("score", 0.8), 0, 1), stop=stop, **lists
    )


def load_context(path: Path = CONTEXT_FILE, rs: RecognizerSet | None = None) -> TextContext:
    """Read and validate a text-context YAML file.

    Info types must be known ids (``INFO_TYPES``) and ``context_only`` must name recognizers of
    ``rs`` (the general pack's by default); every error names the file and the valid choices.
    """
    path = Path(path)
    rs = rs or general_recognizers()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read text-context file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    where = str(path)
    data = _keys(where, data, TOP_KEYS)
    window = _keys(f"{where}: window", data.get("window") or {}, {"before", "after", "negative"})
    types = _keys(f"{where}: types", data.get("types") or {}, set(INFO_TYPES))
    ids = {r.id for r in rs.recognizers}
    context_only = _optional_words(f"{where}: context_only", data.get("context_only"))
    unknown = [r for r in context_only if r not in ids]
    if unknown:
        raise ConfigError(
            f"{where}: context_only names unknown recognizer(s) {choices(unknown)}; "
            f"valid ids: {choices(ids)}"
        )
    return TextContext(
        before=_chars(f"{where}: window.before", window.get("before", 20)),
        after=_chars(f"{where}: window.after", window.get("after", 12)),
        negative_before=_chars(f"{where}: window.negative", window.get("negative", 6)),
        min_score=_number(f"{where}: min_score", data.get("min_score", 0.45), 0, 1),
        boost=_number(f"{where}: boost", data.get("boost", 0.15), 0, 1),
        negative_factor=_number(
            f"{where}: negative_factor", data.get("negative_factor", 0.5), 0, 1
        ),
        context_only=context_only,
        words={t: _words(f"{where}: types.{t}", w) for t, w in types.items()},
        negative=_words(f"{where}: negative", data.get("negative")),
        person_name=_names(f"{where}: person_name", data.get("person_name")),
        address=_address(f"{where}: address", data.get("address")),
        source=where,
    )


@cache
def general_context() -> TextContext:
    """The general pack's text context (loaded once per process)."""
    return load_context()


def _word_types(ctx: TextContext) -> dict[str, str]:
    """Context word (lower case) -> ``|TYPE|TYPE|`` of the info types it speaks for."""
    out: dict[str, set[str]] = {}
    for info_type, words in ctx.words.items():
        for w in words:
            out.setdefault(w.lower(), set()).add(info_type)
    return {w: "|" + "|".join(sorted(t)) + "|" for w, t in out.items()}


def context_columns(cands: pl.DataFrame, ctx: TextContext) -> pl.DataFrame:
    """``cands`` plus boolean columns ``ctx_pos``, ``ctx_near`` and ``ctx_neg``.

    ``cands`` holds ``line`` (the text of the candidate's line), ``s`` and ``e`` (character
    offsets in it) and ``type``. ``ctx_pos``: a context word of the candidate's own type lies
    within the window before or after it; ``ctx_neg``: a negative word (order number, amount
    ...) lies right before it (``window.negative`` characters), and ``ctx_near``: so does a
    context word (银行卡号 beats 流水号 only when it is as close). One regex of all context
    words runs over every window; the words found are mapped to their types, so the cost does
    not grow with the number of info types.
    """
    if cands.height == 0:
        return cands.with_columns(ctx_pos=pl.lit(False), ctx_near=pl.lit(False),
                                  ctx_neg=pl.lit(False))  # fmt: skip
    table = _word_types(ctx)
    every = words_regex(table)
    s, e = pl.col("s").cast(pl.Int64), pl.col("e").cast(pl.Int64)
    lo = (s - ctx.before).clip(lower_bound=0)
    lo_neg = (s - ctx.negative_before).clip(lower_bound=0)
    own = pl.concat_str([pl.lit("|"), pl.col("type"), pl.lit("|")])
    line = pl.col("line")

    def speaks_for(window: pl.Expr) -> pl.Expr:
        types = (
            window.str.extract_all(every)
            .list.eval(pl.element().str.to_lowercase().replace_strict(table, default=""))
            .list.join("")
        )
        return types.str.contains(own, literal=True).fill_null(False)

    # Before and after in one string: a line break between them, which no context word holds.
    around = pl.concat_str([line.str.slice(lo, s - lo), pl.lit("\n"), line.str.slice(e, ctx.after)])
    close = line.str.slice(lo_neg, s - lo_neg)
    out = cands.with_columns(
        ctx_pos=speaks_for(around),
        ctx_neg=close.str.contains(words_regex(ctx.negative)).fill_null(False),
        ctx_near=pl.lit(False),
    )
    negative = out["ctx_neg"]
    if negative.any():  # rare: only then is it worth asking whether a context word is as close
        near = out.filter(negative).select(speaks_for(close)).to_series()
        out = out.with_columns(ctx_near=negative.scatter(negative.arg_true(), near) & negative)
    return out
