"""Taiwan national identification card number (中華民國國民身分證統一編號).

A letter for the place of first registration, ``1`` (male) or ``2`` (female), seven serial digits
and a check digit. The letter maps to a two-digit number (``A``=10 ... with ``I``=34, ``O``=35,
``W``=32 out of order); its tens and units are weighted 1 and 9, the following eight digits
8 ... 1, the check digit 1, and the total must be a multiple of 10.

python-stdnum has no Taiwan ID module (only ``stdnum.tw.ubn`` for businesses), hence this one.

>>> validate('A123456789')
'A123456789'
>>> validate('f131104093')
'F131104093'
>>> validate('A123456788')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidChecksum: The number's checksum or check digit is invalid.
>>> validate('A323456789')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidFormat: The number has an invalid format.
"""

from __future__ import annotations

import re

from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

from fenji.ids import normalise

LETTER_VALUES = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36), strict=True))
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1)
_FORMAT = re.compile(r"[A-Z][12][0-9]{8}")


def compact(number: str) -> str:
    """Fold full-width characters, drop spaces and hyphens, upper-case."""
    return normalise(number)


def calc_check_digit(number: str) -> str:
    """Check digit for the letter and the following eight digits."""
    letter = LETTER_VALUES[number[0]]
    total = letter // 10 + letter % 10 * 9
    total += sum(int(c) * w for c, w in zip(number[1:9], WEIGHTS, strict=False))
    return str(-total % 10)


def validate(number: str) -> str:
    """Check format (letter, 1 or 2, eight digits) and the check digit."""
    number = compact(number)
    if len(number) != 10:
        raise InvalidLength()
    if not _FORMAT.fullmatch(number):
        raise InvalidFormat()
    if number[9] != calc_check_digit(number):
        raise InvalidChecksum()
    return number


def is_valid(number: str) -> bool:
    """Whether ``validate`` accepts the number; never raises."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False
