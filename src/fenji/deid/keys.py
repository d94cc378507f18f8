"""Secret keys for keyed operators (hash, pseudonymize, date_shift) and vectorised HMAC.

The key never appears in messages, profiles or outputs; each operator derives its own subkey so
that, for example, the hash of a value and its pseudonym cannot be linked to each other.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import polars as pl

from fenji.errors import InputError

ENV_VAR = "FENJI_KEY"
MIN_KEY_BYTES = 16
HOW_TO = (
    f"pass --key-file PATH (a file holding at least {MIN_KEY_BYTES} secret bytes, e.g. made with "
    f"`head -c 32 /dev/urandom > fenji.key`) or set the environment variable {ENV_VAR}"
)


def load_key(key_file: Path | str | None = None, *, required: bool = True) -> bytes | None:
    """Read the secret key from ``key_file`` or the ``FENJI_KEY`` environment variable.

    Returns None only when ``required`` is False and no key was given. A key shorter than
    16 bytes is refused: a short key would make keyed hashes guessable.
    """
    if key_file is not None:
        path = Path(key_file)
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise InputError(f"key file {path}: cannot read it ({exc.strerror})") from None
        source = f"key file {path}"
    elif os.environ.get(ENV_VAR):
        key = os.environ[ENV_VAR].strip().encode("utf-8")
        source = f"environment variable {ENV_VAR}"
    else:
        if required:
            raise InputError(f"no secret key given: {HOW_TO}")
        return None
    if len(key) < MIN_KEY_BYTES:
        raise InputError(
            f"{source}: the key has {len(key)} bytes, at least {MIN_KEY_BYTES} are required"
        )
    return key


def subkey(key: bytes, purpose: str) -> bytes:
    """Derive an independent key for one purpose (HMAC-SHA256 of the purpose label)."""
    return hmac.digest(key, b"fenji/" + purpose.encode("utf-8"), "sha256")


def hmac_many(key: bytes, values: Iterable[str]) -> list[bytes]:
    """HMAC-SHA256 of each value (UTF-8), reusing the padded key states.

    No installed library computes HMAC over an Arrow/Polars column, so this loops in Python; the
    callers pass distinct values only. Copying the precomputed inner/outer SHA-256 states is
    RFC 2104 HMAC exactly (tested against ``hmac.digest``) and about twice as fast as calling
    ``hmac.digest`` per value.
    """
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    padded = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
    out: list[bytes] = []
    for value in values:
        i = inner.copy()
        i.update(value.encode("utf-8"))
        o = outer.copy()
        o.update(i.digest())
        out.append(o.digest())
    return out


def map_distinct(
    series: pl.Series,
    fn: Callable[[list[str]], Sequence[object]],
    dtype: pl.DataType | type[pl.DataType],
) -> pl.Series:
    """Apply ``fn(list_of_distinct_strings) -> list`` once per distinct non-null value.

    Keeps the per-value Python work proportional to the number of distinct values, then maps
    the results back over the whole column with a vectorised lookup.
    """
    strings = series.cast(pl.Utf8)
    distinct = strings.drop_nulls().unique()
    if distinct.len() == 0:
        return pl.Series(series.name, [None] * series.len(), dtype=dtype)
    results = fn(distinct.to_list())
    lookup = pl.Series("new", results, dtype=dtype)
    return strings.replace_strict(distinct, lookup, default=None, return_dtype=dtype).alias(
        series.name
    )
