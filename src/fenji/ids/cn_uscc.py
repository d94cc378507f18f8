"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015).

18 characters from the 31-character set ``0-9 A-Z`` without ``I O Z S V``:

1. registration authority (``9`` market regulation, ``5`` civil affairs, ``1`` institutional
   staffing, ``N`` agriculture, ``Y`` other ...) - may be a letter;
2. entity type within that authority - may be a letter;
3. - 8. region code of the registering authority (GB/T 2260, digits);
9. - 17. organisation code (GB 11714: eight characters and its own MOD 11 check character);
18. check character: ``31 - (sum of value x weight) mod 31`` with weights
    ``1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28``.

``stdnum.cn.uscc.validate`` demands digits in the first eight positions and so rejects codes
such as ``N2...`` or ``Y1...``; this module implements the standard and reuses stdnum's check
character computation, which handles letters correctly.

>>> validate('91110000600037341L')
'91110000600037341L'
>>> validate('N2330104MF1A2B3C4Q')   # agricultural collective: letter authority code
'N2330104MF1A2B3C4Q'
>>> validate('Y1110105500123453U')
'Y1110105500123453U'
>>> validate('91110000600037341M')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidChecksum: The number's checksum or check digit is invalid.
>>> validate('9111000060003734IL')   # I is not in the character set
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidFormat: The number has an invalid format.
>>> org_code_valid('91110000600037341L')
True
"""

from __future__ import annotations

from stdnum.cn import uscc as _uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError
from stdnum.util import isdigits

from fenji.ids import normalise

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def compact(number: str) -> str:
    """Fold full-width characters, drop spaces and hyphens, upper-case."""
    return normalise(number)


def calc_check_digit(number: str) -> str:
    """Check character for the first 17 characters (delegates to stdnum).

    >>> calc_check_digit('91110000600037341')
    'L'
    """
    return _uscc.calc_check_digit(number[:17])


def calc_org_check_digit(org: str) -> str:
    """GB 11714 check character of an eight-character organisation code body.

    >>> calc_org_check_digit('60003734')
    '1'
    """
    # Hand-written: stdnum has no GB 11714 module. Letters count A=10 ... Z=35.
    values = (int(c) if c.isdigit() else ord(c) - 55 for c in org)
    total = sum(v * w for v, w in zip(values, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def org_code_valid(number: str) -> bool:
    """Whether positions 9-17 carry a valid GB 11714 organisation code (extra confidence only)."""
    number = compact(number)
    return len(number) == 18 and calc_org_check_digit(number[8:16]) == number[16]


def validate(number: str) -> str:
    """Check length, character set, region digits and the GB 32100 check character."""
    number = compact(number)
    if len(number) != 18:
        raise InvalidLength()
    if any(c not in ALPHABET for c in number) or not isdigits(number[2:8]):
        raise InvalidFormat()
    if number[17] != calc_check_digit(number):
        raise InvalidChecksum()
    return number


def is_valid(number: str) -> bool:
    """Whether ``validate`` accepts the number; never raises."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False
