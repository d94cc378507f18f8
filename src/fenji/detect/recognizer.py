"""``Recognizer``: one frozen dataclass built from recognizers.yaml, no subclass per info type.

``load_recognizers(path)`` reads and validates the YAML (unknown keys, regexes Polars cannot
compile, unknown info types, validators, preprocess or compact steps all raise ``ConfigError``
naming the file and the recognizer) and returns a ``RecognizerSet``: the recognizers plus the
column-level settings, thresholds included. Thresholds live in the YAML, not in code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from fenji.detect.column_exprs import COMPACT, LOCAL_VALIDATORS, PREPROCESS
from fenji.detect.regex_check import checked_regex as _regex
from fenji.detect.regex_check import regexes_checked_together
from fenji.errors import ConfigError, choices

Validator = Callable[[pl.Series], pl.Series]

# Stable info-type ids (ARCHITECTURE.md). A pack may add more with a top-level ``info_types``.
INFO_TYPES = frozenset(
    {
        "PERSON_NAME",
        "CN_RESIDENT_ID",
        "CN_MOBILE_PHONE",
        "CN_LANDLINE_PHONE",
        "EMAIL_ADDRESS",
        "BANK_CARD_NUMBER",
        "CN_USCC",
        "CN_PASSPORT",
        "CN_HMT_PERMIT",
        "HK_ID_CARD",
        "TW_ID_CARD",
        "CN_LICENSE_PLATE",
        "VIN",
        "IMEI",
        "MAC_ADDRESS",
        "IP_ADDRESS",
        "GPS_COORDINATE",
        "ADDRESS",
        "DATE_OF_BIRTH",
        "ORGANIZATION",
        "GENDER",
        "ETHNICITY",
        "RELIGION",
        "HEALTH_INFO",
        "BIOMETRIC",
        "CREDENTIAL",
        "DEVICE_ID",
        "FINANCIAL_ACCOUNT_INFO",
        "WECHAT_ID",
        "QQ_NUMBER",
    }
)

TOP_KEYS = {"version", "settings", "defaults", "recognizers", "info_types"}
SETTINGS_KEYS = {"probe_rows", "mixed", "free_text", "hint_vetoes"}
THRESHOLD_KEYS = {"share", "share_with_hint", "min_distinct_share", "text_cells", "text_share"}
THRESHOLD_KEYS |= {"text_valid_share"}
DEFAULT_KEYS = {"score", "hint_bonus", "preprocess", "cell_strip", "compact", "text"}
DEFAULT_KEYS |= {"requires_hint", "threshold"}
RECOGNIZER_KEYS = DEFAULT_KEYS | {"id", "info_type", "description", "patterns", "hints"}
RECOGNIZER_KEYS |= {"hints_not", "reject", "pair_with"}
PATTERN_KEYS = {"id", "regex", "validator", "hint_only"}


@dataclass(frozen=True)
class Pattern:
    """One regex of a recognizer and the validator its compacted matches go through."""

    id: str
    regex: str
    validator: str | None = None
    hint_only: bool = False  # counts only when the column name carries a hint
    check: Validator | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Threshold:
    """Shares a recognizer needs before fenji asserts its info type for a column."""

    share: float = 0.8
    share_with_hint: float = 0.5
    min_distinct_share: float = 0.0
    text_cells: int = 3
    text_share: float = 0.005
    text_valid_share: float = 0.5  # validated / regex matches in text: chance-level is noise


@dataclass(frozen=True)
class Recognizer:
    """How one info type is recognised: patterns, validators, hints and thresholds."""

    id: str
    info_type: str
    description: str
    score: float
    hint_bonus: float
    preprocess: tuple[str, ...]
    cell_strip: str | None
    compact: str
    text: bool
    requires_hint: bool
    patterns: tuple[Pattern, ...]
    hints: tuple[str, ...]
    hints_not: tuple[str, ...] = ()
    reject: str | None = None
    pair_with: str | None = None
    threshold: Threshold = Threshold()


@dataclass(frozen=True)
class Settings:
    """Column-level settings shared by all recognizers of a set."""

    probe_rows: int = 2000
    mixed_total_share: float = 0.8
    mixed_min_share: float = 0.1
    free_text_min_mean_chars: float = 10.0
    free_text_min_text_share: float = 0.3
    free_text_min_cell_chars: int = 6
    hint_vetoes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecognizerSet:
    """The recognizers of one pack plus the settings the column classifier applies."""

    recognizers: tuple[Recognizer, ...]
    settings: Settings
    source: str = ""

    def by_id(self, recognizer_id: str) -> Recognizer:
        """The recognizer with that id (``ConfigError`` listing the ids if there is none)."""
        for r in self.recognizers:
            if r.id == recognizer_id:
                return r
        raise ConfigError(
            f"{self.source}: no recognizer {recognizer_id!r}; "
            f"valid ids: {choices(r.id for r in self.recognizers)}"
        )

    def for_type(self, info_type: str) -> tuple[Recognizer, ...]:
        """The recognizers asserting ``info_type`` (empty when none does)."""
        return tuple(r for r in self.recognizers if r.info_type == info_type)


def _keys(where: str, data: Any, valid: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    unknown = set(data) - valid
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {choices(map(str, unknown))}; valid keys: {choices(valid)}"
        )
    return data


def _share(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigError(f"{where}: expected a number between 0 and 1, got {value!r}")
    return float(value)


def _count(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: expected a positive integer, got {value!r}")
    return value


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: expected a list of non-empty strings")
    return tuple(value)


def _threshold(where: str, data: Any, base: Threshold) -> Threshold:
    data = _keys(where, data or {}, THRESHOLD_KEYS)
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "text_cells":
            values[key] = _count(f"{where}.text_cells", value)
        else:
            values[key] = _share(f"{where}.{key}", value)
    return Threshold(**{**base.__dict__, **values})


def _settings(where: str, data: Any) -> Settings:
    data = _keys(where, data or {}, SETTINGS_KEYS)
    mixed = _keys(f"{where}.mixed", data.get("mixed") or {}, {"total_share", "min_share"})
    free = _keys(
        f"{where}.free_text",
        data.get("free_text") or {},
        {"min_mean_chars", "min_text_share", "min_cell_chars"},
    )
    probe = data.get("probe_rows", Settings.probe_rows)
    if isinstance(probe, bool) or not isinstance(probe, int) or probe < 100:
        raise ConfigError(f"{where}.probe_rows: expected an integer >= 100, got {probe!r}")
    mean_chars = free.get("min_mean_chars", Settings.free_text_min_mean_chars)
    if isinstance(mean_chars, bool) or not isinstance(mean_chars, int | float) or mean_chars < 1:
        raise ConfigError(f"{where}.free_text.min_mean_chars: expected a number >= 1")
    return Settings(
        probe_rows=probe,
        mixed_total_share=_share(
            f"{where}.mixed.total_share", mixed.get("total_share", Settings.mixed_total_share)
        ),
        mixed_min_share=_share(
            f"{where}.mixed.min_share", mixed.get("min_share", Settings.mixed_min_share)
        ),
        free_text_min_mean_chars=float(mean_chars),
        free_text_min_cell_chars=_count(
            f"{where}.free_text.min_cell_chars",
            free.get("min_cell_chars", Settings.free_text_min_cell_chars),
        ),
        free_text_min_text_share=_share(
            f"{where}.free_text.min_text_share",
            free.get("min_text_share", Settings.free_text_min_text_share),
        ),
        hint_vetoes=tuple(
            h.lower() for h in _strings(f"{where}.hint_vetoes", data.get("hint_vetoes"))
        ),
    )


def _pattern(where: str, data: Any, validators: Mapping[str, Validator]) -> Pattern:
    data = _keys(where, data, PATTERN_KEYS)
    if not isinstance(data.get("id"), str) or not data["id"]:
        raise ConfigError(f"{where}: every pattern needs an id")
    where = f"{where} {data['id']!r}"
    name = data.get("validator")
    if name is not None and name not in validators:
        raise ConfigError(
            f"{where}: unknown validator {name!r}; valid validators: {choices(validators)}"
        )
    return Pattern(
        id=data["id"],
        regex=_regex(f"{where}.regex", data.get("regex")),
        validator=name,
        hint_only=bool(data.get("hint_only", False)),
        check=validators[name] if name is not None else None,
    )


def _recognizer(
    where: str,
    data: Any,
    defaults: dict[str, Any],
    info_types: frozenset[str],
    validators: Mapping[str, Validator],
) -> Recognizer:
    data = _keys(where, data, RECOGNIZER_KEYS)
    rid = data.get("id")
    if not isinstance(rid, str) or not rid:
        raise ConfigError(f"{where}: every recognizer needs an id")
    where = f"{where.split(':')[0]}: recognizer {rid!r}"
    merged = {**defaults, **data}
    info_type = merged.get("info_type")
    if info_type not in info_types:
        raise ConfigError(
            f"{where}: unknown info_type {info_type!r}; valid info types: {choices(info_types)}"
        )
    preprocess = merged.get("preprocess", ["halfwidth", "trim"])
    compact = merged.get("compact", "alnum_upper")
    if not isinstance(preprocess, list):
        raise ConfigError(f"{where}.preprocess: expected a list of steps")
    for key, steps, table in (
        ("preprocess", preprocess, PREPROCESS),
        ("compact", [compact], COMPACT),
    ):
        for step in steps:
            if not isinstance(step, str) or step not in table:
                raise ConfigError(
                    f"{where}: unknown {key} step {step!r}; valid steps: {choices(table)}"
                )
    patterns = merged.get("patterns")
    if not isinstance(patterns, list):
        raise ConfigError(f"{where}: patterns must be a list (empty for column-name-only types)")
    built = tuple(_pattern(f"{where} pattern", p, validators) for p in patterns)
    if len({p.id for p in built}) != len(built):
        raise ConfigError(f"{where}: pattern ids must be unique")
    hints = _strings(f"{where}.hints", merged.get("hints"))
    if not built and not (hints and merged.get("requires_hint")):
        raise ConfigError(f"{where}: a recognizer without patterns needs hints and requires_hint")
    return Recognizer(
        id=rid,
        info_type=info_type,
        description=str(merged.get("description", "")).strip(),
        score=_share(f"{where}.score", merged.get("score", 0.8)),
        hint_bonus=_share(f"{where}.hint_bonus", merged.get("hint_bonus", 0.15)),
        preprocess=tuple(preprocess),
        cell_strip=(
            _regex(f"{where}.cell_strip", merged["cell_strip"])
            if merged.get("cell_strip")
            else None
        ),
        compact=compact,
        text=bool(merged.get("text", True)),
        requires_hint=bool(merged.get("requires_hint", False)),
        patterns=built,
        hints=tuple(h.lower() for h in hints),
        hints_not=tuple(h.lower() for h in _strings(f"{where}.hints_not", merged.get("hints_not"))),
        reject=_regex(f"{where}.reject", merged["reject"]) if merged.get("reject") else None,
        pair_with=merged.get("pair_with"),
        threshold=_threshold(f"{where}.threshold", data.get("threshold"), defaults["_threshold"]),
    )


GENERAL_PACK_FILE = (
    Path(__file__).resolve().parent.parent / "packs" / "general" / "recognizers.yaml"
)


@cache
def general_recognizers() -> RecognizerSet:
    """The general pack's recognizers (loaded once per process)."""
    return load_recognizers(GENERAL_PACK_FILE)


