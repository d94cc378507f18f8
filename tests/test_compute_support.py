"""Helpers for the compute tests (real processes on 127.0.0.1) and tests of the party plumbing.

Other ``test_compute_*`` modules import the helpers from here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from fenji.compute.mpc import digest, parse_parties
from fenji.compute.wire import parse_address
from fenji.errors import InputError

CLI = [sys.executable, "-m", "fenji.cli_compute"]
PREFIXES = np.array([130, 131, 132, 135, 136, 137, 138, 139, 150, 151, 158, 186, 188, 199])


def free_ports(n: int) -> list[int]:
    """``n`` distinct free TCP ports (bound to port 0 at once, then released)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def phones(n: int, seed: int) -> np.ndarray:
    """``n`` distinct valid mainland mobile numbers as int64 (vectorised, no Python loop)."""
    rng = np.random.default_rng(seed)
    body = rng.choice(10**8, size=n, replace=False).astype(np.int64)
    return PREFIXES[rng.integers(0, PREFIXES.size, n)].astype(np.int64) * 10**8 + body


def styled(numbers: pl.Series, style: str) -> pl.Series:
    """Phone numbers written the way real exports write them."""
    s = numbers.cast(pl.String)
    if style == "plain":
        return s
    if style == "+86":
        return "+86 " + s.str.slice(0, 3) + " " + s.str.slice(3, 4) + " " + s.str.slice(7, 4)
    if style == "dash":
        return s.str.slice(0, 3) + "-" + s.str.slice(3, 4) + "-" + s.str.slice(7, 4)
    raise ValueError(style)


@dataclass
class Proc:
    """A CLI process whose stdout/stderr go to files."""

    popen: subprocess.Popen[bytes]
    out: Path
    err: Path

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            raise AssertionError(
                f"process did not finish within {timeout} s: {self.stderr()}"
            ) from None

    def json(self) -> Any:
        return json.loads(self.out.read_text(encoding="utf-8"))


def start(args: Sequence[str], tmp: Path, name: str, cwd: Path | None = None) -> Proc:
    out, err = tmp / f"{name}.out", tmp / f"{name}.err"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp / "xdg"), "COLUMNS": "200"}
    env.pop("FENJI_CATALOGUE", None)
    with out.open("wb") as o, err.open("wb") as e:
        popen = subprocess.Popen([*CLI, *args], stdout=o, stderr=e, env=env, cwd=cwd or tmp)
    return Proc(popen, out, err)


def wait_for(proc: Proc, text: str, timeout: float = 60.0) -> str:
    """Wait until ``text`` appears on the process's stderr; return that stderr."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = proc.stderr()
        if text in seen:
            return seen
        if proc.popen.poll() is not None:
            raise AssertionError(f"process ended before printing {text!r}: {seen}")
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not printed within {timeout} s")


def serving_port(proc: Proc) -> int:
    line = wait_for(proc, "for one partner")
    return int(line.split("listening on ")[1].split()[0].rsplit(":", 1)[1])


def run_parties(
    per_party: Sequence[Sequence[str]], tmp: Path, timeout: float = 180.0, tag: str = "p"
) -> list[Proc]:
    """Start one process per party (``--parties`` filled in), wait for all of them."""
    ports = free_ports(len(per_party))
    parties = ",".join(f"127.0.0.1:{p}" for p in ports)
    procs = [
        start([*args, "--parties", parties, "--me", str(i), "-f", "json"], tmp, f"{tag}{i}")
        for i, args in enumerate(per_party)
    ]
    for p in procs:
        p.wait(timeout)
    return procs


# --- the party plumbing itself ------------------------------------------------------------------


def test_parse_parties_needs_three_and_a_valid_index() -> None:
    parties = parse_parties("10.0.0.1:9001, 10.0.0.2:9002,[::1]:9003", 2)
    assert [p.address for p in parties] == ["10.0.0.1:9001", "10.0.0.2:9002", "::1:9003"]
    with pytest.raises(InputError, match="t = 0.*third helper party"):
        parse_parties("a:1,b:2", 0)
    with pytest.raises(InputError, match="--me 3"):
        parse_parties("a:1,b:2,c:3", 3)
    with pytest.raises(InputError, match="its own host:port"):
        parse_parties("a:1,a:1,c:3", 0)
    with pytest.raises(InputError, match="expected host:port"):
        parse_parties("a:1,b,c:3", 0)


def test_parse_address_rejects_bad_ports() -> None:
    assert parse_address("example.org:443", "--connect") == ("example.org", 443)
    for bad in ("example.org", "host:0", "host:70000", ":80", "host:port"):
        with pytest.raises(InputError, match="--connect"):
            parse_address(bad, "--connect")


def test_parameter_digest_separates_values() -> None:
    assert digest(("bins", (0.0, 1.0))) == digest(("bins", (0.0, 1.0)))
    assert digest(("bins", (0.0, 1.0))) != digest(("bins", (0.0, 2.0)))
    assert digest(("min_group", 10)) < 2**56


def test_generated_phones_are_valid_and_styles_normalise_back() -> None:
    from fenji.detect.normalize import normalize, valid_mask

    nums = pl.Series(phones(500, 1))
    for style in ("plain", "+86", "dash"):
        text = styled(nums, style)
        assert valid_mask(text, "CN_MOBILE_PHONE").all()
        assert normalize(text, "CN_MOBILE_PHONE").to_list() == nums.cast(pl.String).to_list()
