"""``fenji compute`` shell: one-line input errors (exit 2), certificates, TLS between parties."""

from __future__ import annotations

import importlib.util
import sqlite3
import stat
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from fenji.cli_compute import compute_app
from test_compute_support import run_parties


@pytest.fixture
def people(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    pl.DataFrame({"phone": ["13800138000", "13900139000"]}).write_csv(path)
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--column", "phone"], "give exactly one of --serve FILE or --connect"),
        (["--serve", "{f}", "--connect", "h:1", "--column", "phone"], "exactly one of"),
        (["--serve", "{f}", "{f}", "--column", "phone"], "drop the extra FILE"),
        (["--connect", "h:1", "--column", "phone"], "needs your FILE"),
        (["--connect", "nohost", "{f}", "--column", "phone"], "--connect 'nohost': expected"),
        (["--connect", "h:1", "{f}", "--column", "phone", "--size-only", "-o", "x.csv"],
         "--size-only learns no identifiers"),
        (["--serve", "{f}", "--column", "phone", "--cert", "{f}"], "--cert and --key go together"),
        (["--serve", "{f}", "--column", "phone", "--ca", "{f}"], "needs --cert and --key"),
        (["--connect", "h:1", "{f}", "--column", "phone", "--cert", "nope.crt", "--key", "k"],
         "--cert nope.crt: no such file"),
        (["--serve", "missing.csv", "--column", "phone", "--port", "0"], "missing.csv"),
        (["--serve", "{f}", "--column", "tel", "--port", "0"], "no column 'tel'"),
        (["--serve", "{f}", "--column", "phone", "--type", "VIN", "--port", "0"],
         "does not hold VIN values"),
        (["--serve", "{f}", "--column", "phone", "--backend", "nope"],
         "--backend 'nope': valid: openmined-psi, spu"),
        (["--serve", "{f}", "--column", "phone", "--protocol", "kkrt"],
         "apply to --backend spu only"),
    ],
)
def test_psi_input_errors(args: list[str], message: str, people: Path) -> None:
    argv = ["psi", *(a.replace("{f}", str(people)) for a in args), "--no-catalogue"]
    result = CliRunner().invoke(compute_app, argv)
    assert result.exit_code == 2, result.output
    assert message in result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "13800138000" not in result.output


@pytest.mark.skipif(
    importlib.util.find_spec("spu") is not None, reason="spu is installed (this venv has the extra)"
)
def test_spu_backend_without_the_extra_says_how_to_install(people: Path) -> None:
    argv = ["psi", "--serve", str(people), "--column", "phone", "--backend", "spu",
            "--no-catalogue"]
    result = CliRunner().invoke(compute_app, argv)
    assert result.exit_code == 2, result.output
    assert "pip install 'fenji[spu]'" in result.output and "numpy<2" in result.output


def test_train_input_errors() -> None:
    base = ["train", "--parties", "a:1,b:2,c:3", "--me", "1", "x.csv", "--no-catalogue"]
    for extra, message in (
        (["--features", "a,a", "--label", "y"], "distinct column names"),
        (["--features", "a"], "--label is required"),
        (["--features", "a", "--label", "y", "--rounds", "0"], "--rounds must be at least 1"),
        (["--features", "a", "--label", "y", "--timeout", "0"], "--timeout 0"),
    ):
        result = CliRunner().invoke(compute_app, [*base, *extra])
        assert result.exit_code == 2 and message in result.output, result.output


def test_certs_command_writes_a_ca_and_private_keys(tmp_path: Path) -> None:
    result = CliRunner().invoke(compute_app, ["certs", str(tmp_path / "c"), "--parties", "2"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "c").iterdir())
    assert names == ["ca.crt", "party_0.crt", "party_0.key", "party_1.crt", "party_1.key"]
    assert stat.S_IMODE((tmp_path / "c" / "party_1.key").stat().st_mode) == 0o600


def test_stats_between_parties_over_tls(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    assert CliRunner().invoke(compute_app, ["certs", str(certs)]).exit_code == 0
    for i in range(3):
        pl.DataFrame({"v": [float(j + 10 * i) for j in range(20)]}).write_csv(tmp_path / f"{i}.csv")
    procs = run_parties(
        [["stats", str(tmp_path / f"{i}.csv"), "--column", "v", "--stats", "count,sum",
          "--cert", str(certs / f"party_{i}.crt"), "--key", str(certs / f"party_{i}.key"),
          "--ca", str(certs / "ca.crt"), "--catalogue", f"sqlite:///{tmp_path}/c{i}.db"]
         for i in range(3)],
        tmp_path,
    )
    assert [p.popen.returncode for p in procs] == [0, 0, 0], [p.stderr() for p in procs]
    assert procs[0].json()["figures"]["sum"]["value"] == pytest.approx(sum(range(20)) * 3 + 600)
    assert "without TLS" not in procs[0].stderr()
    assert sqlite3.connect(tmp_path / "c2.db").execute(
        "SELECT tls FROM fenji_compute_runs").fetchone() == (1,)
