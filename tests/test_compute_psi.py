"""PSI between two real processes on 127.0.0.1: results, size-only, refusals, TLS, dropouts."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fenji.compute.certs import make_certs
from fenji.compute.wire import Channel
from test_compute_support import phones, serving_port, start, styled, wait_for


def _files(tmp: Path, n_a: int, n_b: int, shared: int) -> tuple[Path, Path, set[str]]:
    """Two parties' files with ``shared`` common numbers written in different styles."""
    nums = phones(n_a + n_b - shared, 7)
    a, b = pl.Series(nums[:n_a]), pl.Series(nums[n_a - shared :])
    a_text = pl.concat([styled(a[: n_a // 2], "+86"), styled(a[n_a // 2 :], "plain")])
    path_a, path_b = tmp / "bank.csv", tmp / "insurer.csv"
    pl.DataFrame({"客户": np.arange(n_a), "手机号": a_text}).write_csv(path_a)
    # B also has cells that are not numbers at all: dropped, counted, never matched.
    b_text = pl.concat([styled(b, "dash"), pl.Series(["unknown", "138****8000"])])
    pl.DataFrame({"mobile": b_text}).write_csv(path_b)
    expected = set(a.cast(pl.String).to_list()) & set(b.cast(pl.String).to_list())
    assert len(expected) == shared
    return path_a, path_b, expected


def _catalogue(tmp: Path, name: str) -> list[str]:
    return ["--catalogue", f"sqlite:///{tmp / name}.db"]


def _run_pair(tmp: Path, serve_args: list[str], connect_args: list[str], timeout: float = 240):
    server = start(["psi", *serve_args, "--port", "0", "--bind", "127.0.0.1", "-f", "json"],
                   tmp, "server")
    port = serving_port(server)
    client = start(["psi", "--connect", f"127.0.0.1:{port}", *connect_args, "-f", "json"],
                   tmp, "client")
    return server, client, client.wait(timeout), server.wait(timeout)


@pytest.mark.slow
def test_10k_intersection_equals_plaintext_on_both_sides(tmp_path: Path) -> None:
    a, b, expected = _files(tmp_path, 10_000, 10_000, 3_100)
    server, client, rc_c, rc_s = _run_pair(
        tmp_path,
        ["--serve", str(a), "--column", "手机号", "--output", str(tmp_path / "a_out.csv"),
         *_catalogue(tmp_path, "a")],
        [str(b), "--column", "mobile", "--share-result", "--output", str(tmp_path / "b_out.csv"),
         *_catalogue(tmp_path, "b")],
    )
    assert (rc_c, rc_s) == (0, 0), client.stderr() + server.stderr()
    for proc, out in ((client, "b_out.csv"), (server, "a_out.csv")):
        assert set(pl.read_csv(tmp_path / out, infer_schema=False)[:, 0].to_list()) == expected
        summary = proc.json()
        assert summary["intersection_size"] == len(expected)
        assert summary["info_type"] == "CN_MOBILE_PHONE"
    assert client.json()["input"]["invalid"] == 2  # "unknown" and the masked number
    assert client.json()["my_set_size"] == server.json()["peer_set_size"] == 10_000
    assert client.json()["run_id"] == server.json()["run_id"]
    # The per-run records hold sizes, never an identifier.
    for db in ("a", "b"):
        rows = sqlite3.connect(tmp_path / f"{db}.db").execute(
            "SELECT * FROM fenji_compute_runs").fetchall()
        assert len(rows) == 1 and "ok" in rows[0]
        text = repr(rows)
        assert not any(n in text for n in list(expected)[:500])
        assert str(len(expected)) in text


def test_size_only_reveals_only_the_size(tmp_path: Path) -> None:
    a, b, expected = _files(tmp_path, 300, 200, 60)
    out = tmp_path / "none.csv"
    server, client, rc_c, rc_s = _run_pair(
        tmp_path, ["--serve", str(a), "--column", "手机号", "--size-only", "--no-catalogue"],
        [str(b), "--column", "mobile", "--size-only", *_catalogue(tmp_path, "b")],
    )
    assert (rc_c, rc_s) == (0, 0), client.stderr() + server.stderr()
    summary = client.json()
    assert summary["intersection_size"] == len(expected)
    assert summary["output"] is None and not out.exists()
    assert summary["revealed_to_me"] == ["set size", "intersection size"]
    assert server.json()["intersection_size"] is None  # the server learnt nothing but the size
    assert server.json()["revealed_to_me"] == ["set size"]
    text = client.out.read_text() + client.stderr()
    assert not any(n in text for n in expected)


def test_tls_with_client_certificates(tmp_path: Path) -> None:
    a, b, expected = _files(tmp_path, 200, 200, 50)
    certs = tmp_path / "certs"
    make_certs(certs, 2, ["127.0.0.1"])
    server, client, rc_c, rc_s = _run_pair(
        tmp_path,
        ["--serve", str(a), "--column", "手机号", "--cert", str(certs / "party_0.crt"),
         "--key", str(certs / "party_0.key"), "--ca", str(certs / "ca.crt"),
         *_catalogue(tmp_path, "a")],
        [str(b), "--column", "mobile", "--ca", str(certs / "ca.crt"),
         "--cert", str(certs / "party_1.crt"), "--key", str(certs / "party_1.key"),
         "--output", str(tmp_path / "b.csv"), "--no-catalogue"],
    )
    assert (rc_c, rc_s) == (0, 0), client.stderr() + server.stderr()
    assert client.json()["tls"] and client.json()["peer_subject"] == "MPyC party 0"
    assert server.json()["peer_subject"] == "MPyC party 1"
    assert "without TLS" not in client.stderr() + server.stderr()
    assert set(pl.read_csv(tmp_path / "b.csv", infer_schema=False)[:, 0]) == expected
    row = sqlite3.connect(tmp_path / "a.db").execute(
        "SELECT tls, parties FROM fenji_compute_runs").fetchone()
    assert row[0] == 1 and "MPyC party 1" in row[1]


def test_partner_leaving_mid_protocol_stops_the_server(tmp_path: Path) -> None:
    a, _, _ = _files(tmp_path, 100, 100, 20)
    server = start(["psi", "--serve", str(a), "--column", "手机号", "--port", "0", "--bind",
                    "127.0.0.1", *_catalogue(tmp_path, "a")], tmp_path, "server")
    port = serving_port(server)
    sock = socket.create_connection(("127.0.0.1", port))
    ch = Channel(sock, "server", 30)
    ch.send_json({"protocol": "fenji-psi", "version": 1, "run_id": "t", "size": 5,
                  "info_type": "CN_MOBILE_PHONE", "mode": "intersection", "share_result": False})
    assert ch.recv_json("reply")["ok"]
    ch.recv_binary("setup")
    ch.close()  # the partner is gone before sending its identifiers
    started = time.monotonic()
    assert server.wait(30) == 3
    assert time.monotonic() - started < 20
    assert "left mid-protocol" in server.stderr()
    row = sqlite3.connect(tmp_path / "a.db").execute(
        "SELECT status, error FROM fenji_compute_runs").fetchone()
    assert row[0] == "failed" and "left mid-protocol" in row[1]


def test_stalled_partner_times_out(tmp_path: Path) -> None:
    _, b, _ = _files(tmp_path, 50, 50, 10)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(listener.accept()[0]), daemon=True).start()
    client = start(["psi", "--connect", f"127.0.0.1:{port}", str(b), "--column", "mobile",
                    "--timeout", "2", "--no-catalogue"], tmp_path, "client")
    wait_for(client, "without TLS")
    assert client.wait(40) == 3
    assert "no message within 2 s" in client.stderr()
    listener.close()
