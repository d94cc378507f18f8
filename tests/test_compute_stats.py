"""Joint statistics over three real processes (MPyC on 127.0.0.1) against plaintext results."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from fenji.cli_compute import compute_app
from fenji.compute.disclosure import suppress_counts
from fenji.compute.stats import bin_labels
from test_compute_support import phones, run_parties, styled

EDGES = [0.0, 50.0, 100.0, 1000.0]


def _party(tmp: Path, i: int, rng: np.random.Generator) -> tuple[Path, np.ndarray]:
    """One party's file; the values it holds (numbers only) are returned for the reference."""
    n = 150 + 40 * i
    values = np.round(rng.uniform(0, 100, n), 2)
    values[:10] = -np.round(rng.uniform(1, 50, 10), 1)  # 30 negatives in all: "< 0" is kept
    values[10:17] = np.floor(rng.uniform(1000, 5000, 7))  # 21 from 1000 up
    if i == 0:
        values[17:21] = rng.uniform(100, 1000, 4)  # the only small cell: 4 in [100, 1000)
    text = pl.Series(values).cast(pl.String)
    text = pl.concat([text, pl.Series(["n/a", ""])])  # not numbers: dropped and counted
    path = tmp / f"party{i}.csv"
    pl.DataFrame({"amount": text}).write_csv(path)
    return path, values


def test_three_parties_equal_plaintext_aggregates(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    files, pooled = zip(*(_party(tmp_path, i, rng) for i in range(3)), strict=True)
    procs = run_parties(
        [["stats", str(f), "--column", "amount", "--stats", "count,sum,mean,variance,histogram",
          "--bins", ",".join(map(str, EDGES)), "--catalogue", f"sqlite:///{tmp_path}/c{i}.db"]
         for i, f in enumerate(files)],
        tmp_path,
    )
    assert [p.popen.returncode for p in procs] == [0, 0, 0], [p.stderr() for p in procs]
    results = [p.json() for p in procs]
    everything = np.concatenate(pooled)
    for r in results:
        assert r["count"] == everything.size
        assert r["figures"]["sum"]["value"] == pytest.approx(everything.sum(), rel=1e-9)
        assert r["figures"]["mean"]["value"] == pytest.approx(everything.mean(), rel=1e-9)
        assert r["figures"]["variance"]["value"] == pytest.approx(everything.var(ddof=1), rel=1e-9)
    counts = np.bincount(np.searchsorted(EDGES, everything, side="right"), minlength=len(EDGES) + 1)
    expected = suppress_counts(bin_labels(EDGES), [int(c) for c in counts], 10)
    assert sum(c.suppressed for c in expected) == 2  # the small cell and, secondarily, one more
    got = results[0]["histogram"]
    assert [(h["bin"], h["value"], h["suppressed"]) for h in got] == [
        (c.label, c.value, c.suppressed) for c in expected
    ]
    assert results[0]["local"] == {"rows": 152, "used": 150, "dropped": 2}
    assert len({r["run_id"] for r in results}) == 1
    # Each party's record names the parties and what was opened, and holds no party's own sums.
    row = sqlite3.connect(tmp_path / "c1.db").execute(
        "SELECT status, role, parties, revealed_to_me, result FROM fenji_compute_runs"
    ).fetchone()
    assert row[0] == "ok" and row[1] == "party 1 of 3" and row[2].count("127.0.0.1") == 3
    assert "count" in row[3] and f"{pooled[1].sum():.2f}" not in row[4]


def test_two_data_parties_within_their_psi_result_with_a_helper(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    shared = pl.Series(phones(400, 13))
    args = []
    expected = []
    for i, style in enumerate(("+86", "dash")):
        ids = shared[i * 100 : i * 100 + 300]
        amount = np.round(rng.gamma(2.0, 500.0, ids.len()), 2)
        pl.DataFrame({"手机号": styled(ids, style), "amount": amount}).write_csv(
            tmp_path / f"d{i}.csv"
        )
        within = ids.sample(120, seed=i).cast(pl.String)  # this party's own PSI result
        within.to_frame("mobile").write_csv(tmp_path / f"w{i}.csv")
        keep = ids.cast(pl.String).is_in(within.implode()).to_numpy()
        expected.append(amount[keep])
        args.append(["stats", str(tmp_path / f"d{i}.csv"), "--column", "amount",
                     "--within", str(tmp_path / f"w{i}.csv"), "--id-column", "手机号",
                     "--stats", "count,mean", "--no-catalogue"])
    args.append(["stats", "--helper", "--stats", "count,mean", "--no-catalogue"])
    procs = run_parties(args, tmp_path)
    assert [p.popen.returncode for p in procs] == [0, 0, 0], [p.stderr() for p in procs]
    pooled = np.concatenate(expected)
    for p in procs:
        r = p.json()
        assert r["count"] == pooled.size == 240
        assert r["figures"]["mean"]["value"] == pytest.approx(pooled.mean(), rel=1e-9)
        assert set(r["figures"]) == {"mean"}  # only what was asked for
    assert procs[2].json()["local"]["used"] == 0


def test_small_group_is_suppressed_entirely(tmp_path: Path) -> None:
    for i in range(3):
        pl.DataFrame({"v": [1.5, 2.5, 3.0]}).write_csv(tmp_path / f"s{i}.csv")
    procs = run_parties(
        [["stats", str(tmp_path / f"s{i}.csv"), "--column", "v", "--stats",
          "count,sum,histogram", "--bins", "0,2", "--no-catalogue"] for i in range(3)],
        tmp_path,
    )
    assert [p.popen.returncode for p in procs] == [0, 0, 0], [p.stderr() for p in procs]
    r = procs[0].json()
    assert r["count"] is None
    assert r["figures"]["sum"] == {
        "value": None, "suppressed": True, "reason": "fewer records than the minimum group size"
    }
    assert all(h["suppressed"] and h["value"] is None for h in r["histogram"])
    assert r["revealed"] == ["count >= min group (yes/no)"]


def test_parties_with_different_options_stop(tmp_path: Path) -> None:
    pl.DataFrame({"v": list(range(30))}).write_csv(tmp_path / "v.csv")
    procs = run_parties(
        [["stats", str(tmp_path / "v.csv"), "--column", "v", "--min-group", str(k),
          "--no-catalogue"] for k in (10, 10, 5)],
        tmp_path,
    )
    assert [p.popen.returncode for p in procs] == [3, 3, 3]
    assert "runs with other min_group" in procs[0].stderr()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--parties", "127.0.0.1:9001,127.0.0.1:9002", "--me", "0", "x.csv", "-c", "v"],
         "third helper party"),
        (["--parties", "a:1,b:2,c:3", "--me", "0", "x.csv", "-c", "v", "--stats", "median"],
         "valid: count, histogram, mean, sum, variance"),
        (["--parties", "a:1,b:2,c:3", "--me", "0", "x.csv", "-c", "v", "--stats", "histogram"],
         "needs --bins"),
        (["--parties", "a:1,b:2,c:3", "--me", "0", "x.csv", "-c", "v", "--bins", "5,1"],
         "ascending"),
        (["--parties", "a:1,b:2,c:3", "--me", "0", "x.csv", "-c", "v", "--min-group", "0"],
         "--min-group 0"),
        (["--parties", "a:1,b:2,c:3", "--me", "0", "--helper", "x.csv"], "--helper"),
        (["--parties", "a:1,b:2,c:3", "--me", "0", "-c", "v", "--cert", "x.crt"],
         "--cert, --key and --ca together"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(compute_app, ["stats", *args, "--no-catalogue"])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
