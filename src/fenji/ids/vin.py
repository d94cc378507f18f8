"""Vehicle identification number (VIN, ISO 3779; GB 16735 in China).

17 characters from ``0-9 A-Z`` without ``I O Q``. Position 9 is a check character: letters are
transliterated (``A``=1 ... ``Z``=9, skipping the excluded ones), multiplied by the weights
``8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2`` and summed; the remainder mod 11 is the check (10 = ``X``).
North American and Chinese VINs must carry it (GB 16735); European ones often do not, so a
European VIN without a check character is not valid here.

python-stdnum has no VIN module, hence this one.

>>> validate('1M8GDM9AXKP042788')
'1M8GDM9AXKP042788'
>>> validate('lfv2a21k3a3036582')
'LFV2A21K3A3036582'
>>> validate('LFV2A21K4A3036582')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidChecksum: The number's checksum or check digit is invalid.
>>> validate('LFV2A21K3A303658Q')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidFormat: The number has an invalid format.
>>> calc_check_digit('LSVAU2180N2183294')
'X'
"""

from __future__ import annotations

import re

from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

from fenji.ids import normalise

# Letter values of ISO 3779 Annex; digits stand for themselves.
TRANSLITERATION = dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9),
        strict=True,
    )
)
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_FORMAT = re.compile(r"[0-9A-HJ-NPR-Z]{8}[0-9X][0-9A-HJ-NPR-Z]{8}")


def compact(number: str) -> str:
    """Fold full-width characters, drop spaces and hyphens, upper-case."""
    return normalise(number)


def calc_check_digit(number: str) -> str:
    """Check character for a 17-character VIN (position 9 is ignored)."""
    total = sum(
        (int(c) if c.isdigit() else TRANSLITERATION[c]) * w
        for c, w in zip(number, WEIGHTS, strict=False)
    )
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def validate(number: str) -> str:
    """Check length, character set and the position-9 check character."""
    number = compact(number)
    if len(number) != 17:
        raise InvalidLength()
    if not _FORMAT.fullmatch(number):
        raise InvalidFormat()
    if number[8] != calc_check_digit(number):
        raise InvalidChecksum()
    return number


def is_valid(number: str) -> bool:
    """Whether ``validate`` accepts the number; never raises."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False
