"""Vectorised check-digit validators, looked up by name from recognizer YAML.

``VALIDATORS`` maps a validator name to a function taking a String series of compacted candidates
(ASCII digits and letters; lower case accepted; nulls allowed) and returning a Float64 series of
the same length with a confidence in [0, 1]: 0 means invalid, null or wrong length. Everything is
whole-column work (Arrow buffer -> numpy matrix, or Polars' Rust regex); no per-value Python.

>>> import polars as pl
>>> VALIDATORS["cn_ric18"](pl.Series(["11010519491231002X", "110105194912310021", None])).to_list()
[1.0, 0.0, 0.0]
>>> get_validator("bank_card")(pl.Series(["6222021001123456789", "4380880012345671"])).to_list()
[1.0, 0.9]
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import polars as pl

from fenji.detect.validators_cn import (
    birth_dates,
    cn_hmt_permit,
    cn_mobile,
    cn_passport,
    cn_plate,
    cn_ric,
    cn_ric15,
    cn_ric18,
    cn_uscc,
)
from fenji.detect.validators_core import (
    ALNUM,
    DIGITS_X,
    Block,
    BoolArray,
    FloatArray,
    IntArray,
    all_digits,
    as_text,
    byte_lengths,
    digits,
    fixed_width_scores,
    lookup,
    luhn_ok,
    mod,
    pick,
    scored,
    tier,
    weighted,
)
from fenji.errors import ConfigError, choices
from fenji.ids import tw_id as _tw_id
from fenji.ids import vin as _vin

__all__ = ["VALIDATORS", "Validator", "birth_dates", "get_validator"]

Validator = Callable[[pl.Series], pl.Series]

BANK_CARD_UNIONPAY = 1.0  # Luhn holds and the BIN is China UnionPay's 62
BANK_CARD_OTHER = 0.9
LUHN_WIDTHS = range(2, 33)  # generic Luhn: any digit string up to 32 characters

_VIN = lookup({**{str(d): d for d in range(10)}, **_vin.TRANSLITERATION})
_VIN_WEIGHTS = np.array(_vin.WEIGHTS, dtype=np.int16)
_HK_CHECK = lookup({**{str(d): d for d in range(10)}, "A": 10})
_HK_WEIGHTS = np.array([7, 6, 5, 4, 3, 2], dtype=np.int16)  # the six digits
_HK_LETTER_WEIGHTS = np.array([9, 8], dtype=np.int16)
_TW_LETTER = lookup(_tw_id.LETTER_VALUES)
_TW_WEIGHTS = np.array([8, 7, 6, 5, 4, 3, 2, 1, 1], dtype=np.int16)  # digits 2-10
_BANK_CARD_SCORES = (0.0, BANK_CARD_OTHER, BANK_CARD_UNIONPAY)


def _luhn_parts(
    values: pl.Series, widths: range, score: Callable[[Block, BoolArray], FloatArray]
) -> list[tuple[IntArray, FloatArray]]:
    """(rows, scores) for each width present; one matrix per width, never a loop per value."""
    lengths = byte_lengths(values)
    counts = np.bincount(np.clip(lengths, 0, widths.stop), minlength=widths.stop + 1)
    return [
        fixed_width_scores(values, lengths, width, lambda b: score(b, luhn_ok(digits(b))))
        for width in widths
        if counts[width]
    ]


def _luhn_score(block: Block, ok: BoolArray) -> FloatArray:
    return ok.astype(np.float64)


def _bank_card_score(block: Block, ok: BoolArray) -> FloatArray:
    unionpay = (block[0] == ord("6")) & (block[1] == ord("2"))
    return pick(_BANK_CARD_SCORES, tier(ok, unionpay))


def luhn(values: pl.Series) -> pl.Series:
    """1.0 where a 2-32 digit string passes the Luhn check."""
    values = as_text(values)
    return scored(values, *_luhn_parts(values, LUHN_WIDTHS, _luhn_score))


def bank_card(values: pl.Series) -> pl.Series:
    """16-19 digits passing Luhn: 1.0 for a UnionPay BIN (62), 0.9 otherwise."""
    values = as_text(values)
    return scored(values, *_luhn_parts(values, range(16, 20), _bank_card_score))


def imei(values: pl.Series) -> pl.Series:
    """1.0 where a 15-digit string passes Luhn (IMEI with check digit)."""
    values = as_text(values)
    return scored(values, *_luhn_parts(values, range(15, 16), _luhn_score))


def _vin_block(block: Block) -> FloatArray:
    v = _VIN.take(block)
    check = DIGITS_X.take(block[8])
    ok = (v.min(axis=0) >= 0) & (check >= 0) & (mod(weighted(_VIN_WEIGHTS, v), 11) == check)
    return ok.astype(np.float64)


def vin(values: pl.Series) -> pl.Series:
    """1.0 where a 17-character VIN (no I/O/Q) has a correct position-9 check character."""
    values = as_text(values)
    return scored(values, fixed_width_scores(values, byte_lengths(values), 17, _vin_block))


def _hk_block(block: Block, letters: int) -> FloatArray:
    head = ALNUM.take(block[:letters])
    body = digits(block[letters : letters + 6])
    check = _HK_CHECK.take(block[-1])
    ok = (head.min(axis=0) >= 10) & all_digits(body) & (check >= 0)
    # A single letter is preceded by an implied space worth 36 (weight 9).
    lead = weighted(_HK_LETTER_WEIGHTS[2 - letters :], head) + (36 * 9 if letters == 1 else 0)
    total = lead + weighted(_HK_WEIGHTS, body) + check
    return (ok & (mod(total, 11) == 0)).astype(np.float64)


def hk_id(values: pl.Series) -> pl.Series:
    """1.0 where a Hong Kong ID (1-2 letters, 6 digits, check 0-9/A) passes its mod 11 check."""
    values = as_text(values)
    lengths = byte_lengths(values)
    return scored(
        values,
        *(
            fixed_width_scores(values, lengths, letters + 7, partial(_hk_block, letters=letters))
            for letters in (1, 2)
        ),
    )


def _tw_block(block: Block) -> FloatArray:
    letter = _TW_LETTER.take(block[0])
    body = digits(block[1:])
    ok = (letter >= 0) & all_digits(body) & ((body[0] == 1) | (body[0] == 2))
    total = letter // 10 + mod(letter, 10) * 9 + weighted(_TW_WEIGHTS, body)
    return (ok & (mod(total, 10) == 0)).astype(np.float64)


def tw_id(values: pl.Series) -> pl.Series:
    """1.0 where a Taiwan ID (letter, 1/2, 8 digits) passes its mod 10 check."""
    values = as_text(values)
    return scored(values, fixed_width_scores(values, byte_lengths(values), 10, _tw_block))


VALIDATORS: dict[str, Validator] = {
    "cn_ric": cn_ric,
    "cn_ric18": cn_ric18,
    "cn_ric15": cn_ric15,
    "cn_uscc": cn_uscc,
    "cn_mobile": cn_mobile,
    "cn_passport": cn_passport,
    "cn_hmt_permit": cn_hmt_permit,
    "cn_plate": cn_plate,
    "luhn": luhn,
    "bank_card": bank_card,
    "imei": imei,
    "vin": vin,
    "hk_id": hk_id,
    "tw_id": tw_id,
}


def get_validator(name: str, where: str = "recognizer") -> Validator:
    """The validator called ``name``; else ``ConfigError`` naming ``where`` and the valid names."""
    try:
        return VALIDATORS[name]
    except KeyError:
        raise ConfigError(
            f"{where}: unknown validator {name!r}; valid validators: {choices(VALIDATORS)}"
        ) from None
