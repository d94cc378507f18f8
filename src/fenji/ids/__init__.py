"""Identifier modules in python-stdnum style: ``compact``, ``validate``, ``is_valid``.

One module per identifier: ``cn_ric`` (resident ID, wraps ``stdnum.cn.ric``), ``cn_uscc`` (GB 32100,
letters allowed in positions 1-2), ``cn_mobile``, ``cn_passport``, ``cn_hmt_permit``, ``cn_plate``,
``hk_id``, ``tw_id``, ``vin``, ``imei`` and ``bank_card``. ``validate`` raises a subclass of
``ValueError`` from ``stdnum.exceptions``; ``is_valid`` never raises. Error messages never contain
the value checked.

Vectorised versions of the same checks for whole columns live in ``fenji.detect.validators``.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from stdnum.util import clean


@cache
def reference_data() -> dict[str, Any]:
    """Return the shipped reference codes (``fenji/data/cn_codes.yaml``), parsed once."""
    text = files("fenji").joinpath("data/cn_codes.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def normalise(number: str, deletechars: str = " -") -> str:
    """NFKC-fold (full-width ``１２３`` -> ``123``), drop ``deletechars``, strip, upper-case.

    >>> normalise('１１０１０５ １９４９１２３１００２ｘ')
    '11010519491231002X'
    """
    folded = unicodedata.normalize("NFKC", number)
    return clean(folded, deletechars).strip().upper()
