"""Generalisation kinds: each turns a column into coarser text, vectorised with Polars.

Every kind is a pure function of the original value, and the steps used by the k-anonymity
search (``fenji.deid.ladders``) are nested: a coarser step is a function of the finer one.
Values a kind cannot parse become null (a suppressed cell, counted in the utility report).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import polars as pl

from fenji.deid import geohash
from fenji.deid.parsing import format_numbers, parse_dates, parse_numbers, to_text

Params = Mapping[str, Any]

# GB 11643: 6-digit administrative region, 8-digit birth date, 3-digit sequence, check digit;
# the first-generation 15-digit number has a 6-digit birth date (19YYMMDD) and no check digit.
_ID18 = r"^(\d{6})(\d{8})\d{3}[\dX]$"
_ID15 = r"^(\d{6})(\d{6})\d{3}$"

# Chinese administrative divisions, read from the start of an address (Rust regex, no
# lookaround): province (or municipality), prefecture-level city, county-level district.
_MUNICIPALITY = "北京市|上海市|天津市|重庆市"
_PROVINCE = (
    rf"(?:{_MUNICIPALITY}|[^省市区县]{{2,}}?省|[^省市区县]{{2,}}?自治区"
    r"|香港特别行政区|澳门特别行政区)"
)
_CITY = r"(?:[^省市区县]+?(?:市|自治州|地区|盟))"
_DISTRICT = r"(?:[^省市区县]+?(?:区|县|市|旗))"
_ADDRESS = rf"^\s*({_PROVINCE})?({_CITY})?({_DISTRICT})?"


def _frame(series: pl.Series) -> pl.DataFrame:
    return pl.DataFrame({"v": series})


def _id_parts(series: pl.Series) -> pl.DataFrame:
    """Region code and birth date of each resident ID number (null when malformed)."""
    text = to_text(series).str.strip_chars().str.to_uppercase()
    new = text.str.extract_groups(_ID18).struct.unnest()
    old = text.str.extract_groups(_ID15).struct.unnest()
    region = new["1"].fill_null(old["1"])
    birth = new["2"].fill_null(pl.lit("19") + old["2"] if old.height else old["2"])
    return pl.DataFrame({"region": region, "birth": parse_dates(birth)})


def _bands(values: pl.Series, width: float, origin: float, bottom: Any, top: Any) -> pl.Series:
    """Half-open interval labels '[lo,hi)', with '<bottom' and '>=top' for coded tails."""
    integral = float(width).is_integer() and float(origin).is_integer()
    lo = ((values - origin) / width).floor() * width + origin
    lo_text = format_numbers(lo, integral)
    hi_text = format_numbers(lo + width, integral)
    expr = pl.concat_str([pl.lit("["), pl.col("lo"), pl.lit(","), pl.col("hi"), pl.lit(")")])
    if top is not None:
        top_label = ">=" + _num_text(top)
        expr = pl.when(pl.col("x") >= top).then(pl.lit(top_label)).otherwise(expr)
    if bottom is not None:
        bottom_label = "<" + _num_text(bottom)
        expr = pl.when(pl.col("x") < bottom).then(pl.lit(bottom_label)).otherwise(expr)
    frame = pl.DataFrame({"x": values, "lo": lo_text, "hi": hi_text})
    return frame.select(pl.when(pl.col("x").is_not_null()).then(expr)).to_series()


def _num_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _id_number(series: pl.Series, params: Params) -> pl.Series:
    parts = _id_parts(series)
    to = params["to"]
    if to == "region":
        digits = int(params.get("digits", 6))
        # Region codes of coarser divisions end in zeros: 110101 -> 110100 (city) -> 110000.
        return parts["region"].str.slice(0, digits) + "0" * (6 - digits)
    birth = parts["birth"]
    if to == "birth_year":
        return birth.dt.year().cast(pl.Utf8)
    if to == "birth_decade":
        return _decade(birth)
    as_of = date.fromisoformat(str(params.get("as_of") or date.today().isoformat()))
    before = (birth.dt.month() > as_of.month) | (
        (birth.dt.month() == as_of.month) & (birth.dt.day() > as_of.day)
    )
    age = (as_of.year - birth.dt.year().cast(pl.Int32) - before.cast(pl.Int32)).cast(pl.Float64)
    return _bands(age, float(params.get("width", 10)), 0.0, None, params.get("top"))


def _decade(dates: pl.Series) -> pl.Series:
    start = (dates.dt.year() // 10 * 10).cast(pl.Utf8)
    end = (dates.dt.year() // 10 * 10 + 9).cast(pl.Utf8)
    return start + "-" + end


def _date(series: pl.Series, params: Params) -> pl.Series:
    dates = parse_dates(series)
    to = params["to"]
    if to == "month":
        return dates.dt.strftime("%Y-%m")
    if to == "year":
        return dates.dt.year().cast(pl.Utf8)
    return _decade(dates)


def _number(series: pl.Series, params: Params) -> pl.Series:
    values = parse_numbers(series)
    return _bands(
        values,
        float(params["width"]),
        float(params.get("origin", 0)),
        params.get("bottom"),
        params.get("top"),
    )


_PAIR = r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*[,\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$"


def _gps(series: pl.Series, params: Params) -> pl.Series:
    if series.dtype.is_numeric():
        if "geohash" in params:
            return pl.Series(series.name, [None] * series.len(), dtype=pl.Utf8)
        return _truncate(series.cast(pl.Float64), int(params["decimals"]))
    pair = to_text(series).str.extract_groups(_PAIR).struct.unnest()
    lat = pair["1"].cast(pl.Float64, strict=False)
    lng = pair["2"].cast(pl.Float64, strict=False)
    ok = (lat.abs() <= 90) & (lng.abs() <= 180)
    lat = _frame(lat).select(pl.when(ok).then(pl.col("v"))).to_series()
    if "geohash" in params:
        return geohash.encode(lat, lng, int(params["geohash"]))
    decimals = int(params["decimals"])
    return _truncate(lat, decimals) + "," + _truncate(lng, decimals)


def _truncate(values: pl.Series, decimals: int) -> pl.Series:
    """Floor to ``decimals`` places (floor, not round, so coarser steps nest in finer ones)."""
    scale = 10.0**decimals
    cut = (values * scale + 1e-9).floor() / scale
    return format_numbers(cut.round(decimals), decimals == 0)


def _address(series: pl.Series, params: Params) -> pl.Series:
    parts = to_text(series).str.extract_groups(_ADDRESS).struct.unnest()
    province = parts["1"].fill_null("")
    city = parts["2"].fill_null("")
    district = parts["3"].fill_null("")
    frame = pl.DataFrame({"p": province, "c": city, "d": district})
    municipality = pl.col("p").str.contains(f"^(?:{_MUNICIPALITY})$")
    to = params["to"]
    if to == "province":
        out = pl.col("p")
    elif to == "city":
        # A municipality is its own city; otherwise the coarsest level found stands in.
        out = pl.when(municipality).then(pl.col("p")).otherwise(pl.col("p") + pl.col("c"))
    else:
        out = pl.col("p") + pl.col("c") + pl.col("d")
    result = frame.select(out.alias("v")).to_series()
    return result.replace("", None).alias(series.name)


def _prefix(series: pl.Series, params: Params) -> pl.Series:
    keep = int(params["keep"])
    pad = str(params.get("pad", "*"))
    text = to_text(series).str.strip_chars()
    if not pad:
        return text.str.slice(0, keep)
    v = pl.col("v")
    return _frame(text).select(v.str.head(keep).str.pad_end(v.str.len_chars(), pad)).to_series()


def _map(series: pl.Series, params: Params) -> pl.Series:
    mapping = {str(k): str(v) for k, v in dict(params["mapping"]).items()}
    default = params.get("default", "keep")
    text = to_text(series)
    if default == "keep":
        return text.replace(mapping)
    mapped = text.replace_strict(mapping, default=str(default), return_dtype=pl.Utf8)
    return _frame(mapped).select(pl.when(text.is_not_null()).then(pl.col("v"))).to_series()


KINDS: dict[str, Callable[[pl.Series, Params], pl.Series]] = {
    "id_number": _id_number,
    "date": _date,
    "number": _number,
    "gps": _gps,
    "address": _address,
    "prefix": _prefix,
    "map": _map,
}


def generalize(series: pl.Series, params: Params) -> pl.Series:
    """Generalise a column with ``params['kind']`` (validated by the profile loader).

    Long columns with repeated values are generalised once per distinct value and joined
    back (dates, codes and categories repeat a lot; parsing is the expensive part).
    """
    kind = KINDS[params["kind"]]
    if series.len() >= _DISTINCT_FROM:
        distinct = series.unique()
        if distinct.len() * 2 <= series.len():
            mapping = pl.DataFrame({"v": distinct, "o": kind(distinct, params).cast(pl.Utf8)})
            joined = series.to_frame("v").join(
                mapping, on="v", how="left", nulls_equal=True, maintain_order="left"
            )
            return joined["o"].alias(series.name)
    # Nulls in the input stay null; everything else is text.
    return kind(series, params).cast(pl.Utf8).alias(series.name)


_DISTINCT_FROM = 10_000


def nice_width(span: float, bins: int) -> float:
    """A round bin width (1, 2 or 5 times a power of ten) giving at most ``bins`` bins."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / bins
    power = 10.0 ** math.floor(math.log10(raw))
    for step in (1.0, 2.0, 5.0, 10.0):
        if step * power >= raw:
            return step * power
    return 10.0 * power
