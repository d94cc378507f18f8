"""PSI with the spu backend between two real processes on 127.0.0.1 (RR22, KKRT, ECDH SM2).

spu needs numpy<2, so these run in their own virtual environment (``make test`` uses
``.venv-spu``); elsewhere the module is skipped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from test_compute_support import Proc, phones, serving_port, start, styled, wait_for

pytest.importorskip("spu", reason="spu extra not installed: `make test` runs these in .venv-spu")

from fenji.cli_compute import compute_app  # noqa: E402
from fenji.compute.certs import make_certs  # noqa: E402


def _files(tmp: Path, n_a: int, n_b: int, shared: int) -> tuple[Path, Path, set[str]]:
    """Bank writes ``+86 138 0013 8000``, the insurer ``13800138000``; ``shared`` in common."""
    nums = phones(n_a + n_b - shared, 11)
    a, b = pl.Series(nums[:n_a]), pl.Series(nums[n_a - shared :])
    path_a, path_b = tmp / "bank.csv", tmp / "insurer.csv"
    pl.DataFrame({"手机号": styled(a, "+86")}).write_csv(path_a)
    pl.DataFrame({"mobile": pl.concat([styled(b, "plain"), pl.Series(["unknown"])])}).write_csv(
        path_b
    )
    expected = set(a.cast(pl.String).to_list()) & set(b.cast(pl.String).to_list())
    assert len(expected) == shared
    return path_a, path_b, expected


def _serve(tmp: Path, args: list[str], name: str = "server") -> tuple[Proc, int]:
    proc = start(["psi", "--serve", str(tmp / "bank.csv"), "--column", "手机号", "--port", "0",
                  "--bind", "127.0.0.1", "--backend", "spu", "-f", "json", *args], tmp, name)
    return proc, serving_port(proc)


def _connect(tmp: Path, port: int, args: list[str], name: str = "client") -> Proc:
    return start(["psi", "--connect", f"127.0.0.1:{port}", str(tmp / "insurer.csv"), "--column",
                  "mobile", "--backend", "spu", "-f", "json", *args], tmp, name)


def _pair(tmp: Path, serve: list[str], conn: list[str]) -> tuple[Proc, Proc]:
    server, port = _serve(tmp, serve)
    client = _connect(tmp, port, conn)
    rc = (client.wait(180), server.wait(180))
    assert rc == (0, 0), client.stderr() + server.stderr()
    return server, client


def _read(path: Path) -> set[str]:
    return set(pl.read_csv(path, infer_schema=False)[:, 0].to_list())


def test_rr22_equals_the_plaintext_intersection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, expected = _files(tmp_path, 400, 300, 120)
    spu_tmp = tmp_path / "tmpdir"
    spu_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(spu_tmp))  # where the private run directories go
    server, client = _pair(
        tmp_path, ["--catalogue", f"sqlite:///{tmp_path / 'a.db'}"],
        ["--output", str(tmp_path / "b.csv"), "--catalogue", f"sqlite:///{tmp_path / 'b.db'}"],
    )
    assert _read(tmp_path / "b.csv") == expected
    joined, served = client.json(), server.json()
    assert joined["intersection_size"] == len(expected) and joined["input"]["invalid"] == 1
    assert (joined["my_set_size"], joined["peer_set_size"]) == (300, 400)
    assert served["intersection_size"] is None and served["revealed_to_me"] == ["set size"]
    assert joined["run_id"] == served["run_id"]
    assert "RR22 with spu" in client.stderr() and "spu link port" in server.stderr()
    assert list(spu_tmp.iterdir()) == []  # identifiers and spu's files are gone
    for db in ("a", "b"):
        row = sqlite3.connect(tmp_path / f"{db}.db").execute(
            "SELECT protocol, status, result FROM fenji_compute_runs").fetchone()
        assert row[0].startswith("spu 0.9.5 RR22") and row[1] == "ok"
        assert not any(n in repr(row) for n in expected)
    text = client.stderr() + server.stderr() + server.out.read_text()
    assert not any(n in text for n in expected)


def test_kkrt_shares_the_result_with_the_server_when_agreed(tmp_path: Path) -> None:
    _, _, expected = _files(tmp_path, 200, 250, 80)
    server, client = _pair(
        tmp_path, ["--protocol", "kkrt", "--output", str(tmp_path / "a.csv"), "--no-catalogue"],
        ["--protocol", "kkrt", "--share-result", "--output", str(tmp_path / "b.csv"),
         "--no-catalogue"],
    )
    assert _read(tmp_path / "a.csv") == _read(tmp_path / "b.csv") == expected
    assert server.json()["intersection_size"] == client.json()["intersection_size"] == 80
    assert "intersection (own matching identifiers)" in client.json()["revealed_to_peer"]
    assert "intersection (own matching identifiers)" in server.json()["revealed_to_me"]


def test_ecdh_sm2_over_mutual_tls(tmp_path: Path) -> None:
    _, _, expected = _files(tmp_path, 120, 100, 40)
    certs = tmp_path / "certs"
    make_certs(certs, 2, ["127.0.0.1"])

    def tls(i: int) -> list[str]:
        return ["--cert", str(certs / f"party_{i}.crt"), "--key", str(certs / f"party_{i}.key"),
                "--ca", str(certs / "ca.crt")]

    ecdh = ["--protocol", "ecdh", "--curve", "sm2"]
    server, client = _pair(
        tmp_path, [*ecdh, *tls(0), "--catalogue", f"sqlite:///{tmp_path / 'a.db'}"],
        [*ecdh, *tls(1), "--output", str(tmp_path / "b.csv"), "--no-catalogue"],
    )
    assert _read(tmp_path / "b.csv") == expected
    assert client.json()["tls"] and client.json()["peer_subject"] == "MPyC party 0"
    assert "mutual TLS" in client.stderr() and "without TLS" not in server.stderr()
    protocol = sqlite3.connect(tmp_path / "a.db").execute(
        "SELECT protocol FROM fenji_compute_runs").fetchone()[0]
    assert protocol == "spu 0.9.5 ECDH SM2"


def test_server_learns_the_result_only_when_the_client_agrees(tmp_path: Path) -> None:
    _files(tmp_path, 50, 50, 10)
    server, port = _serve(tmp_path, ["--output", str(tmp_path / "a.csv"), "--no-catalogue"])
    client = _connect(tmp_path, port, ["--no-catalogue"])
    assert (client.wait(60), server.wait(60)) == (3, 3)
    assert "--share-result" in client.stderr() and "--share-result" in server.stderr()
    assert not (tmp_path / "a.csv").exists()


@pytest.mark.parametrize(
    ("serve", "conn", "message"),
    [
        (["--protocol", "rr22"], ["--protocol", "kkrt"],
         "asks for --protocol kkrt, the serving side runs --protocol rr22"),
        (["--protocol", "ecdh", "--curve", "sm2"], ["--protocol", "ecdh"],
         "--curve curve25519, the serving side runs --protocol ecdh --curve sm2"),
    ],
)
def test_sides_must_agree_on_protocol_and_curve(
    tmp_path: Path, serve: list[str], conn: list[str], message: str
) -> None:
    _files(tmp_path, 50, 50, 10)
    server, port = _serve(tmp_path, [*serve, "--no-catalogue"])
    client = _connect(tmp_path, port, [*conn, "--no-catalogue"])
    assert (client.wait(60), server.wait(60)) == (3, 3)
    assert message in client.stderr() and message in server.stderr()


def test_default_backend_client_is_refused_by_a_spu_server(tmp_path: Path) -> None:
    _files(tmp_path, 50, 50, 10)
    server, port = _serve(tmp_path, ["--no-catalogue"])
    client = start(["psi", "--connect", f"127.0.0.1:{port}", str(tmp_path / "insurer.csv"),
                    "--column", "mobile", "--no-catalogue"], tmp_path, "client")
    assert (client.wait(60), server.wait(60)) == (3, 3)
    assert "both must pass the same --backend" in client.stderr()


def test_partner_killed_mid_run_stops_the_other_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _files(tmp_path, 200, 200, 50)
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # a killed process cannot remove its run dir
    server, port = _serve(tmp_path, ["--timeout", "20", "--catalogue",
                                     f"sqlite:///{tmp_path / 'a.db'}"])
    client = _connect(tmp_path, port, ["--timeout", "20", "--no-catalogue"])
    wait_for(client, "RR22 with spu")
    client.popen.kill()  # its spu worker dies with it (PR_SET_PDEATHSIG)
    started = time.monotonic()
    assert server.wait(40) == 3
    assert time.monotonic() - started < 20
    assert "left mid-protocol" in server.stderr()
    row = sqlite3.connect(tmp_path / "a.db").execute(
        "SELECT status, error FROM fenji_compute_runs").fetchone()
    assert row[0] == "failed" and "left mid-protocol" in row[1]


def _worker_of(proc: Proc, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-P", str(proc.popen.pid), "-f", "spu_worker"],
                               capture_output=True, text=True).stdout.split()
        if found:
            return int(found[0])
        time.sleep(0.05)
    raise AssertionError("no spu worker started")


def test_stalled_partner_times_out(tmp_path: Path) -> None:
    _files(tmp_path, 100, 100, 20)
    server, port = _serve(tmp_path, ["--timeout", "4", "--no-catalogue"])
    client = _connect(tmp_path, port, ["--timeout", "4", "--no-catalogue"])
    worker = _worker_of(client)
    os.kill(worker, signal.SIGSTOP)  # its parent stays, its spu side never answers
    started = time.monotonic()
    try:
        assert server.wait(60) == 3
        assert client.wait(30) == 3
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGKILL)  # normally gone already: its parent killed it
    assert time.monotonic() - started < 30
    # Either side may give up first; the other then stops with the reason it was sent.
    assert "within 4 s" in server.stderr() and "within 4 s" in client.stderr()
    assert "stopped:" in server.stderr() + client.stderr()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size-only"], "--size-only with --backend spu"),
        (["--protocol", "oprf"], "--protocol 'oprf': valid: ecdh, kkrt, rr22"),
        (["--protocol", "ecdh", "--curve", "p256"],
         "--curve 'p256': valid: curve25519, fourq, secp256k1, sm2"),
        (["--curve", "sm2"], "--curve applies to --protocol ecdh only"),
        (["--link-port", "70000"], "--link-port 70000"),
        (["--cert", "{c}/party_0.crt", "--key", "{c}/party_0.key"],
         "needs --cert, --key and --ca on both sides"),
    ],
)
def test_spu_input_errors(args: list[str], message: str, tmp_path: Path) -> None:
    path, _, _ = _files(tmp_path, 20, 20, 5)
    make_certs(tmp_path / "c", 1, ["127.0.0.1"])
    argv = ["psi", "--serve", str(path), "--column", "手机号", "--backend", "spu",
            *(a.replace("{c}", str(tmp_path / "c")) for a in args), "--no-catalogue"]
    result = CliRunner().invoke(compute_app, argv)
    assert result.exit_code == 2, result.output
    assert message in result.output
    if "--size-only" in args:
        assert "use --backend openmined-psi" in result.output
    conn = ["psi", "--connect", "127.0.0.1:1", str(path), "--column", "手机号", "--backend",
            "spu", "--size-only", "--no-catalogue"]
    assert CliRunner().invoke(compute_app, conn).exit_code == 2
