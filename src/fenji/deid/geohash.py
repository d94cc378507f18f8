"""Vectorised geohash encoding over numpy arrays.

No maintained geohash library is installed and the common ones encode one point per Python
call; this interleaves the quantised bits of whole arrays at once (precision 1..12, 60 bits).
"""

from __future__ import annotations

import numpy as np
import polars as pl

_BASE32 = np.frombuffer(b"0123456789bcdefghjkmnpqrstuvwxyz", dtype=np.uint8)
MAX_PRECISION = 12


def encode(lat: pl.Series, lng: pl.Series, precision: int) -> pl.Series:
    """Geohash strings of ``precision`` characters; null where a coordinate is null or invalid.

    >>> encode(pl.Series([57.64911]), pl.Series([10.40744]), 11).to_list()
    ['u4pruydqqvj']
    """
    if not 1 <= precision <= MAX_PRECISION:
        raise ValueError(f"geohash precision must be 1..{MAX_PRECISION}")
    la = lat.cast(pl.Float64).fill_null(np.nan).to_numpy()
    lo = lng.cast(pl.Float64).fill_null(np.nan).to_numpy()
    valid = (np.abs(la) <= 90) & (np.abs(lo) <= 180)
    bits = 5 * precision
    lng_bits, lat_bits = (bits + 1) // 2, bits // 2
    la_q = _quantise(np.where(valid, la, 0.0), -90.0, 180.0, lat_bits)
    lo_q = _quantise(np.where(valid, lo, 0.0), -180.0, 360.0, lng_bits)
    code = np.zeros(la.shape, dtype=np.uint64)
    # Bits alternate longitude, latitude, starting with the most significant longitude bit.
    for i in range(bits):
        if i % 2 == 0:
            bit = (lo_q >> np.uint64(lng_bits - 1 - i // 2)) & np.uint64(1)
        else:
            bit = (la_q >> np.uint64(lat_bits - 1 - i // 2)) & np.uint64(1)
        code = (code << np.uint64(1)) | bit
    chars = np.empty((la.shape[0], precision), dtype=np.uint8)
    for j in range(precision):
        idx = (code >> np.uint64(5 * (precision - 1 - j))) & np.uint64(31)
        chars[:, j] = _BASE32[idx.astype(np.intp)]
    text = pl.Series(lat.name, np.ascontiguousarray(chars).view(f"S{precision}").ravel())
    out = text.cast(pl.Utf8)
    return (
        pl.select(pl.when(pl.lit(pl.Series(valid))).then(pl.lit(out))).to_series().alias(lat.name)
    )


def _quantise(values: np.ndarray, low: float, span: float, nbits: int) -> np.ndarray:
    """Cell index of each value when [low, low+span] is cut into 2**nbits equal cells."""
    cells = np.floor((values - low) / span * float(2**nbits))
    return np.clip(cells, 0, 2**nbits - 1).astype(np.uint64)
