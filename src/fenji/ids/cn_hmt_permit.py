"""Mainland travel permits for Hong Kong, Macao and Taiwan residents (港澳台居民来往内地通行证).

Format only - these numbers carry no check digit:

- Hong Kong / Macao residents (回乡证): ``H`` (Hong Kong) or ``M`` (Macao) + 8 digits (card
  issued since 2013) or + 10 digits (older booklet numbers);
- Taiwan residents (台胞证): 8 digits (card issued since 2015). A bare 8-digit number is weak
  evidence on its own: use it with a column name or context words.

>>> validate('H12345678')
'H12345678'
>>> validate('m 1234567890')
'M1234567890'
>>> validate('01234567')
'01234567'
>>> permit_type('H12345678'), permit_type('M1234567890'), permit_type('01234567')
('HK', 'MO', 'TW')
>>> validate('H1234567')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidFormat: The number has an invalid format.
"""

from __future__ import annotations

import re

from stdnum.exceptions import InvalidFormat, ValidationError

from fenji.ids import normalise

HK_MO_PATTERN = r"[HM](?:[0-9]{8}|[0-9]{10})"
TW_PATTERN = r"[0-9]{8}"
_HK_MO = re.compile(HK_MO_PATTERN)
_TW = re.compile(TW_PATTERN)


def compact(number: str) -> str:
    """Fold full-width characters, drop spaces, hyphens and brackets, upper-case."""
    return normalise(number, " -()")


def validate(number: str) -> str:
    """Check the format of a Hong Kong, Macao or Taiwan permit number (no check digit exists)."""
    number = compact(number)
    if not (_HK_MO.fullmatch(number) or _TW.fullmatch(number)):
        raise InvalidFormat()
    return number


def is_valid(number: str) -> bool:
    """Whether ``validate`` accepts the number; never raises."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False


def permit_type(number: str) -> str:
    """``HK``, ``MO`` or ``TW`` for a valid number; raises like ``validate`` otherwise."""
    number = validate(number)
    return {"H": "HK", "M": "MO"}.get(number[0], "TW")
