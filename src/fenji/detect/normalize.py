"""Canonical identifier forms and validity masks, for counting individuals over whole columns.

Both follow the recognizers of the info type (by default the general pack's), so a value is
normalised and validated exactly as the column classifier saw it: full-width folded to
half-width, separators and ``+86`` dropped, case fixed, check digits verified.

>>> import polars as pl
>>> phones = pl.Series(["+86 138-0013-8000", "１３８ ００１３ ８０００"])
>>> normalize(phones, "CN_MOBILE_PHONE").to_list()
['13800138000', '13800138000']
>>> valid_mask(pl.Series(["13800138000", "138****8000", None]), "CN_MOBILE_PHONE").to_list()
[True, False, False]
"""

from __future__ import annotations

import numpy as np
import polars as pl

from fenji.detect.column_eval import apply, build_views, canonical, evaluate, view_key
from fenji.detect.column_exprs import COMPACT, PREPROCESS, as_text
from fenji.detect.recognizer import RecognizerSet, general_recognizers


def normalize(values: pl.Series, info_type: str, rs: RecognizerSet | None = None) -> pl.Series:
    """Canonical form of each value (null stays null).

    Values a pattern of the info type matches get that recognizer's compact form (mobile: 11
    ASCII digits; ID: upper case; e-mail: lower case; bank card: digits). Other values, and
    types without patterns, are folded to half-width, trimmed and compacted like the first
    recognizer of the type would.
    """
    rs = rs or general_recognizers()
    text = as_text(values)
    recs = [r for r in rs.for_type(info_type) if r.patterns]
    if not recs:
        folded = apply(PREPROCESS["halfwidth"], text)
        return apply(PREPROCESS["trim"], folded).alias(values.name)
    first = recs[0]
    view = build_views(text, [view_key(first, True)])[view_key(first, True)]
    fallback = apply(COMPACT[first.compact], view)
    forms = [canonical(text, r) for r in recs] + [fallback]
    return pl.select(pl.coalesce([pl.lit(f) for f in forms])).to_series().alias(values.name)


def valid_mask(
    values: pl.Series, info_type: str, rs: RecognizerSet | None = None, hinted: bool = True
) -> pl.Series:
    """True where a whole value is a validated match of the info type (nulls are False).

    Masked values (``138****8000``) never match. Types recognised by column name only (no
    patterns, e.g. HEALTH_INFO) count every non-empty value. ``hinted`` admits the patterns
    that only count under a column-name hint (the column was classified with it).
    """
    rs = rs or general_recognizers()
    text = as_text(values)
    recs = [r for r in rs.for_type(info_type) if r.patterns]
    if not recs:
        filled = text.str.strip_chars().str.len_chars() > 0
        return filled.fill_null(False).alias(values.name)
    cells, _ = evaluate(text, [(r, hinted) for r in recs])
    ok = np.logical_or.reduce([c.confidence > 0 for c in cells.values()])
    return pl.Series(values.name, ok)


def valid_forms(values: pl.Series, info_type: str, rs: RecognizerSet | None = None) -> pl.Series:
    """``normalize``'s canonical form where ``valid_mask`` holds, null elsewhere: both in one
    pass over the recognizers of the info type (what masked samples need). Hint-only patterns
    count, as in ``normalize``."""
    rs = rs or general_recognizers()
    text = as_text(values)
    recs = [r for r in rs.for_type(info_type) if r.patterns]
    nothing = pl.Series(values.name, [None] * len(text), dtype=pl.String)
    if not recs:
        return normalize(text, info_type, rs).zip_with(valid_mask(text, info_type, rs), nothing)
    cells, _ = evaluate(text, [(r, True) for r in recs], forms=True)
    ok = np.logical_or.reduce([c.confidence > 0 for c in cells.values()])
    # A valid value is matched by some recognizer: the first one's form, as normalize takes.
    forms = pl.select(pl.coalesce([pl.lit(cells[r.id].forms) for r in recs])).to_series()
    return forms.zip_with(pl.Series(ok), nothing).alias(values.name)
