"""Identifiers ready for matching: checked by the scan's detectors, in one canonical form.

Two parties only find a shared customer if both wrote the identifier the same way, so each side
normalises by info type with ``fenji.detect.normalize`` (mobile numbers without ``+86`` and
separators, ID numbers upper-cased, e-mails lower-cased, full-width digits folded) and keeps
only values the type's validators accept. The column must really hold that type: the column
classifier names the type when ``--type`` is not given, and too few valid values is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fenji.detect.column import classify_frame
from fenji.detect.normalize import normalize, valid_mask
from fenji.detect.recognizer import general_recognizers
from fenji.errors import InputError, choices

# Info types that identify one person or thing and have a canonical form (a validator-backed
# pattern in the general pack): the ones worth matching. Names, addresses and dates are left
# out on purpose: they are neither unique nor canonical, so matching them gives false pairs.
MATCHABLE_TYPES: tuple[str, ...] = (
    "BANK_CARD_NUMBER",
    "CN_HMT_PERMIT",
    "CN_LANDLINE_PHONE",
    "CN_LICENSE_PLATE",
    "CN_MOBILE_PHONE",
    "CN_PASSPORT",
    "CN_RESIDENT_ID",
    "CN_USCC",
    "EMAIL_ADDRESS",
    "HK_ID_CARD",
    "IMEI",
    "IP_ADDRESS",
    "MAC_ADDRESS",
    "TW_ID_CARD",
    "VIN",
)

# Below this share of valid values the column is not taken to hold the type at all.
MIN_VALID_SHARE = 0.5
_DETECT_ROWS = 2000


@dataclass(frozen=True)
class Identifiers:
    """One party's distinct identifiers in canonical form, with counts (never values) to show."""

    info_type: str
    column: str
    values: pl.Series  # distinct canonical identifiers (Utf8); the party's own data
    rows: int  # rows read
    empty: int  # null or blank cells
    invalid: int  # non-empty cells the validators reject (dropped)
    duplicates: int  # valid cells repeating an identifier already counted

    @property
    def size(self) -> int:
        """Number of distinct identifiers that take part in matching."""
        return self.values.len()


def detect_type(values: pl.Series, column: str) -> str:
    """The matchable info type the column classifier asserts for ``values`` (best first)."""
    sample = values.head(_DETECT_ROWS).alias(column)
    hits = classify_frame(sample.to_frame(), general_recognizers()).get(column, ())
    for hit in hits:
        if hit.type in MATCHABLE_TYPES:
            return hit.type
    found = ", ".join(h.type for h in hits) or "no personal information"
    raise InputError(
        f"column {column!r}: cannot tell which identifier it holds (detected: {found}); "
        f"pass --type, one of: {choices(MATCHABLE_TYPES)}"
    )


def prepare(values: pl.Series, column: str, info_type: str | None = None) -> Identifiers:
    """Validate and normalise a column of identifiers for matching.

    ``info_type`` defaults to what the column classifier detects. Invalid values are dropped
    and counted; if fewer than ``MIN_VALID_SHARE`` of the non-empty values are valid the column
    does not hold that type and ``InputError`` says so (with counts, never values).
    """
    if info_type is not None and info_type not in MATCHABLE_TYPES:
        raise InputError(
            f"--type {info_type!r} is not matchable; valid: {choices(MATCHABLE_TYPES)}"
        )
    text = values.cast(pl.String, strict=False).alias(column)
    filled = text.str.strip_chars().str.len_chars().fill_null(0) > 0
    non_empty = int(filled.sum())
    if non_empty == 0:
        raise InputError(f"column {column!r}: no values to match (all {text.len()} cells empty)")
    kind = info_type or detect_type(text.filter(filled), column)
    ok = valid_mask(text, kind)
    valid = int(ok.sum())
    if valid < MIN_VALID_SHARE * non_empty:
        raise InputError(
            f"column {column!r} does not hold {kind} values: {valid} of {non_empty} non-empty "
            f"cells are valid (at least {MIN_VALID_SHARE:.0%} needed); check --column and --type"
        )
    canon = normalize(text.filter(ok), kind)
    distinct = canon.unique(maintain_order=False).sort()
    return Identifiers(
        info_type=kind,
        column=column,
        values=distinct,
        rows=text.len(),
        empty=text.len() - non_empty,
        invalid=non_empty - valid,
        duplicates=valid - distinct.len(),
    )


def canonical_keys(values: pl.Series, info_type: str) -> pl.Series:
    """Canonical form of each value, null where the value is not a valid ``info_type``.

    Used to join a party's rows with its own PSI result (both sides in the same form).
    """
    text = values.cast(pl.String, strict=False)
    ok = valid_mask(text, info_type)
    canon = normalize(text, info_type)
    return pl.select(pl.when(pl.lit(ok)).then(pl.lit(canon))).to_series().alias(values.name)


def filter_within(
    df: pl.DataFrame, key: str, within: pl.Series, info_type: str | None = None
) -> tuple[pl.DataFrame, str]:
    """Rows of ``df`` whose ``key`` identifier is in this party's own PSI result ``within``.

    Both sides are normalised with the same info type (detected on ``key`` when not given), so
    ``+86 138 0013 8000`` in the data matches ``13800138000`` in the result. Returns the rows and
    the info type used.
    """
    if key not in df.columns:
        raise InputError(f"--id-column {key!r}: not a column read; columns: {choices(df.columns)}")
    kind = info_type or detect_type(df.get_column(key).drop_nulls(), key)
    keys = canonical_keys(df.get_column(key), kind)
    wanted = canonical_keys(within, kind).drop_nulls().unique()
    return df.filter(keys.is_in(wanted.implode()).fill_null(False)), kind
