"""Hong Kong identity card number (香港身份證號碼).

One or two letters, six digits and a check character (``0``-``9`` or ``A``), usually written
``A123456(3)``. Check: a single-letter number is padded with a leading space worth 36; letters
are worth ``A``=10 ... ``Z``=35; the eight characters are weighted 9 ... 2 and the check
character (``A``=10) brings the sum to a multiple of 11.

python-stdnum has no Hong Kong ID module, hence this one.

>>> validate('A123456(3)')
'A1234563'
>>> validate('G123456(A)')
'G123456A'
>>> validate('AB987654(3)')
'AB9876543'
>>> validate('A123456(4)')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidChecksum: The number's checksum or check digit is invalid.
>>> calc_check_digit('Z683365')
'A'
"""

from __future__ import annotations

import re

from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

from fenji.ids import normalise

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)
_FORMAT = re.compile(r"[A-Z]{1,2}[0-9]{6}[0-9A]")


def compact(number: str) -> str:
    """Fold full-width characters, drop spaces, hyphens and the brackets around the check."""
    return normalise(number, " -()")


def calc_check_digit(number: str) -> str:
    """Check character for the letters and six digits (without the check)."""
    body = number if len(number) == 8 else " " + number
    total = sum(
        (36 if c == " " else int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(body, WEIGHTS, strict=False)
    )
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def validate(number: str) -> str:
    """Check format (1-2 letters, 6 digits, check) and the mod 11 check character."""
    number = compact(number)
    if len(number) not in (8, 9):
        raise InvalidLength()
    if not _FORMAT.fullmatch(number):
        raise InvalidFormat()
    if number[-1] != calc_check_digit(number[:-1]):
        raise InvalidChecksum()
    return number


def is_valid(number: str) -> bool:
    """Whether ``validate`` accepts the number; never raises."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False
