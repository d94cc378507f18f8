"""Mainland China mobile phone number (手机号码).

Eleven digits starting ``1`` then ``3``-``9``; an optional ``+86`` / ``0086`` / ``86`` country
prefix is removed by ``compact``. No check digit exists: ``validate`` checks the format and
``segment_known`` whether the first three digits are an allocated personal mobile segment (list in
``fenji/data/cn_codes.yaml``, marked verify).

>>> validate('+86 138-0013-8000')
'13800138000'
>>> validate('１３８ ００１３ ８０００')
'13800138000'
>>> segment_known('13800138000'), segment_known('15400138000')
(True, False)
>>> validate('12800138000')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidFormat: The number has an invalid format.
"""

from __future__ import annotations

import re
from functools import cache

from stdnum.exceptions import InvalidFormat, InvalidLength, ValidationError

from fenji.ids import normalise, reference_data

PATTERN = r"1[3-9][0-9]{9}"
_FORMAT = re.compile(PATTERN)
_COUNTRY = re.compile(r"^(?:\+86|0086|86)(?=1[3-9][0-9]{9}$)")


def compact(number: str) -> str:
    """Fold full-width digits, drop separators and a leading +86 / 0086 / 86."""
    return _COUNTRY.sub("", normalise(number, " -()"))


@cache
def known_segments() -> frozenset[str]:
    """Allocated three-digit personal mobile segments (``fenji/data/cn_codes.yaml``)."""
    return frozenset(str(s) for s in reference_data()["mobile"]["segments"])


def validate(number: str) -> str:
    """Check 11 digits starting 1[3-9] (no check digit exists)."""
    number = compact(number)
    if len(number) != 11:
        raise InvalidLength()
    if not _FORMAT.fullmatch(number):
        raise InvalidFormat()
    return number


def is_valid(number: str) -> bool:
    """Whether ``validate`` accepts the number; never raises."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False


def segment_known(number: str) -> bool:
    """Whether the first three digits are an allocated personal mobile segment."""
    return compact(number)[:3] in known_segments()
