"""What a counted table becomes: the verdict per column, its grade and its masked samples.

``fenji.stream`` (and the Spark engine, ``fenji.spark``) count a table into ``Counted``;
``column_profiles`` turns that into the column profiles of the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from fenji.detect.column import verdict_from_counts
from fenji.detect.counts import ColumnPlan, ColumnStats, Evidence
from fenji.detect.mask import pick_samples
from fenji.detect.recognizer import RecognizerSet
from fenji.grade import grade_column
from fenji.model import ColumnProfile, InfoTypeHit
from fenji.packs import Pack
from fenji.stream_batches import pool as _pool

SAMPLE_ROWS = 10_000  # masked samples come from the first rows of the table ...
SAMPLE_FIRST_TRY = 1_000  # ... the first thousand when they hold enough
SAMPLES = 3


@dataclass(frozen=True)
class Counted:
    """Merged counts of a whole table and the plans its verdict follows."""

    rows: int
    stats: dict[str, ColumnStats]
    evidence: dict[str, Evidence]
    plans: dict[str, ColumnPlan]
    dtypes: dict[str, pl.DataType]
    head: pl.DataFrame  # first SAMPLE_ROWS rows, for masked samples only
    shown: dict[str, int]  # non-empty cells per column as the report shows them

    def verdict(self, rs: RecognizerSet) -> dict[str, tuple[InfoTypeHit, ...]]:
        """Info types per column, as ``classify_frame`` decides on the whole table."""
        return verdict_from_counts(self.stats, self.evidence, rs, self.plans)


def column_profiles(counted: Counted, pack: Pack, rs: RecognizerSet) -> tuple[ColumnProfile, ...]:
    """Column profiles (info types, grade, masked samples) from a counted table."""
    hits = counted.verdict(rs)
    pii = [c for c in counted.dtypes if hits.get(c)]
    with _pool(len(pii)) as pool:
        masked = pool.map(lambda c: _samples(counted.head, c, hits[c][0].type, rs), pii)
        picked = dict(zip(pii, masked, strict=True))
    return tuple(
        graded_profile(name, str(dtype), counted.shown[name], hits.get(name, ()),
                       picked.get(name, ()), pack)
        for name, dtype in counted.dtypes.items()
    )


def graded_profile(
    name: str,
    dtype: str,
    non_empty: int,
    hits: Sequence[InfoTypeHit],
    samples: tuple[str, ...],
    pack: Pack,
) -> ColumnProfile:
    """A column's profile: its info types, the pack's category and grade, its masked samples."""
    cg = grade_column(hits, name, pack)
    return ColumnProfile(
        name=name,
        dtype=dtype,
        non_empty=non_empty,
        info_types=tuple(hits),
        category=cg.category,
        sensitive=cg.sensitive,
        role=cg.role,
        grade=cg.grade,
        samples=samples,
    )


def _samples(head: pl.DataFrame, name: str, info_type: str, rs: RecognizerSet) -> tuple[str, ...]:
    """Masked samples from the first rows: the first thousand, or more when they hold too few."""
    text = head.get_column(name).cast(pl.Utf8, strict=False)
    samples = pick_samples(text.head(SAMPLE_FIRST_TRY), info_type, n=SAMPLES, rs=rs)
    if len(samples) < SAMPLES and text.len() > SAMPLE_FIRST_TRY:
        samples = pick_samples(text, info_type, n=SAMPLES, rs=rs)
    return samples


