"""People's Republic of China ordinary passport number (普通护照号码).

Format only - the number carries no check digit, so ``validate`` cannot tell a real number from
a well-formed invented one:

- ``E`` + 8 digits (electronic passport since 2012),
- ``E`` + a letter other than ``I``/``O`` + 7 digits (after the all-digit range ran out),
- ``G`` + 8 digits (ordinary passports issued before 2012, still found in records).

Diplomatic (``D``), service (``S``/``SE``) and public-affairs (``P``) passports are not covered.

>>> validate('E83226611')
'E83226611'
>>> validate('ea1234567')
'EA1234567'
>>> validate('G12345678')
'G12345678'
>>> validate('EO1234567')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidFormat: The number has an invalid format.
"""

from __future__ import annotations

import re

from stdnum.exceptions import InvalidFormat, InvalidLength, ValidationError

from fenji.ids import normalise

PATTERN = r"(?:[EG][0-9]{8}|E[A-HJ-NP-Z][0-9]{7})"
_FORMAT = re.compile(PATTERN)


def compact(number: str) -> str:
    """Fold full-width characters, drop spaces and hyphens, upper-case."""
    return normalise(number)


def validate(number: str) -> str:
    """Check the format (no check digit exists)."""
    number = compact(number)
    if len(number) != 9:
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
