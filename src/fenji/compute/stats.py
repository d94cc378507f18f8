"""Joint statistics of one numeric column over N >= 3 parties, with MPyC.

Each party reduces its own rows to a few local aggregates (count, sum, sum of squares, histogram
counts); these are secret-shared and added up inside MPyC. The total count is first compared
with the minimum group size and only the comparison is opened; then the count and the requested
figures are computed on the shares and opened. No party's own aggregate is ever revealed.

Mean and variance are computed inside MPC from the shared sums, in 192-bit fixed point with 64
fractional bits (MPyC ``SecFxp(192, 64)``): exact for the sums; the mean divides by the opened
count. Local sums are taken in double precision, so results agree with a pooled computation to a
relative 1e-9 (variance of data with a tiny spread relative to its magnitude loses digits to
cancellation, as in any one-pass formula).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from fenji.compute import disclosure
from fenji.compute.disclosure import Cell
from fenji.compute.mpc import MpcConfig, Progress, agree
from fenji.errors import InputError, choices

STATS = ("count", "sum", "mean", "variance", "histogram")
FXP_BITS, FXP_FRAC = 192, 64
INT_BITS = 64


@dataclass(frozen=True)
class StatsSpec:
    """What the parties agreed to compute (identical on every party)."""

    stats: tuple[str, ...] = ("count", "sum", "mean", "variance")
    bins: tuple[float, ...] = ()  # histogram edges, ascending
    min_group: int = disclosure.DEFAULT_MIN_GROUP

    def params(self) -> dict[str, object]:
        """The public parameters every party must share."""
        return {
            "command": "stats",
            "stats": self.stats,
            "bins": self.bins,
            "min_group": self.min_group,
        }


def parse_stats(text: str) -> tuple[str, ...]:
    """``count,sum,...`` as a tuple in canonical order; ``InputError`` on unknown names."""
    asked = {s.strip().lower() for s in text.split(",") if s.strip()}
    unknown = asked - set(STATS)
    if unknown or not asked:
        raise InputError(
            f"--stats {text!r}: unknown {', '.join(sorted(unknown)) or 'empty'}; "
            f"valid: {choices(STATS)}"
        )
    return tuple(s for s in STATS if s in asked)


def parse_bins(text: str | None, stats: Sequence[str]) -> tuple[float, ...]:
    """Histogram edges from ``--bins 0,1000,5000``; required exactly when a histogram is asked."""
    if text is None:
        if "histogram" in stats:
            raise InputError("--stats histogram needs --bins, e.g. --bins 0,1000,5000,10000")
        return ()
    try:
        edges = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise InputError(f"--bins {text!r}: expected numbers separated by commas") from None
    if (
        not edges
        or any(b <= a for a, b in zip(edges, edges[1:], strict=False))
        or not all(math.isfinite(e) for e in edges)
    ):
        raise InputError(f"--bins {text!r}: expected finite edges in ascending order")
    return edges


def bin_labels(edges: Sequence[float]) -> list[str]:
    """Labels of the len(edges) + 1 cells: below the first edge, each interval, from the last."""
    shown = [f"{e:g}" for e in edges]
    middle = [f"[{a}, {b})" for a, b in zip(shown, shown[1:], strict=False)]
    return [f"< {shown[0]}", *middle, f">= {shown[-1]}"]


@dataclass(frozen=True)
class Local:
    """One party's own aggregates (never revealed) and what it left out."""

    n: int
    total: float
    squares: float
    hist: tuple[int, ...]
    rows: int  # rows read
    dropped: int  # cells that were empty or not a number


def local_aggregates(values: pl.Series, spec: StatsSpec) -> Local:
    """Reduce this party's column (Float64, nulls = not a number) to its local aggregates."""
    arr = values.drop_nulls().to_numpy().astype(np.float64)
    arr = arr[np.isfinite(arr)]
    hist: tuple[int, ...] = ()
    if spec.bins:
        idx = np.searchsorted(np.asarray(spec.bins), arr, side="right")
        hist = tuple(int(c) for c in np.bincount(idx, minlength=len(spec.bins) + 1))
    return Local(
        n=int(arr.size),
        total=float(arr.sum()),
        squares=float(np.dot(arr, arr)),
        hist=hist,
        rows=values.len(),
        dropped=values.len() - int(arr.size),
    )


