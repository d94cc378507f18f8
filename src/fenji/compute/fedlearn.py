"""Horizontal federated logistic regression: same features, rows split among N >= 3 parties.

Training is Newton's method (iteratively reweighted least squares) on the L2-penalised
log-likelihood. In each round every party computes, on its own rows and the current public
model, its gradient and Hessian contribution; these updates are secret-shared and summed inside
MPyC, and only the sum is opened. Every party then takes the same Newton step. Because the
pooled gradient and Hessian are exactly the sums of the parties' contributions, the model equals
the one trained on the pooled rows (``fit_pooled``) up to fixed-point rounding of the shares:
coefficients agree within 1e-6 (docs/compute.md). No party's own update is ever revealed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from fenji.compute import disclosure
from fenji.compute.io import numeric
from fenji.compute.mpc import AgreedStop, MpcConfig, Progress, agree
from fenji.errors import InputError

FXP_BITS, FXP_FRAC = 192, 64


@dataclass(frozen=True)
class TrainSpec:
    """Agreed training parameters (identical on every party)."""

    features: int  # number of features (names are local; their order must match)
    l2: float = 1.0  # penalty on the coefficients (not the intercept), sum-of-losses scale
    rounds: int = 25
    tol: float = 1e-8  # stop when no coefficient moves more than this
    min_group: int = disclosure.DEFAULT_MIN_GROUP

    def params(self) -> dict[str, object]:
        """The public parameters every party must share."""
        return {
            "command": "train",
            "features": self.features,
            "l2": self.l2,
            "rounds": self.rounds,
            "tol": self.tol,
            "min_group": self.min_group,
        }


@dataclass(frozen=True)
class Rows:
    """One party's design matrix (intercept column first) and 0/1 labels."""

    x: np.ndarray
    y: np.ndarray
    read: int  # rows read
    dropped: int  # rows with a missing or non-numeric feature or label


def load_rows(df: pl.DataFrame, features: Sequence[str], label: str) -> Rows:
    """Numeric features and a 0/1 label; rows with a gap anywhere are dropped (and counted)."""
    cols = [numeric(df, f).alias(f"x{i}") for i, f in enumerate(features)]
    frame = pl.DataFrame([*cols, numeric(df, label).alias("y")]).drop_nulls()
    frame = frame.filter(pl.all_horizontal(pl.all().is_finite()))
    y = frame.get_column("y").to_numpy()
    if not np.isin(y, (0.0, 1.0)).all():
        bad = int((~np.isin(y, (0.0, 1.0))).sum())
        raise InputError(f"--label {label!r}: {bad} values are neither 0 nor 1")
    x = frame.drop("y").to_numpy().astype(np.float64)
    x = np.hstack([np.ones((x.shape[0], 1)), x])
    return Rows(x, y.astype(np.float64), df.height, df.height - frame.height)


def helper_rows(features: int) -> Rows:
    """A helper party holds no rows: its updates are zeros."""
    return Rows(np.zeros((0, features + 1)), np.zeros(0), 0, 0)


def local_update(rows: Rows, w: np.ndarray) -> np.ndarray:
    """This party's gradient and Hessian (upper triangle) of the log-loss at ``w``, flattened."""
    p = 1.0 / (1.0 + np.exp(-(rows.x @ w)))
    grad = rows.x.T @ (p - rows.y)
    hess = (rows.x * (p * (1.0 - p))[:, None]).T @ rows.x
    return np.concatenate([grad, hess[np.triu_indices(w.size)]])


def newton_step(total: np.ndarray, w: np.ndarray, l2: float) -> np.ndarray:
    """The step to subtract from ``w`` given the summed update (penalty added here, once)."""
    d = w.size
    grad = total[:d].copy()
    hess = np.zeros((d, d))
    hess[np.triu_indices(d)] = total[d:]
    hess = hess + np.triu(hess, 1).T
    penalty = np.full(d, l2)
    penalty[0] = 0.0  # the intercept is not penalised
    grad += penalty * w
    hess[np.diag_indices(d)] += penalty
    try:
        return np.asarray(np.linalg.solve(hess, grad))
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.lstsq(hess, grad, rcond=None)[0])


def fit_pooled(parts: Sequence[Rows], spec: TrainSpec) -> tuple[np.ndarray, int]:
    """Train on the pooled rows in the clear (the reference the joint model must match)."""
    w = np.zeros(spec.features + 1)
    done = 0
    for done in range(1, spec.rounds + 1):  # noqa: B007 - the round count is returned
        step = newton_step(np.sum([local_update(r, w) for r in parts], axis=0), w, spec.l2)
        w = w - step
        if np.max(np.abs(step)) < spec.tol:
            break
    return w, done


@dataclass(frozen=True)
class TrainResult:
    """The jointly trained model (intercept first), known to every party."""

    run_id: str
    weights: tuple[float, ...]
    rows: int  # pooled rows (opened)
    rounds: int
    converged: bool
    revealed: tuple[str, ...]


async def program(
    rt: Any, cfg: MpcConfig, rows: Rows, spec: TrainSpec, progress: Progress
) -> TrainResult:
    """The MPC program every party runs (same ``spec``, own ``rows``)."""
    run_id = await agree(rt, cfg, spec.params())
    progress.tick("agreement on parameters")
    secint = rt.SecInt(64)
    n = rt.sum(list(rt.input(secint(int(rows.y.size)))))
    if not await rt.output(n >= spec.min_group):
        raise AgreedStop(
            InputError(
                f"the pooled training set has fewer than {spec.min_group} rows (--min-group): "
                "a model over so few people would disclose them; refused"
            )
        )
    total_rows = int(await rt.output(n))
    secfxp = rt.SecFxp(FXP_BITS, FXP_FRAC)
    w = np.zeros(spec.features + 1)
    converged = False
    done = 0
    for done in range(1, spec.rounds + 1):  # noqa: B007 - the round count is reported
        shares = rt.input(secfxp.array(local_update(rows, w), integral=False))
        summed = shares[0]
        for more in shares[1:]:
            summed = summed + more
        total = np.asarray(await rt.output(summed), dtype=np.float64)
        step = newton_step(total, w, spec.l2)
        w = w - step
        progress.tick(f"round {done}")
        # Party 0 decides when to stop, so float rounding on different machines cannot make
        # the parties disagree about the number of rounds.
        stop = int(np.max(np.abs(step)) < spec.tol)
        if await rt.output(rt.input(secint(stop), senders=0)):
            converged = True
            break
    revealed = (
        "pooled row count",
        f"summed gradient and Hessian of each of {done} rounds",
        "model weights",
    )
    return TrainResult(run_id, tuple(float(v) for v in w), total_rows, done, converged, revealed)
