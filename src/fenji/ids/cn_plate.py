"""Mainland China motor vehicle licence plate number (机动车号牌号码, GA 36).

Format only (no check character exists). A province abbreviation (京 沪 粤 ...), the issuing
authority letter (no ``I``/``O``), then:

- five letters/digits (ordinary plates, ``京A12345``),
- four letters/digits and a suffix 挂 学 警 港 澳 领 使 (trailer, driving school, police,
  Hong Kong/Macao cross-border, consulate, embassy: ``粤Z1234港``),
- six for new-energy plates: small ones start with ``D``/``F`` (plus letters added by later
  amendments, see ``fenji/data/cn_codes.yaml``) then a letter/digit and four digits
  (``沪AD12345``); large ones are five digits then ``D``/``F`` (``沪A12345D``).

Embassy plates ``使`` + six digits are accepted too. Military and armed-police plates are not.

>>> validate('京A·12345')
'京A12345'
>>> validate('沪ad12345')
'沪AD12345'
>>> validate('粤B12345F'), validate('粤Z1234港'), validate('使224001')
('粤B12345F', '粤Z1234港', '使224001')
>>> validate('京I12345')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidFormat: The number has an invalid format.
"""

from __future__ import annotations

import re
from functools import cache

from stdnum.exceptions import InvalidFormat, ValidationError

from fenji.ids import normalise, reference_data

_ALNUM = "[A-HJ-NP-Z0-9]"
_LETTER = "[A-HJ-NP-Z]"


@cache
def pattern() -> str:
    """Regular expression (no anchors) for a compacted plate, built from the shipped data."""
    plate = reference_data()["plate"]
    provinces = f"[{plate['provinces']}]"
    suffixes = f"[{plate['suffixes']}使]"
    small = f"[{plate['new_energy_small']}]"
    large = f"[{plate['new_energy_large']}]"
    return (
        f"(?:{provinces}{_LETTER}(?:{_ALNUM}{{5}}|{_ALNUM}{{4}}{suffixes}"
        f"|{small}{_ALNUM}[0-9]{{4}}|[0-9]{{5}}{large})|使[0-9]{{6}})"
    )


def compact(number: str) -> str:
    """Fold full-width characters, drop spaces, hyphens and middle dots, upper-case."""
    return normalise(number, " -·•.")


def validate(number: str) -> str:
    """Check the plate format (no check character exists)."""
    number = compact(number)
    if not re.fullmatch(pattern(), number):
        raise InvalidFormat()
    return number


def is_valid(number: str) -> bool:
    """Whether ``validate`` accepts the number; never raises."""
    try:
        return bool(validate(number))
    except ValidationError:
        return False
