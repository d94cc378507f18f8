"""Synthetic data for the three-party demo (``scripts/demo_compute.sh``).

A bank, an insurer and a telecom operator each hold customers keyed by mobile number, written the
way their own systems write them (``+86 138 0013 8000``, ``138-0013-8000``, ``13800138000``), with
age, monthly income and a 0/1 "overdue" outcome drawn from one shared logistic model, so that
jointly trained weights land near the true ones. Run: ``python -m fenji.compute.demo --out DIR``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl

PARTIES = ("bank", "insurer", "telco")
SIZES = (4000, 3000, 2500)
TRUE_MODEL = {"intercept": -2.0, "age": -0.03, "income_k": -0.12, "prior_overdue": 1.4}
_PREFIXES = np.array([133, 135, 136, 138, 139, 150, 152, 158, 177, 186, 188, 199])


def _numbers(n: int, rng: np.random.Generator) -> np.ndarray:
    body = rng.choice(10**8, size=n, replace=False).astype(np.int64)
    return _PREFIXES[rng.integers(0, _PREFIXES.size, n)].astype(np.int64) * 10**8 + body


def _styled(numbers: pl.Series, style: str) -> pl.Series:
    s = numbers.cast(pl.String)
    if style == "+86":
        return "+86 " + s.str.slice(0, 3) + " " + s.str.slice(3, 4) + " " + s.str.slice(7, 4)
    if style == "dash":
        return s.str.slice(0, 3) + "-" + s.str.slice(3, 4) + "-" + s.str.slice(7, 4)
    return s


def make_demo(out: Path, seed: int = 7) -> dict[str, Path]:
    """Write ``<party>/customers.csv`` for each party; customers overlap across parties."""
    rng = np.random.default_rng(seed)
    pool = pl.Series(_numbers(8000, rng))
    paths = {}
    for party, size, style in zip(PARTIES, SIZES, ("+86", "dash", "plain"), strict=True):
        phones = pool.sample(size, seed=int(rng.integers(1 << 31)))
        age = rng.integers(20, 70, size)
        income_k = np.round(rng.gamma(3.0, 4.0, size), 1)  # monthly income, thousand yuan
        prior = rng.integers(0, 2, size)
        m = TRUE_MODEL
        z = m["intercept"] + m["age"] * age + m["income_k"] * income_k + m["prior_overdue"] * prior
        overdue = (rng.random(size) < 1 / (1 + np.exp(-z))).astype(int)
        frame = pl.DataFrame({
            "手机号": _styled(phones, style), "age": age, "income_k": income_k,
            "prior_overdue": prior, "overdue": overdue,
        })
        (out / party).mkdir(parents=True, exist_ok=True)
        paths[party] = out / party / "customers.csv"
        frame.write_csv(paths[party])
    return paths


def main() -> None:
    """Command-line entry: ``python -m fenji.compute.demo --out DIR``."""
    parser = argparse.ArgumentParser(description="Write the compute demo data.")
    parser.add_argument("--out", type=Path, default=Path("demo-compute"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for party, path in make_demo(args.out, args.seed).items():
        print(f"{party}: {path}")


if __name__ == "__main__":
    main()
