"""Chinese surname table and the vectorised name checks built on it.

The table (``fenji/data/surnames.txt``) is data: common modern surnames, the Baijiaxing and the
compound surnames (欧阳, 司马, 诸葛, 上官 ...). A two-to-four character Han string is a plausible
Chinese name when it opens with a surname; the column classifier adds length, distinctness and
column-name hints, because many ordinary words also open with a surname character.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import polars as pl

SURNAMES_FILE = "surnames.txt"


@cache
def surnames() -> tuple[frozenset[str], frozenset[str]]:
    """(single-character, compound) surnames from the packaged table."""
    text = resources.files("fenji.data").joinpath(SURNAMES_FILE).read_text(encoding="utf-8")
    entries = [line.strip() for line in text.splitlines()]
    entries = [e for e in entries if e and not e.startswith("#")]
    single = frozenset(e for e in entries if len(e) == 1)
    compound = frozenset(e for e in entries if len(e) > 1)
    return single, compound


@cache
def _surname_expr() -> pl.Expr:
    """The leading-surname width expression over column ``v``, built once: its surname lists
    are hundreds of literals, which cost more to rebuild than to match on a small batch."""
    single, compound = surnames()
    by_width: dict[int, list[str]] = {1: sorted(single)}
    for c in sorted(compound):
        by_width.setdefault(len(c), []).append(c)
    v = pl.col("v")
    expr = pl.lit(0, pl.UInt32)
    # Narrowest first, so a wider (compound) surname that also matches overrides it.
    for width in sorted(by_width):
        expr = (
            pl.when(v.str.slice(0, width).is_in(by_width[width]))
            .then(pl.lit(width, pl.UInt32))
            .otherwise(expr)
        )
    return expr


def surname_length(values: pl.Series) -> pl.Series:
    """Characters of the leading surname of each value (compound first), 0 when none (UInt32)."""
    frame = pl.DataFrame({"v": values.cast(pl.String)})
    return frame.select(_surname_expr().alias(values.name)).to_series()


def cn_surname(values: pl.Series) -> pl.Series:
    """Validator: 1.0 where a Chinese name opens with a known surname and has a given name.

    Input is the matched candidate (Han characters); output Float64 in [0, 1] like the check-digit
    validators, so recognizers.yaml can name it (``validator: cn_surname``).
    """
    lead = surname_length(values)
    total = values.cast(pl.String).str.len_chars().fill_null(0)
    ok = (lead > 0) & (total > lead)
    return ok.cast(pl.Float64).alias(values.name)
