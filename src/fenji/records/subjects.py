"""Data subjects as keyed hashes: the identifier an operator types is normalised, checked and
turned into an HMAC under the catalogue's key; the raw value is never stored or logged.

>>> key = bytes(32)  # normally hmac_key(): $FENJI_KEY or the catalogue's key file
>>> a = subject_ref("+86 138-0013-8000", key=key)
>>> b = subject_ref("１３８００１３８０００", "CN_MOBILE_PHONE", key=key)
>>> a == b, a.type, len(a.hash)
(True, 'CN_MOBILE_PHONE', 32)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from fenji.detect.normalize import normalize, valid_mask
from fenji.errors import InputError, choices
from fenji.individuals import KEY_PRIORITY, hmac_key, keyed_hashes, resident_id_birth_dates
from fenji.infotypes import INFO_TYPES

SUBJECT_TYPES: tuple[str, ...] = KEY_PRIORITY
"""Identifier types that can name a data subject, tried in this order when none is given."""


@dataclass(frozen=True)
class Subject:
    """A data subject: the keyed hash of one normalised identifier, and the identifier's type."""

    hash: str  # hex HMAC-SHA256 (16 bytes) of the normalised identifier
    type: str  # info-type id, e.g. CN_MOBILE_PHONE


def _check_type(id_type: str) -> str:
    if id_type not in INFO_TYPES:
        raise InputError(f"identifier type {id_type!r} is not one of {choices(SUBJECT_TYPES)}")
    return id_type


def detect_type(identifier: str) -> str:
    """The first of ``SUBJECT_TYPES`` the value is a valid instance of (never echoes the value)."""
    values = pl.Series([identifier])
    for id_type in SUBJECT_TYPES:
        if valid_mask(values, id_type)[0]:
            return id_type
    raise InputError(
        f"the identifier given ({len(identifier)} characters) is not a valid instance of any"
        f" identifier type; pass its type, one of {choices(SUBJECT_TYPES)}"
    )


def normalised(identifier: str, id_type: str) -> str:
    """Canonical form of the identifier (``fenji.detect.normalize``), e.g. mobile → 11 digits."""
    value = normalize(pl.Series([identifier], dtype=pl.Utf8), _check_type(id_type))[0]
    if not value:
        raise InputError(f"the {id_type} identifier given is empty after normalisation")
    return str(value)


def keyed(value: str, key: bytes | None = None) -> str:
    """Hex keyed hash of an already normalised value under ``key`` (default: ``hmac_key()``)."""
    digest = keyed_hashes(pl.Series([value], dtype=pl.Utf8), key or hmac_key())[0]
    return bytes(digest).hex()


def subject_ref(
    identifier: str, id_type: str | None = None, *, key: bytes | None = None, strict: bool = True
) -> Subject:
    """The subject named by ``identifier`` (type detected when not given).

    ``strict`` refuses values that fail the type's validation (check digits etc.), so a typo
    does not silently name another, unknown subject.
    """
    id_type = _check_type(id_type) if id_type else detect_type(identifier)
    if strict and not valid_mask(pl.Series([identifier], dtype=pl.Utf8), id_type)[0]:
        raise InputError(
            f"the identifier given is not a valid {id_type} (checked after normalisation);"
            " check it, or pass another type"
        )
    return Subject(hash=keyed(normalised(identifier, id_type), key), type=id_type)


def reference_hash(reference: str, key: bytes | None = None) -> str:
    """Keyed hash of a free reference (e.g. a guardian's ID or file number), trimmed, upper case."""
    text = reference.strip().upper()
    if not text:
        raise InputError("the reference given is empty")
    return keyed(text, key)


def younger_than(identifier: str, id_type: str, at: datetime | date, age: int) -> bool | None:
    """Whether the person is younger than ``age`` on ``at``, when the identifier encodes a birth
    date (resident ID numbers do); None when it cannot tell."""
    if id_type != "CN_RESIDENT_ID":
        return None
    born = resident_id_birth_dates(pl.Series([normalised(identifier, id_type)]))[0]
    if born is None:
        return None
    return age_on(born, at) < age


def age_on(born: date, at: datetime | date) -> int:
    """Completed years on ``at``."""
    day = at.date() if isinstance(at, datetime) else at
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
