"""Chinese resident identity card number (居民身份证号码, GB 11643-1999).

A thin wrapper over ``stdnum.cn.ric`` that keeps *checksum valid* apart from *region known*:
``stdnum.cn.ric.validate`` rejects region codes its table does not know for the birth year, which
is most realistic IDs, so here an unknown region only lowers confidence (``region_known``) and
never invalidates.

18 digits: six-digit region code, birth date ``YYYYMMDD``, three-digit sequence (odd = male),
ISO 7064 MOD 11-2 check character (``0``-``9`` or ``X``). The legacy 15-digit form (issued until
1999) has a ``YYMMDD`` date in the 1900s and no check digit, so only its date can be checked.

>>> validate('11010519491231002X')
'11010519491231002X'
>>> validate('110105 19491231 002x')
'11010519491231002X'
>>> validate('110105194912310021')
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidChecksum: The number's checksum or check digit is invalid.
>>> validate('990105194912310023')   # valid checksum, unknown region: still valid
'990105194912310023'
>>> region_known('990105194912310023'), province_known('990105194912310023')
(False, False)
>>> region_known('11010519491231002X')
True
>>> validate('110105491231002')      # legacy 15-digit form
'110105491231002'
>>> get_birth_date('110105491231002')
datetime.date(1949, 12, 31)
>>> validate('110105190102290014')   # 1901-02-29 does not exist
Traceback (most recent call last):
    ...
stdnum.exceptions.InvalidComponent: One of the parts of the number are invalid or unknown.
"""

from __future__ import annotations

import datetime
from functools import cache

from stdnum import numdb
from stdnum.cn import ric as _ric
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from stdnum.util import isdigits

from fenji.ids import normalise, reference_data

EARLIEST_BIRTH = datetime.date(1900, 1, 1)


def compact(number: str) -> str:
    """Fold full-width characters, drop spaces and hyphens, upper-case ``x``."""
    return normalise(number)


@cache
def known_regions() -> frozenset[str]:
    """Six-digit region codes that ever existed in stdnum's GB/T 2260 table, plus shipped extras.

    Deliberately not birth-year aware (unlike stdnum): people born before the ID system (1984)
    got the code of where they registered, not where they were born, and codes outlive renames.
    """
    codes = set(reference_data()["resident_id"]["extra_regions"])
    # stdnum's numdb tree for cn/loc: 2-digit province nodes with 4-digit county children.
    for _, province, _, _, children in numdb.get("cn/loc").prefixes:
        codes.update(province + county for _, county, _, _, _ in children)
    return frozenset(codes)


@cache
def known_provinces() -> frozenset[str]:
    """Two-digit province-level prefixes (``fenji/data/cn_codes.yaml``)."""
    return frozenset(f"{p:02d}" for p in reference_data()["resident_id"]["provinces"])


def calc_check_digit(number: str) -> str:
    """Check character for the first 17 digits (ISO 7064 MOD 11-2), via stdnum.

    >>> calc_check_digit('11010519491231002')
    'X'
    """
    return _ric.calc_check_digit(number[:17] + "0")


def get_birth_date(number: str) -> datetime.date:
    """Birth date of an 18- or 15-digit ID; ``InvalidComponent`` if it is no calendar date."""
    number = compact(number)
    if len(number) == 18:
        text = number[6:14]
    elif len(number) == 15:
        text = "19" + number[6:12]
    else:
        raise InvalidLength()
    if not isdigits(text):
        raise InvalidFormat()
    try:
        return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise InvalidComponent() from None


def region_known(number: str) -> bool:
    """Whether the six-digit region code is in the known table (see ``known_regions``)."""
    return compact(number)[:6] in known_regions()


def province_known(number: str) -> bool:
    """Whether the first two digits are a province-level code."""
    return compact(number)[:2] in known_provinces()


def validate(number: str, today: datetime.date | None = None) -> str:
    """Check length, format, check digit (18-digit only) and birth date in 1900-01-01..today.

    The region code is not checked; use ``region_known`` for that.
    """
    number = compact(number)
    if len(number) == 18:
        if not isdigits(number[:17]) or number[17] not in "0123456789X":
            raise InvalidFormat()
        if number[17] != calc_check_digit(number):
            raise InvalidChecksum()
    elif len(number) == 15:
        if not isdigits(number):
            raise InvalidFormat()
    else:
        raise InvalidLength()
    birth = get_birth_date(number)
    if not EARLIEST_BIRTH <= birth <= (today or datetime.date.today()):
        raise InvalidComponent()
    return number


def is_valid(number: str, today: datetime.date | None = None) -> bool:
    """Whether ``validate`` accepts the number; never raises."""
    try:
        return bool(validate(number, today))
    except ValidationError:
        return False


def stdnum_is_valid(number: str) -> bool:
    """``stdnum.cn.ric.is_valid`` guarded: it has been seen raising ``KeyError``; that is False."""
    try:
        return _ric.is_valid(number)
    except Exception:
        return False
