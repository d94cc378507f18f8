"""Payment card number (PAN, ISO/IEC 7812) as used for bank cards in China.

16 to 19 digits with a Luhn check digit. China UnionPay cards start with ``62`` (``is_unionpay``);
Visa/Mastercard co-branded cards issued by Chinese banks carry their scheme's BIN instead.

>>> validate('6222 0210 0112 3456 789')
'6222021001123456789'
>>> is_unionpay('6222021001123456789')
True
>>> validate('4380880012345671'), is_unionpay('4380880012345671')
('4380880012345671', False)
>>> validate('6222021001123456788')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidChecksum: The number's checksum or check digit is invalid.
>>> validate('622202100112345')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidLength: The number has an invalid length.
"""

from __future__ import annotations

from stdnum import luhn
from stdnum.exceptions import InvalidFormat, InvalidLength, ValidationError
from stdnum.util import isdigits

from fenji.ids import normalise

MIN_LENGTH = 16
MAX_LENGTH = 19
UNIONPAY_PREFIX = "62"


def compact(number: str) -> str:
    """Fold full-width digits, drop spaces and hyphens."""
    return normalise(number)


def validate(number: str) -> str:
    """Check 16-19 digits and the Luhn check digit."""
    number = compact(number)
    if not MIN_LENGTH <= len(number) <= MAX_LENGTH:
        raise InvalidLength()
    if not isdigits(number):
        raise InvalidFormat()
    luhn.validate(number)
    return number


def is_valid(number: str) -> bool:
    """Whether ``validate`` accepts the number; never raises."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False


def is_unionpay(number: str) -> bool:
    """Whether the number carries a China UnionPay BIN (starts with 62)."""
    return compact(number).startswith(UNIONPAY_PREFIX)
