"""Distinct individuals per table, counted with keyed hashes in HyperLogLog sketches.

Identifiers never reach a sketch: each normalised value is first turned into an HMAC-SHA256 under a
secret key (``hmac_key``), and only those keyed hashes update a DataSketches HLL_8 sketch. Sketches
made with the same key can be merged across tables and scans (a person in two tables counts once);
sketches made with different keys cannot, and the catalogue refuses to mix them.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path

import datasketches
import numpy as np
import polars as pl

from fenji.errors import ConfigError, InputError
from fenji.model import ColumnProfile, Individuals

DEFAULT_LG_K = 14  # 2**14 registers: ~0.8 % relative standard error, 16 KiB per sketch
KEY_ENV = "FENJI_KEY"
KEY_FILE_NAME = "hmac.key"
MIN_KEY_BYTES = 16
MINOR_AGE = 14  # PIPL Art. 28/31: PI of minors under 14 is sensitive PI

# Identifier types that can stand for a person, strongest first: a column whose best info type
# comes earlier in this tuple is preferred as the table's individuals key.
KEY_PRIORITY: tuple[str, ...] = (
    "CN_RESIDENT_ID",
    "CN_PASSPORT",
    "CN_HMT_PERMIT",
    "HK_ID_CARD",
    "TW_ID_CARD",
    "CN_MOBILE_PHONE",
    "EMAIL_ADDRESS",
    "BANK_CARD_NUMBER",
    "WECHAT_ID",
    "QQ_NUMBER",
    "IMEI",
    "VIN",
    "CN_LICENSE_PLATE",
)

Normaliser = Callable[[pl.Series], pl.Series]


# --- the key ---------------------------------------------------------------------------------


def _parse_key(text: str, where: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = text.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(
            f"{where}: HMAC key too short ({len(key)} bytes); need at least {MIN_KEY_BYTES} bytes"
            f" ({2 * MIN_KEY_BYTES} hex digits)"
        )
    return key


def default_key_path() -> Path:
    """``<XDG_DATA_HOME or ~/.local/share>/fenji/hmac.key``, next to the default catalogue."""
    from fenji.catalogue.urls import data_dir  # late: fenji.catalogue imports this module

    return data_dir() / KEY_FILE_NAME


def hmac_key(path: Path | None = None) -> bytes:
    """The secret key for keyed hashes.

    Taken from ``path`` when given, else from env ``FENJI_KEY`` (hex, or any other string used as
    UTF-8 bytes), else from ``hmac.key`` next to the default catalogue. A missing key file is
    created with a fresh random 32-byte key, readable by its owner only (0600). Sketches are only
    mergeable when made with the same key, so keep the file (or the variable) stable.
    """
    if path is None:
        env = os.environ.get(KEY_ENV)
        if env is not None:
            return _parse_key(env, KEY_ENV)
        path = default_key_path()
    try:
        return _parse_key(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read HMAC key: {type(exc).__name__}") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        # O_EXCL: if another process created the file first, use its key instead of ours.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _parse_key(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot create HMAC key file: {exc.strerror}") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key.hex() + "\n")
    return key


def key_fingerprint(key: bytes) -> str:
    """A short public id of a key (16 hex digits), stored with sketches to stop mixing keys."""
    return _hmac_many([b"fenji key fingerprint"], key)[0][:8].hex()


# --- keyed hashes ----------------------------------------------------------------------------


def _hmac_many(messages: list[bytes], key: bytes) -> list[bytes]:
    """HMAC-SHA256 (RFC 2104) of each message, full 32-byte digests.

    No library hashes a whole column with a key, so this is a per-value loop; callers keep it off
    the hot path by passing only the unique values of a batch. The padded-key states are computed
    once and copied per value, which is ~3x faster than ``hmac.digest`` and gives the same bytes
    (a test checks).
    """
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    out: list[bytes] = []
    append = out.append
    for msg in messages:
        h = inner.copy()
        h.update(msg)
        o = outer.copy()
        o.update(h.digest())
        append(o.digest())
    return out


def _default_normalise(values: pl.Series) -> pl.Series:
    return values.str.strip_chars().str.to_uppercase()


def _prepare(values: pl.Series, normalise: Normaliser | None) -> pl.Series:
    """Normalised, non-empty, unique identifiers as Utf8."""
    values = values.cast(pl.Utf8)
    values = (normalise or _default_normalise)(values).cast(pl.Utf8)
    values = values.filter(values.is_not_null() & (values.str.len_bytes() > 0))
    return values.unique()


def keyed_hashes(values: pl.Series, key: bytes) -> pl.Series:
    """HMAC-SHA256 of each value truncated to 16 bytes, as a Binary series aligned with ``values``.

    Values are hashed as given (normalise them first); nulls stay null. Only the unique values are
    hashed, then mapped back onto the column.
    """
    text = values.cast(pl.Utf8)
    uniq = text.drop_nulls().unique()
    digests = [d[:16] for d in _hmac_many(uniq.cast(pl.Binary).to_list(), key)]
    return text.replace_strict(
        uniq, pl.Series(digests, dtype=pl.Binary), default=None, return_dtype=pl.Binary
    ).rename(values.name)


def _hash_ints(uniq: pl.Series, key: bytes) -> np.ndarray:
    """First 8 bytes of each keyed hash as int64: what the HLL sketch is fed."""
    digests = _hmac_many(uniq.cast(pl.Binary).to_list(), key)
    if not digests:
        return np.empty(0, dtype=np.int64)
    return np.frombuffer(b"".join(digests), dtype="<i8").reshape(-1, 4)[:, 0]


# --- sketches --------------------------------------------------------------------------------


class SketchBuilder:
    """A DataSketches HLL_8 sketch of keyed hashes, with merge and serialisation."""

    def __init__(self, lg_k: int = DEFAULT_LG_K) -> None:
        if not 4 <= lg_k <= 21:
            raise InputError(f"lg_k must be between 4 and 21 (DataSketches HLL), got {lg_k}")
        self.lg_k = lg_k
        self._sketch = datasketches.hll_sketch(lg_k, datasketches.HLL_8)

    @classmethod
    def from_bytes(cls, data: bytes) -> SketchBuilder:
        """Load a sketch made by ``serialize``."""
        sketch = _load(data)
        builder = cls(sketch.lg_config_k)
        builder._sketch = sketch
        return builder

    def update_ints(self, hashes: Iterable[int]) -> None:
        """Add hashed identifiers given as 64-bit integers."""
        update = self._sketch.update
        # The binding takes one value per call; there is no batch update to vectorise with.
        for value in hashes:
            update(value)

    def update_series(self, hashes: pl.Series) -> None:
        """Add keyed hashes: a Binary series from ``keyed_hashes`` or an integer series.

        Text is refused so that raw identifiers never reach a sketch by mistake.
        """
        hashes = hashes.drop_nulls().unique().sort()  # sorted: see estimate_individuals
        if hashes.dtype == pl.Binary:
            ints = hashes.bin.head(8).bin.reinterpret(dtype=pl.Int64, endianness="little")
        elif hashes.dtype.is_integer():
            ints = hashes.cast(pl.Int64)
        else:
            raise InputError(
                f"SketchBuilder.update_series takes keyed hashes (Binary from keyed_hashes, or"
                f" integers), got {hashes.dtype}; hash identifiers with keyed_hashes first"
            )
        self.update_ints(ints.to_list())

    def estimate(self) -> int:
        """Estimated number of distinct hashes added."""
        return round(self._sketch.get_estimate())

    def bounds(self, num_std_dev: int = 2) -> tuple[int, int]:
        """Lower and upper bound of the estimate at 1, 2 or 3 standard deviations."""
        lo = self._sketch.get_lower_bound(num_std_dev)
        hi = self._sketch.get_upper_bound(num_std_dev)
        return int(np.floor(lo)), int(np.ceil(hi))

    def serialize(self) -> bytes:
        """Compact DataSketches bytes (readable by any DataSketches HLL implementation)."""
        return bytes(self._sketch.serialize_compact())

    def merge(self, *sketches: bytes) -> None:
        """Union other serialised sketches into this one."""
        union = datasketches.hll_union(self.lg_k)
        union.update(self._sketch)
        for data in sketches:
            union.update(_load(data))
        self._sketch = union.get_result(datasketches.HLL_8)


def _load(data: bytes) -> datasketches.hll_sketch:
    try:
        return datasketches.hll_sketch.deserialize(data)
    except (RuntimeError, ValueError) as exc:
        raise InputError(f"not a DataSketches HLL sketch ({len(data)} bytes)") from exc


def union_estimate(sketches: Iterable[bytes], lg_k: int = DEFAULT_LG_K) -> int:
    """Estimated distinct count of the union of serialised sketches."""
    builder = SketchBuilder(lg_k)
    builder.merge(*sketches)
    return builder.estimate()


# --- individuals -----------------------------------------------------------------------------


def resident_id_birth_dates(ids: pl.Series) -> pl.Series:
    """Birth dates encoded in resident ID numbers (18 chars: YYYYMMDD at 7-14; 15 digits: YYMMDD,
    19YY). Null where the date does not parse."""
    ids = ids.cast(pl.Utf8)
    n = ids.str.len_chars()
    text = (
        pl.select(
            pl.when(n == 18)
            .then(ids.str.slice(6, 8))
            .when(n == 15)
            .then(pl.lit("19") + ids.str.slice(6, 6))
            .otherwise(None)
        )
        .to_series()
        .cast(pl.Utf8)
    )
    return text.str.strptime(pl.Date, "%Y%m%d", strict=False).rename(ids.name)


def _minor_cutoff(today: date) -> date:
    """Born after this date means under 14 on ``today`` (29 Feb maps to 28 Feb)."""
    try:
        return today.replace(year=today.year - MINOR_AGE)
    except ValueError:
        return today.replace(year=today.year - MINOR_AGE, day=28)


def estimate_individuals(
    batches: Iterable[pl.DataFrame],
    column: str,
    key_type: str,
    key: bytes,
    normalise: Normaliser | None = None,
    birth_dates: Normaliser | None = None,
    today: date | None = None,
    lg_k: int = DEFAULT_LG_K,
) -> Individuals:
    """Stream batches of the identifier ``column`` into a keyed HLL sketch.

    ``normalise`` maps raw values to their canonical form (default: strip and upper-case).
    ``birth_dates`` maps normalised identifiers to dates (e.g. ``resident_id_birth_dates``); when
    given, distinct people born after ``today`` minus 14 years (and not after ``today``) are
    counted in a second sketch and reported as ``minors_under_14``.
    """
    sketch = SketchBuilder(lg_k)
    minors = SketchBuilder(lg_k) if birth_dates is not None else None
    today = today or date.today()
    cutoff = _minor_cutoff(today)
    for batch in batches:
        if column not in batch.columns:
            raise InputError(
                f"identifier column {column!r} not in batch; columns: {', '.join(batch.columns)}"
            )
        uniq = _prepare(batch.get_column(column), normalise)
        ints = _hash_ints(uniq, key)
        # Sorted: the HLL's HIP estimate depends on update order, and unique() order varies.
        sketch.update_ints(np.sort(ints).tolist())
        if minors is not None and birth_dates is not None:
            born = birth_dates(uniq).cast(pl.Date)
            is_minor = ((born > cutoff) & (born <= today)).fill_null(False).to_numpy()
            minors.update_ints(np.sort(ints[is_minor]).tolist())
    return Individuals(
        estimate=sketch.estimate(),
        key=key_type,
        column=column,
        sketch=sketch.serialize(),
        minors_under_14=minors.estimate() if minors is not None else None,
    )


def choose_key(columns: Sequence[ColumnProfile]) -> tuple[str, str] | None:
    """``(column name, info type)`` of the strongest identifier column, by ``KEY_PRIORITY``.

    Only a column's best info type counts (a phone column that also looks like QQ numbers is a
    phone column); ties go to the column with more validated hits, then the higher score.
    """
    rank = {t: i for i, t in enumerate(KEY_PRIORITY)}
    best: tuple[int, int, float, str, str] | None = None
    for col in columns:
        if not col.info_types or col.info_types[0].type not in rank:
            continue
        hit = col.info_types[0]
        cand = (rank[hit.type], -hit.hits, -hit.score, col.name, hit.type)
        if best is None or cand < best:
            best = cand
    return None if best is None else (best[3], best[4])
