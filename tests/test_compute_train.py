"""Federated logistic regression: pooled equivalence, dropouts and timeouts with real processes."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fenji.compute.fedlearn import Rows, TrainSpec, fit_pooled, load_rows, newton_step
from fenji.errors import InputError
from test_compute_support import free_ports, run_parties, start, wait_for

TRUE_W = np.array([-0.8, 1.2, -0.02, 0.5])


def _rows(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(0, 1, n), rng.normal(40, 12, n), rng.integers(0, 2, n)])
    p = 1 / (1 + np.exp(-(TRUE_W[0] + x @ TRUE_W[1:])))
    y = (rng.random(n) < p).astype(int)
    return pl.DataFrame({"score": x[:, 0], "age": x[:, 1], "urban": x[:, 2].astype(int), "y": y})


def _penalised_loss(w: np.ndarray, x: np.ndarray, y: np.ndarray, l2: float) -> float:
    z = x @ w
    return float(np.sum(np.logaddexp(0, z) - y * z) + 0.5 * l2 * np.sum(w[1:] ** 2))


def test_newton_reaches_the_penalised_optimum() -> None:
    optimize = pytest.importorskip("scipy.optimize")
    parts = [load_rows(_rows(n, s), ["score", "age", "urban"], "y") for n, s in ((200, 1), (90, 2))]
    spec = TrainSpec(3, l2=1.0)
    w, rounds = fit_pooled(parts, spec)
    x = np.vstack([p.x for p in parts])
    y = np.concatenate([p.y for p in parts])
    ref = optimize.minimize(_penalised_loss, np.zeros(4), args=(x, y, 1.0), method="BFGS",
                            options={"gtol": 1e-10})
    assert rounds < spec.rounds
    assert np.allclose(w, ref.x, atol=1e-5)


def test_newton_step_leaves_the_intercept_unpenalised() -> None:
    d = 3
    total = np.concatenate([np.zeros(d), np.eye(d)[np.triu_indices(d)]])  # zero gradient, H = I
    step = newton_step(total, np.array([2.0, 2.0, 2.0]), l2=1.0)
    assert np.allclose(step, [0.0, 1.0, 1.0])  # only the coefficients are pulled towards 0


def test_load_rows_drops_gaps_and_rejects_other_labels() -> None:
    df = pl.DataFrame({"a": ["1", "x", "3", "4"], "y": ["0", "1", "", "1"]})
    rows = load_rows(df, ["a"], "y")
    assert (rows.read, rows.dropped, rows.y.tolist()) == (4, 2, [0.0, 1.0])
    assert rows.x[:, 0].tolist() == [1.0, 1.0]  # the intercept column
    with pytest.raises(InputError, match="neither 0 nor 1"):
        load_rows(pl.DataFrame({"a": [1, 2], "y": [0, 2]}), ["a"], "y")


def test_three_parties_match_pooled_training(tmp_path: Path) -> None:
    frames = [_rows(n, s) for n, s in ((300, 21), (180, 22), (120, 23))]
    for i, df in enumerate(frames):
        df.write_csv(tmp_path / f"t{i}.csv")
    procs = run_parties(
        [["train", str(tmp_path / f"t{i}.csv"), "--features", "score,age,urban", "--label", "y",
          "--catalogue", f"sqlite:///{tmp_path}/c{i}.db"] for i in range(3)],
        tmp_path,
    )
    assert [p.popen.returncode for p in procs] == [0, 0, 0], [p.stderr() for p in procs]
    parts: list[Rows] = [load_rows(df, ["score", "age", "urban"], "y") for df in frames]
    pooled, rounds = fit_pooled(parts, TrainSpec(3))
    for p in procs:
        r = p.json()
        got = [r["intercept"], *r["coefficients"].values()]
        assert np.allclose(got, pooled, atol=1e-6)  # the tolerance docs/compute.md states
        assert r["rows"] == 600 and r["converged"] and r["rounds"] == rounds
        assert list(r["coefficients"]) == ["score", "age", "urban"]


def test_party_killed_mid_training_stops_the_others(tmp_path: Path) -> None:
    for i in range(3):
        _rows(100, 30 + i).write_csv(tmp_path / f"t{i}.csv")
    ports = free_ports(3)
    parties = ",".join(f"127.0.0.1:{p}" for p in ports)
    procs = [
        start(["train", str(tmp_path / f"t{i}.csv"), "--features", "score,age,urban", "--label",
               "y", "--rounds", "5000", "--tol", "0", "--timeout", "60", "--parties", parties,
               "--me", str(i), "--catalogue", f"sqlite:///{tmp_path}/c{i}.db"], tmp_path, f"k{i}")
        for i in range(3)
    ]
    wait_for(procs[2], "party 2: round 2", timeout=120)
    procs[2].popen.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    for p in procs[:2]:
        assert p.wait(60) == 3
        assert time.monotonic() - killed < 20  # well before the 60 s step timeout
        assert "left mid-protocol" in p.stderr()
    assert f"party 2 (127.0.0.1:{ports[2]})" in procs[0].stderr() + procs[1].stderr()
    import sqlite3

    row = sqlite3.connect(tmp_path / "c0.db").execute(
        "SELECT status, error FROM fenji_compute_runs").fetchone()
    assert row[0] == "failed" and "left mid-protocol" in row[1]


def test_missing_party_times_out_with_its_name(tmp_path: Path) -> None:
    _rows(50, 40).write_csv(tmp_path / "t.csv")
    ports = free_ports(3)
    parties = ",".join(f"127.0.0.1:{p}" for p in ports)
    procs = [
        start(["train", str(tmp_path / "t.csv"), "--features", "score", "--label", "y",
               "--timeout", "3", "--parties", parties, "--me", str(i), "--no-catalogue"],
              tmp_path, f"m{i}")
        for i in range(2)  # party 2 never starts
    ]
    for p in procs:
        assert p.wait(90) == 3
        assert f"party 2 (127.0.0.1:{ports[2]}) did not connect within 3 s" in p.stderr()


def test_too_few_pooled_rows_are_refused(tmp_path: Path) -> None:
    for i in range(3):
        _rows(3, 50 + i).write_csv(tmp_path / f"t{i}.csv")
    procs = run_parties(
        [["train", str(tmp_path / f"t{i}.csv"), "--features", "score", "--label", "y",
          "--no-catalogue"] for i in range(3)],
        tmp_path,
    )
    assert [p.popen.returncode for p in procs] == [2, 2, 2]
    assert "fewer than 10 rows" in procs[0].stderr()
