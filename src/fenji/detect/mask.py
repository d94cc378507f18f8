"""Masking for report samples: vectorised, and never the whole value.

>>> import polars as pl
>>> mask_series(pl.Series(["110101199003074514"]), "CN_RESIDENT_ID").to_list()
['110***********4514']
>>> mask_series(pl.Series(["+86 138 0013 8000"]), "CN_MOBILE_PHONE").to_list()
['138****8000']
>>> mask_series(pl.Series(["zhang.san@example.com"]), "EMAIL_ADDRESS").to_list()
['z***@example.com']
>>> mask_series(pl.Series(["欧阳修", "张三"]), "PERSON_NAME").to_list()
['欧阳*', '张*']
"""

from __future__ import annotations

from functools import partial

import polars as pl

from fenji.detect.column_eval import apply, text_candidates, text_expr
from fenji.detect.column_exprs import as_text
from fenji.detect.names import surname_length
from fenji.detect.normalize import normalize, valid_forms
from fenji.detect.recognizer import RecognizerSet, general_recognizers

# (characters kept at the start, characters kept at the end); every other type keeps (1, 1).
KEEP: dict[str, tuple[int, int]] = {
    "CN_RESIDENT_ID": (3, 4),
    "CN_MOBILE_PHONE": (3, 4),
    "CN_LANDLINE_PHONE": (3, 4),
    "BANK_CARD_NUMBER": (4, 4),
    "CN_USCC": (2, 4),
    "VIN": (3, 4),
    "IMEI": (2, 4),
}
STARS = "*" * 64  # longest run of stars a masked value shows
# Province / city / district prefix of a Chinese address: kept, the rest is hidden.
ADDRESS_PREFIX = (
    r"^((?:\p{Han}{1,10}?(?:省|自治区|特别行政区))?(?:\p{Han}{1,10}?(?:市|自治州|州|盟))?"
    r"(?:\p{Han}{1,10}?(?:区|县|旗))?)"
)


def _stars(n: pl.Expr) -> pl.Expr:
    return pl.lit(STARS).str.slice(0, n.clip(1, len(STARS)))


def _keep(v: pl.Expr, first: int, last: int) -> pl.Expr:
    """Keep ``first`` and ``last`` characters; short values keep only their first character."""
    n = v.str.len_chars()
    tail = v.str.slice(-last) if last else pl.lit("")  # slice(-0) would be the whole value
    return (
        pl.when(n > first + last)
        .then(pl.concat_str([v.str.slice(0, first), _stars(n - first - last), tail]))
        .when(n >= 2)
        .then(pl.concat_str([v.str.slice(0, 1), _stars(n - 1)]))
        .otherwise(pl.lit("*"))
    )


def _email(v: pl.Expr) -> pl.Expr:
    domain = v.str.extract(r"(@[^@]+)$", 1)
    masked = pl.concat_str([v.str.slice(0, 1), pl.lit("***"), domain])
    return (
        pl.when(domain.is_not_null() & (v.str.find("@") > 0)).then(masked).otherwise(_keep(v, 1, 1))
    )


def _address(v: pl.Expr) -> pl.Expr:
    prefix = v.str.extract(ADDRESS_PREFIX, 1)
    useful = (prefix.str.len_chars() > 0) & (prefix.str.len_chars() < v.str.len_chars())
    return pl.when(useful).then(pl.concat_str([prefix, pl.lit("***")])).otherwise(_keep(v, 2, 0))


def _name(values: pl.Series) -> pl.Series:
    """Han names keep the surname (compound ones too); Latin names keep each initial."""
    frame = pl.DataFrame({"v": values, "k": surname_length(values)})
    v, k = pl.col("v"), pl.col("k").cast(pl.Int64)
    n = v.str.len_chars()
    han = (
        pl.when((k > 0) & (n > k))
        .then(pl.concat_str([v.str.slice(0, k), _stars(n - k)]))
        .otherwise(_keep(v, 1, 0))
    )
    word = pl.element()
    latin = (
        v.str.split(" ")
        .list.eval(pl.concat_str([word.str.slice(0, 1), _stars(word.str.len_chars() - 1)]))
        .list.join(" ")
    )
    expr = pl.when(v.str.contains(r"^[\x00-\x7F]+$")).then(latin).otherwise(han)
    return frame.select(expr.alias(values.name)).to_series()


def mask_series(
    values: pl.Series,
    info_type: str,
    rs: RecognizerSet | None = None,
    *,
    normalized: bool = False,
) -> pl.Series:
    """Masked form of each value (null stays null); identifiers are normalised first unless
    ``normalized`` says they already are."""
    text = values if normalized else normalize(values, info_type, rs)
    if info_type == "PERSON_NAME":
        masked = _name(text)
    elif info_type == "EMAIL_ADDRESS":
        masked = apply(_email, text)
    elif info_type == "ADDRESS":
        masked = apply(_address, text)
    else:
        first, last = KEEP.get(info_type, (1, 1))
        masked = apply(lambda v: _keep(v, first, last), text)
    nulls = text.is_null() | (text.str.len_chars() == 0)
    return masked.zip_with(~nulls, pl.Series([None] * len(text), dtype=pl.String)).alias(
        values.name
    )


def pick_samples(
    values: pl.Series, info_type: str, n: int = 3, rs: RecognizerSet | None = None
) -> tuple[str, ...]:
    """Up to ``n`` masked samples of distinct validated values, in order of appearance.

    Cells that are a validated value as a whole come first; for free-text columns the
    validated matches inside the text are used instead.
    """
    rs = rs or general_recognizers()
    # Growing heads: the first n distinct valid values of a head are those of the whole column
    # once the head holds n of them, and most columns show them in their first rows.
    for size in (64, 512, len(values)):
        picked = valid_forms(values.head(size), info_type, rs).drop_nulls()
        if picked.unique().len() >= n or size >= len(values):
            break
    normalized = picked.len() > 0
    if not normalized:
        text = as_text(values).drop_nulls()
        found = [
            text_candidates(apply(partial(text_expr, rec=r), text), r)
            for r in rs.for_type(info_type)
            if r.patterns and r.text
        ]
        picked = pl.concat(found) if found else picked
    picked = picked.unique(maintain_order=True).head(n)
    masked = mask_series(picked, info_type, rs, normalized=normalized)
    return tuple(masked.drop_nulls().to_list())