def default_validators() -> dict[str, Validator]:
    """The validator table YAML names are looked up in: check digits plus local checks."""
    from fenji.detect.validators import VALIDATORS

    return {**LOCAL_VALIDATORS, **VALIDATORS}


# libyaml's parser when PyYAML was built with it: several times faster on the packs' YAML.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Parsed default-validator sets by (file, mtime, size): a process scanning many tables (or a
# service) parses each pack once, and an edited file is read again.
_LOADED: dict[tuple[str, int, int], RecognizerSet] = {}


def load_recognizers(
    path: Path, validators: Mapping[str, Validator] | None = None
) -> RecognizerSet:
    """Read and validate a recognizers YAML file into a ``RecognizerSet``.

    ``validators`` replaces the default table (``fenji.detect.validators.VALIDATORS`` plus the
    local date and surname checks); every error names the file and the recognizer. With the
    default table the result is cached until the file changes.
    """
    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read recognizers file: {exc.strerror}") from None
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if validators is None and key in _LOADED:
        return _LOADED[key]
    rs = _load(path, default_validators() if validators is None else dict(validators))
    if validators is None:
        _LOADED[key] = rs
    return rs


def _load(path: Path, table: dict[str, Validator]) -> RecognizerSet:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read recognizers file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    where = str(path)
    data = _keys(where, data, TOP_KEYS)
    info_types = INFO_TYPES | set(_strings(f"{where}: info_types", data.get("info_types")))
    defaults = dict(_keys(f"{where}: defaults", data.get("defaults") or {}, DEFAULT_KEYS))
    defaults["_threshold"] = _threshold(
        f"{where}: defaults.threshold", defaults.pop("threshold", None), Threshold()
    )
    items = data.get("recognizers")
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{where}: 'recognizers' must be a non-empty list")
    with regexes_checked_together():
        recognizers = tuple(
            _recognizer(f"{where}: recognizers[{i}]", item, defaults, frozenset(info_types), table)
            for i, item in enumerate(items)
        )
    ids = [r.id for r in recognizers]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ConfigError(f"{where}: duplicate recognizer id(s) {choices(duplicates)}")
    for r in recognizers:
        if r.pair_with is not None and r.pair_with not in ids:
            raise ConfigError(
                f"{where}: recognizer {r.id!r}: pair_with {r.pair_with!r} is not a recognizer; "
                f"valid ids: {choices(ids)}"
            )
    settings = _settings(f"{where}: settings", data.get("settings"))
    return RecognizerSet(recognizers=recognizers, settings=settings, source=where)
