"""The operator table: name -> parameter schema + a function over one Polars column.

Operators take the whole input frame (``date_shift`` reads the individual's id column) and
return the new column; they never loop over rows in Python except over distinct values for
keyed cryptography (see ``fenji.deid.keys``). Parameters are checked when a profile is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
import polars as pl

from fenji.deid import pseudonym
from fenji.deid.generalize import KINDS, generalize
from fenji.deid.keys import HOW_TO, hmac_many, map_distinct, subkey
from fenji.deid.parsing import date_remainder, parse_dates, to_text
from fenji.errors import ConfigError, InputError, choices

Params = Mapping[str, Any]
Apply = Callable[[pl.DataFrame, str, Params, "bytes | None"], pl.Series]

# (keep_first, keep_last) per info type: ID 110***********4514, mobile 138****8000.
MASK_PRESETS: dict[str, tuple[int, int]] = {
    "CN_RESIDENT_ID": (3, 4),
    "CN_MOBILE_PHONE": (3, 4),
    "CN_LANDLINE_PHONE": (4, 2),
    "BANK_CARD_NUMBER": (6, 4),
    "PERSON_NAME": (1, 0),
    "CN_PASSPORT": (1, 3),
    "CN_HMT_PERMIT": (1, 3),
    "HK_ID_CARD": (1, 2),
    "TW_ID_CARD": (1, 3),
    "CN_USCC": (2, 4),
    "CN_LICENSE_PLATE": (2, 1),
    "VIN": (3, 4),
    "IMEI": (6, 2),
    "EMAIL_ADDRESS": (1, 0),  # applied to the part before '@'; the domain is kept
}


@dataclass(frozen=True)
class Operator:
    """One de-identification operator."""

    name: str
    schema: dict[str, Any]
    apply: Apply
    needs_key: bool = False
    summary: str = ""


def _obj(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


_INT0 = {"type": "integer", "minimum": 0}
_NUM = {"type": "number"}


def _need_key(key: bytes | None, operator: str) -> bytes:
    # Never fall back to an unkeyed hash: IDs and phone numbers are easy to enumerate.
    if key is None:
        raise InputError(f"operator {operator!r} needs a secret key: {HOW_TO}")
    return key


def _keep(frame: pl.DataFrame, column: str, params: Params, key: bytes | None) -> pl.Series:
    return frame[column]


def _mask(frame: pl.DataFrame, column: str, params: Params, key: bytes | None) -> pl.Series:
    preset = params.get("preset")
    first, last = MASK_PRESETS.get(preset or "", (0, 0))
    first = int(params.get("keep_first", first))
    last = int(params.get("keep_last", last))
    char = str(params.get("char", "*"))
    text = to_text(frame[column])
    v = pl.col("v")
    n = v.str.len_chars()
    # Both branches run on every row, so the padding length is clipped at 0.
    all_masked = pl.lit("").str.pad_end(n, char)
    middle = pl.lit("").str.pad_end((n - first - last).clip(0), char)
    partial = pl.concat_str([v.str.head(first), middle, v.str.tail(last)])
    expr = pl.when(n > first + last).then(partial).otherwise(all_masked)
    if preset == "EMAIL_ADDRESS":
        # Mask the local part to a fixed width so its length does not leak; keep the domain.
        local = v.str.extract(r"^([^@]*)@", 1)
        email = pl.concat_str(
            [local.str.head(first), pl.lit(char * 3), pl.lit("@"), v.str.extract(r"@(.*)$", 1)]
        )
        expr = pl.when(v.str.contains("@")).then(email).otherwise(expr)
    return pl.DataFrame({"v": text}).select(expr).to_series().alias(column)


def _redact(frame: pl.DataFrame, column: str, params: Params, key: bytes | None) -> pl.Series:
    text = str(params.get("text", "[REDACTED]"))
    col = frame[column]
    return (
        pl.DataFrame({"v": col})
        .select(pl.when(pl.col("v").is_not_null()).then(pl.lit(text)).alias(column))
        .to_series()
    )


def _compact(text: pl.Series) -> pl.Series:
    return text.str.replace_all(r"[\s\-.()（）]", "").str.to_uppercase()


def _hash(frame: pl.DataFrame, column: str, params: Params, key: bytes | None) -> pl.Series:
    key = _need_key(key, "hash")
    length = int(params.get("length", 64))
    prefix = str(params.get("prefix", ""))
    text = to_text(frame[column])
    if params.get("compact", False):
        text = _compact(text)
    hkey = subkey(key, "hash")

    def run(values: list[str]) -> list[str]:
        return [prefix + d.hex()[:length] for d in hmac_many(hkey, values)]

    return map_distinct(text, run, pl.Utf8).alias(column)


def _pseudonymize(frame: pl.DataFrame, column: str, params: Params, key: bytes | None) -> pl.Series:
    key = _need_key(key, "pseudonymize")
    return pseudonym.pseudonymize(frame[column], params, key).alias(column)


def _generalize(frame: pl.DataFrame, column: str, params: Params, key: bytes | None) -> pl.Series:
    return generalize(frame[column], params)


def suppressed_cells(frame: pl.DataFrame, column: str, params: Params) -> pl.Series:
    """Boolean mask of the cells ``suppress`` removes (all non-null, or the rare values)."""
    col = frame[column]
    min_count = params.get("min_count")
    if min_count is None:
        return col.is_not_null()
    counts = pl.DataFrame({"v": col}).select(pl.len().over("v")).to_series()
    return col.is_not_null() & (counts < int(min_count))


def _suppress(frame: pl.DataFrame, column: str, params: Params, key: bytes | None) -> pl.Series:
    mask = suppressed_cells(frame, column, params)
    return (
        pl.DataFrame({"v": frame[column], "m": mask})
        .select(pl.when(~pl.col("m")).then(pl.col("v")).alias(column))
        .to_series()
    )


def _date_shift(frame: pl.DataFrame, column: str, params: Params, key: bytes | None) -> pl.Series:
    key = _need_key(key, "date_shift")
    by = str(params["by"])
    if by not in frame.columns:
        raise InputError(
            f"date_shift of column {column!r}: 'by' names column {by!r}, which the input lacks; "
            f"columns: {choices(frame.columns)}"
        )
    max_days = int(params.get("max_days", 30))
    skey = subkey(key, "date_shift")

    def shifts(values: list[str]) -> list[int]:
        # Never 0: a zero shift would publish the true date of 1 in 2*max_days+1 people.
        out = []
        for d in hmac_many(skey, values):
            v = int.from_bytes(d[:8], "big") % (2 * max_days)
            out.append(v - max_days if v < max_days else v - max_days + 1)
        return out

    days = map_distinct(to_text(frame[by]), shifts, pl.Int64)
    original = frame[column]
    frame2 = pl.DataFrame({"v": original, "date": parse_dates(original), "d": days})
    if isinstance(original.dtype, pl.Datetime):
        return frame2.select(
            (pl.col("v") + pl.duration(days=pl.col("d"))).alias(column)
        ).to_series()
    shifted = frame2.select(pl.col("date") + pl.duration(days=pl.col("d"))).to_series()
    if original.dtype == pl.Date:
        return shifted.alias(column)
    text = shifted.dt.strftime("%Y-%m-%d") + date_remainder(original).fill_null("")
    return text.alias(column)


_KIND_SCHEMAS: dict[str, dict[str, Any]] = {
    "id_number": _obj(
        {
            "to": {"enum": ["region", "birth_year", "birth_decade", "age_band"]},
            "digits": {"enum": [2, 4, 6]},
            "width": {"type": "integer", "minimum": 1, "maximum": 100},
            "as_of": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
            "top": _NUM,
        },
        ("to",),
    ),
    "date": _obj({"to": {"enum": ["month", "year", "decade"]}}, ("to",)),
    "number": _obj(
        {
            "width": {"type": "number", "exclusiveMinimum": 0},
            "origin": _NUM,
            "bottom": _NUM,
            "top": _NUM,
        },
        ("width",),
    ),
    "gps": _obj(
        {
            "decimals": {"type": "integer", "minimum": 0, "maximum": 8},
            "geohash": {"type": "integer", "minimum": 1, "maximum": 12},
        }
    ),
    "address": _obj({"to": {"enum": ["province", "city", "district"]}}, ("to",)),
    "prefix": _obj({"keep": _INT0, "pad": {"type": "string", "maxLength": 1}}, ("keep",)),
    "map": _obj(
        {
            "mapping": {"type": "object", "additionalProperties": {"type": "string"}},
            "default": {"type": "string"},
        },
        ("mapping",),
    ),
}
assert set(_KIND_SCHEMAS) == set(KINDS)

OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("keep", _obj({}), _keep, summary="leave the column as it is"),
        Operator(
            "mask",
            _obj(
                {
                    "keep_first": _INT0,
                    "keep_last": _INT0,
                    "char": {"type": "string", "minLength": 1, "maxLength": 1},
                    "preset": {"enum": sorted(MASK_PRESETS)},
                }
            ),
            _mask,
            summary="replace the middle characters with a mask character",
        ),
        Operator(
            "redact",
            _obj({"text": {"type": "string"}}),
            _redact,
            summary="replace every value with one fixed text",
        ),
        Operator(
            "hash",
            _obj(
                {
                    "length": {"type": "integer", "minimum": 16, "maximum": 64},
                    "prefix": {"type": "string"},
                    "compact": {"type": "boolean"},
                }
            ),
            _hash,
            needs_key=True,
            summary="HMAC-SHA256 of the value under the secret key, hex",
        ),
        Operator(
            "pseudonymize",
            _obj(
                {
                    "format": {"enum": list(pseudonym.FORMATS)},
                    "length": {"type": "integer", "minimum": 8, "maximum": 64},
                    "prefix": {"type": "string"},
                    "keep_region": {"type": "boolean"},
                    "on_invalid": {"enum": ["token", "null"]},
                }
            ),
            _pseudonymize,
            needs_key=True,
            summary="stable keyed surrogate; format-kept (reversible) for IDs, phones, cards",
        ),
        Operator(
            "generalize",
            {
                "type": "object",
                "properties": {"kind": {"enum": sorted(KINDS)}},
                "required": ["kind"],
            },
            _generalize,
            summary="coarser values: region, birth year, age band, month, bins, geohash ...",
        ),
        Operator(
            "date_shift",
            _obj(
                {
                    "by": {"type": "string", "minLength": 1},
                    "max_days": {"type": "integer", "minimum": 1, "maximum": 3650},
                },
                ("by",),
            ),
            _date_shift,
            needs_key=True,
            summary="move dates by a keyed per-individual offset (never 0)",
        ),
        Operator(
            "suppress",
            _obj(
                {
                    "scope": {"enum": ["cell", "record"]},
                    "min_count": {"type": "integer", "minimum": 2},
                }
            ),
            _suppress,
            summary="blank cells (or drop records): all values, or values rarer than min_count",
        ),
    )
}


def validate_params(operator: str, params: Any, where: str) -> dict[str, Any]:
    """Check an operator name and its parameters; return them as a plain dict.

    ``where`` names the profile file and column for the error message.
    """
    if operator not in OPERATORS:
        raise ConfigError(
            f"{where}: unknown operator {operator!r}; valid operators: {choices(OPERATORS)}"
        )
    params = {} if params is None else params
    if not isinstance(params, Mapping):
        raise ConfigError(f"{where}: params of operator {operator!r} must be a mapping")
    params = dict(params)
    _check(OPERATORS[operator].schema, params, f"{where}: operator {operator!r}")
    if operator == "generalize":
        kind = params["kind"]
        _check(
            _KIND_SCHEMAS[kind],
            {k: v for k, v in params.items() if k != "kind"},
            f"{where}: generalize kind {kind!r}",
        )
        if kind == "gps" and ("decimals" in params) == ("geohash" in params):
            raise ConfigError(
                f"{where}: generalize kind 'gps' needs exactly one of decimals, geohash"
            )
        bottom, top = params.get("bottom"), params.get("top")
        if bottom is not None and top is not None and bottom >= top:
            raise ConfigError(f"{where}: generalize kind 'number': bottom must be below top")
    if operator == "suppress" and params.get("scope") == "record" and "min_count" not in params:
        raise ConfigError(
            f"{where}: suppress with scope 'record' needs min_count (records "
            "holding a value rarer than min_count are dropped)"
        )
    return params


def _check(schema: dict[str, Any], params: dict[str, Any], where: str) -> None:
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(schema).iter_errors(params))
    if error is None:
        return
    field = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = choices(schema.get("properties", {}))
        raise ConfigError(f"{where}: {error.message}; valid parameters: {allowed or '(none)'}")
    if error.validator == "enum":
        valid = choices(map(str, error.validator_value))
        raise ConfigError(f"{where}: parameter {field!r} must be one of {valid}")
    label = f"parameter {field!r}: " if field else ""
    raise ConfigError(f"{where}: {label}{error.message}")
