"""International Mobile Equipment Identity (IMEI, 3GPP TS 23.003).

15 digits: 8-digit type allocation code, 6-digit serial and a Luhn check digit. Unlike
``stdnum.imei`` (which also accepts the 14-digit form without check digit and the 16-digit IMEISV),
only the 15-digit form is accepted: it is the one a check digit makes recognisable in data.

>>> validate('35-209900-176148-1')
'352099001761481'
>>> validate('490154203237518')
'490154203237518'
>>> validate('490154203237519')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidChecksum: The number's checksum or check digit is invalid.
>>> validate('3520990017614')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidLength: The number has an invalid length.
"""

from __future__ import annotations

from stdnum import luhn
from stdnum.exceptions import InvalidFormat, InvalidLength, ValidationError
from stdnum.util import isdigits

from fenji.ids import normalise


def compact(number: str) -> str:
    """Fold full-width digits, drop spaces and hyphens."""
    return normalise(number)


def validate(number: str) -> str:
    """Check that the number has 15 digits and a valid Luhn check digit."""
    number = compact(number)
    if len(number) != 15:
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
