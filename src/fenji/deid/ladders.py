"""Generalisation ladders: for each quasi-identifier, the steps the k-anonymity search may take.

Step 0 keeps the column, the last step suppresses it; each step in between is a ``generalize``
rule, coarser than the one before and a function of it (so equivalence classes only merge).
Which ladder a column gets comes from its info type, else from sniffing its values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from fenji.deid.generalize import _ADDRESS, _PAIR, nice_width
from fenji.deid.parsing import parse_dates, parse_numbers, to_text

# Info types whose values have a structure worth generalising along.
KIND_BY_INFO_TYPE = {
    "CN_RESIDENT_ID": "id_number",
    "DATE_OF_BIRTH": "date",
    "GPS_COORDINATE": "gps",
    "ADDRESS": "address",
}
_SNIFF_ROWS = 20_000
_SHARE = 0.9  # share of non-empty values that must parse for a kind to be chosen


@dataclass(frozen=True)
class Step:
    """One rung of a ladder: an operator with parameters, and a short label for reports."""

    operator: str
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True)
class Ladder:
    """All generalisation steps of one quasi-identifier, finest first."""

    column: str
    kind: str
    steps: tuple[Step, ...]

    @property
    def top(self) -> int:
        """Index of the last step (full suppression)."""
        return len(self.steps) - 1


def infer_kind(series: pl.Series, info_types: Sequence[str] = ()) -> str:
    """The generalisation kind for a column: from its info type, else from its values."""
    for info_type in info_types[:1]:
        if info_type in KIND_BY_INFO_TYPE:
            return KIND_BY_INFO_TYPE[info_type]
    values = series.drop_nulls().head(_SNIFF_ROWS)
    if values.len() == 0:
        return "categorical"
    distinct = values.n_unique()
    if values.dtype.is_numeric():
        return "number" if distinct > 12 else "categorical"
    if isinstance(values.dtype, pl.Datetime) or values.dtype == pl.Date:
        return "date"
    text = to_text(values).str.strip_chars()
    text = text.filter(text != "")
    if text.len() == 0:
        return "categorical"

    def share(mask: pl.Series) -> float:
        return float(mask.fill_null(False).cast(pl.Float64).to_numpy().mean())

    if share(parse_dates(text).is_not_null()) >= _SHARE:
        return "date"
    if share(text.str.contains(_PAIR)) >= _SHARE:
        return "gps"
    lengths = text.str.len_chars()
    modal = _modal_length(text)
    digits = text.str.contains(r"^\d+$")
    fixed = share(lengths == modal) >= 0.95 and modal >= 3
    if share(digits) >= _SHARE and fixed and (modal >= 4 or share(text.str.starts_with("0")) > 0):
        return "prefix"  # codes such as postcodes or region codes, not quantities
    if share(parse_numbers(text).is_not_null()) >= _SHARE and distinct > 12:
        return "number"
    if share(text.str.extract(_ADDRESS, 0).str.len_chars() >= 3) >= 0.8:
        return "address"
    if fixed and share(text.str.contains(r"^[0-9A-Za-z]+$")) >= _SHARE:
        return "prefix"
    return "categorical"


def build_ladder(
    series: pl.Series, info_types: Sequence[str] = (), *, as_of: date | None = None
) -> Ladder:
    """The ladder of one quasi-identifier column (``as_of`` reserved for age bands)."""
    kind = infer_kind(series, info_types)
    keep = Step("keep", {}, "kept")
    inner = _inner_steps(series, kind)
    suppress = Step("suppress", {}, "suppressed")
    return Ladder(series.name, kind, (keep, *inner, suppress))


def _modal_length(text: pl.Series) -> int:
    lengths = text.str.len_chars().drop_nulls().to_numpy()
    return int(np.bincount(lengths).argmax()) if lengths.size else 0


def _gen(label: str, **params: Any) -> Step:
    return Step("generalize", params, label)


def _inner_steps(series: pl.Series, kind: str) -> tuple[Step, ...]:
    if kind == "id_number":
        return tuple(
            _gen(f"region {d} digits", kind="id_number", to="region", digits=d) for d in (6, 4, 2)
        )
    if kind == "date":
        return tuple(
            _gen(f"date to {to}", kind="date", to=to) for to in ("month", "year", "decade")
        )
    if kind == "address":
        return tuple(
            _gen(f"address to {to}", kind="address", to=to)
            for to in ("district", "city", "province")
        )
    if kind == "gps":
        if series.dtype.is_numeric():
            return tuple(_gen(f"{d} decimals", kind="gps", decimals=d) for d in (4, 3, 2, 1, 0))
        return tuple(_gen(f"geohash {p}", kind="gps", geohash=p) for p in (7, 6, 5, 4, 3))
    if kind == "prefix":
        length = _modal_length(to_text(series.drop_nulls().head(_SNIFF_ROWS)))
        keeps = range(length - 1, max(0, length - 6), -1)
        return tuple(_gen(f"first {n} characters", kind="prefix", keep=n) for n in keeps)
    if kind == "number":
        return _number_steps(series)
    return ()


def _number_steps(series: pl.Series) -> tuple[Step, ...]:
    values = parse_numbers(series).drop_nulls().drop_nans()
    if values.len() == 0:
        return ()
    arr = values.to_numpy()
    low, high = (float(q) for q in np.quantile(arr, [0.01, 0.99]))
    width = nice_width(high - low, 20)
    coarsest = 8 * width
    # Tails are coded at multiples of the coarsest width, so every step keeps the same cut
    # points and coarser bins stay unions of finer ones.
    bottom: float | None = math.floor(low / coarsest) * coarsest
    top: float | None = math.ceil(high / coarsest) * coarsest
    if bottom is not None and bottom <= float(arr.min()):
        bottom = None
    if top is not None and top > float(arr.max()):
        top = None
    steps = []
    for factor in (1, 2, 4, 8):
        w = width * factor
        params: dict[str, Any] = {"kind": "number", "width": _clean(w)}
        if bottom is not None:
            params["bottom"] = _clean(bottom)
        if top is not None:
            params["top"] = _clean(top)
        steps.append(Step("generalize", params, f"bins of {_clean(w)}"))
    return tuple(steps)


def _clean(value: float) -> float | int:
    """Integers as int (tidy YAML and labels), other numbers rounded off float noise."""
    return int(value) if float(value).is_integer() else round(value, 10)


def level_of(ladder: Ladder, operator: str, params: Mapping[str, Any]) -> int | None:
    """Index of the step equal to (operator, params) in the ladder, or None."""
    for i, step in enumerate(ladder.steps):
        if step.operator == operator and dict(step.params) == dict(params):
            return i
    return None