def helper_aggregates(spec: StatsSpec) -> Local:
    """A helper party holds no data: it adds zeros and keeps the others' inputs shared."""
    return Local(0, 0.0, 0.0, (0,) * (len(spec.bins) + 1 if spec.bins else 0), 0, 0)


@dataclass(frozen=True)
class StatsResult:
    """The opened aggregates; ``count`` is None when the whole group was too small."""

    run_id: str
    count: int | None
    figures: tuple[Cell, ...]  # sum / mean / variance as asked
    histogram: tuple[Cell, ...]
    min_group: int
    revealed: tuple[str, ...]  # what was opened to every party


async def _histogram(rt: Any, local: Local, spec: StatsSpec) -> tuple[list[Cell], list[str]]:
    secint = rt.SecInt(INT_BITS)
    shares = rt.input([secint(c) for c in local.hist])
    cells = [rt.sum(list(col)) for col in zip(*shares, strict=True)]
    labels = bin_labels(spec.bins)
    # Open only "is this cell large enough", as in disclosure.suppress_counts.
    ok = [bool(b) for b in await rt.output([c >= spec.min_group for c in cells])]
    hidden = [not b for b in ok]
    revealed = ["histogram cells >= min group (yes/no)"]
    if disclosure.needs_secondary(hidden):
        revealed.append("which large-enough histogram cell is smallest (secondary suppression)")
        shown = [i for i, b in enumerate(ok) if b]
        pos = int(await rt.output(rt.argmin([cells[i] for i in shown])[0]))
        hidden[shown[pos]] = True
    opened = [i for i, h in enumerate(hidden) if not h]
    values = [int(v) for v in await rt.output([cells[i] for i in opened])] if opened else []
    by_index = dict(zip(opened, values, strict=True))
    out = [
        Cell(label, by_index[i])
        if i in by_index
        else Cell(label, None, True, disclosure.SECONDARY if ok[i] else disclosure.PRIMARY)
        for i, label in enumerate(labels)
    ]
    revealed.append("histogram counts of the cells shown")
    return out, revealed


async def program(
    rt: Any, cfg: MpcConfig, local: Local, spec: StatsSpec, progress: Progress
) -> StatsResult:
    """The MPC program every party runs (same ``spec``, own ``local``)."""
    run_id = await agree(rt, cfg, spec.params())
    progress.tick("agreement on parameters")
    secint = rt.SecInt(INT_BITS)
    n = rt.sum(list(rt.input(secint(local.n))))
    big = bool(await rt.output(n >= spec.min_group))
    revealed = ["count >= min group (yes/no)"]
    if not big:
        reason = disclosure.PRIMARY
        hidden = [s for s in spec.stats if s not in ("count", "histogram")]
        cells = bin_labels(spec.bins) if spec.bins else []
        return StatsResult(
            run_id,
            None,
            tuple(Cell(s, None, True, reason) for s in hidden),
            tuple(Cell(lb, None, True, reason) for lb in cells),
            spec.min_group,
            tuple(revealed),
        )
    count = int(await rt.output(n))
    revealed.append("count")
    progress.tick("count")
    figures: list[Cell] = []
    wanted = [s for s in spec.stats if s in ("sum", "mean", "variance")]
    if wanted:
        secfxp = rt.SecFxp(FXP_BITS, FXP_FRAC)
        # integral=False everywhere: MPyC takes the flag from the local value, and parties
        # whose flags differ (a whole-number sum, a helper's zero) would run different
        # multiplication protocols and deadlock.
        total = rt.sum(list(rt.input(secfxp(local.total, integral=False))))
        mean = total * (1 / count)
        for name in wanted:
            if name == "sum":
                figures.append(Cell("sum", float(await rt.output(total))))
            elif name == "mean":
                figures.append(Cell("mean", float(await rt.output(mean))))
            elif count < 2:
                figures.append(Cell("variance", None, True, "needs at least 2 records"))
                continue
            else:
                squares = rt.sum(list(rt.input(secfxp(local.squares, integral=False))))
                var = (squares - total * mean) * (1 / (count - 1))
                figures.append(Cell("variance", max(0.0, float(await rt.output(var)))))
            revealed.append(name)
        progress.tick(", ".join(wanted))
    hist: list[Cell] = []
    if "histogram" in spec.stats:
        hist, more = await _histogram(rt, local, spec)
        revealed += more
        progress.tick("histogram")
    return StatsResult(run_id, count, tuple(figures), tuple(hist), spec.min_group, tuple(revealed))
