"""Running an MPyC session safely: party lists, TLS, agreement, dropouts and timeouts.

MPyC (Shamir secret sharing, honest majority) reads its configuration from ``sys.argv`` when its
runtime module is first imported and again in ``setup()``; ``session`` hands it exactly the
arguments it needs (``-P host:port`` per party, ``-I me``, ``--ssl``) and restores ``sys.argv``.

MPyC waits for a message forever when a peer vanishes. ``run`` therefore runs the program beside a
watchdog that stops the run with a ``ProtocolError`` naming the party as soon as its connection
closes, or when no step completes within the timeout. The program reports progress with
``Progress.tick``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fenji.compute.errors import ProtocolError
from fenji.compute.wire import TlsFiles, parse_address
from fenji.errors import FenjiError, InputError

T = TypeVar("T")
log = logging.getLogger(__name__)

TWO_PARTY_REFUSAL = (
    "joint statistics and training need at least 3 parties: with 2, MPyC's threshold is t = 0, "
    "so nothing is secret-shared and each party's inputs would be visible to the other. Add a "
    "third helper party (it needs no data: run the same command there with --helper)"
)


class AgreedStop(Exception):
    """Raised inside an MPC program when every party reaches the same reason to stop (a
    refusal by disclosure control, a parameter mismatch). The parties then still close the
    session together, and ``run`` raises ``error`` on each of them."""

    def __init__(self, error: FenjiError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class Party:
    """One participant: its index in the party list and where it listens."""

    index: int
    host: str
    port: int

    @property
    def address(self) -> str:
        """``host:port``."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class MpcConfig:
    """Who takes part and how: every party passes the same list, each its own ``me``."""

    parties: tuple[Party, ...]
    me: int
    timeout: float = 120.0  # seconds for the others to connect, and for each step
    tls: TlsFiles | None = None  # this party's certificate, key and the shared CA

    def party(self, index: int) -> str:
        """``party 2 (host:port)`` for messages."""
        return f"party {index} ({self.parties[index].address})"


def parse_parties(text: str, me: int) -> tuple[Party, ...]:
    """Parse ``--parties host:port,...`` and check ``--me``; refuse fewer than three parties."""
    items = [t for t in (s.strip() for s in text.split(",")) if t]
    parties = tuple(Party(i, *parse_address(t, "--parties")) for i, t in enumerate(items))
    if len({p.address for p in parties}) != len(parties):
        raise InputError("--parties: every party needs its own host:port")
    if len(parties) < 3:
        raise InputError(f"--parties lists {len(parties)} parties; {TWO_PARTY_REFUSAL}")
    if not 0 <= me < len(parties):
        raise InputError(
            f"--me {me}: must be this party's index in --parties, 0 to {len(parties) - 1}"
        )
    return parties


@dataclass
class Progress:
    """Steps done so far; the watchdog stops the run when none completes within the timeout."""

    on_step: Callable[[str], None] | None = None
    step: str = "starting"
    last: float = field(default_factory=time.monotonic)

    def tick(self, step: str) -> None:
        """Record that ``step`` completed."""
        self.step = step
        self.last = time.monotonic()
        if self.on_step is not None:
            self.on_step(step)


def mpyc_version() -> str:
    """MPyC's version, read without importing it (importing parses ``sys.argv``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mpyc")
    except PackageNotFoundError:
        return "(not installed)"


def _runtime(cfg: MpcConfig) -> Any:
    args = ["fenji-compute", "--no-log"]
    for p in cfg.parties:
        args += ["-P", p.address]
    args += ["-I", str(cfg.me)] + (["--ssl"] if cfg.tls is not None else [])
    saved = sys.argv
    try:
        sys.argv = list(args)
        import mpyc.runtime as mpyc_runtime  # the first import already runs setup() on argv

        sys.argv = list(args)  # setup() removed the arguments it consumed
        return mpyc_runtime.setup()
    finally:
        sys.argv = saved


@contextmanager
def _tls_files(cfg: MpcConfig) -> Iterator[None]:
    """MPyC loads ``.config/party_<i>.crt|key`` and ``.config/mpyc_ca.crt`` from the working
    directory while connecting; stage our files there in a private temporary directory."""
    if cfg.tls is None:
        yield
        return
    tls = cfg.tls
    if tls.cert is None or tls.key is None or tls.ca is None:
        raise InputError("TLS between parties needs --cert, --key and --ca together")
    for flag, path in (("--cert", tls.cert), ("--key", tls.key), ("--ca", tls.ca)):
        if not path.is_file():
            raise InputError(f"{flag} {path}: no such file")
    with tempfile.TemporaryDirectory(prefix="fenji-mpc-") as tmp:
        conf = Path(tmp, ".config")
        conf.mkdir(mode=0o700)
        shutil.copyfile(tls.cert, conf / f"party_{cfg.me}.crt")
        shutil.copyfile(tls.key, conf / f"party_{cfg.me}.key")
        shutil.copyfile(tls.ca, conf / "mpyc_ca.crt")
        old = os.getcwd()
        os.chdir(tmp)  # only while MPyC connects; all our own file I/O happens before/after
        try:
            yield
        finally:
            os.chdir(old)


def _peers_down(rt: Any, cfg: MpcConfig) -> list[int]:
    down = []
    for p in rt.parties:
        if p.pid == cfg.me:
            continue
        proto = p.protocol
        if proto is None or proto.transport is None or proto.transport.is_closing():
            down.append(p.pid)
    return down


async def _watch(rt: Any, cfg: MpcConfig, progress: Progress) -> None:
    while True:
        await asyncio.sleep(0.1)
        down = _peers_down(rt, cfg)
        if down:
            who = ", ".join(cfg.party(i) for i in down)
            raise ProtocolError(f"{who} left mid-protocol (during {progress.step}); run stopped")
        if time.monotonic() - progress.last > cfg.timeout:
            raise ProtocolError(
                f"no progress from the other parties for {cfg.timeout:g} s "
                f"(after {progress.step}); run stopped"
            )


def _abort(rt: Any, cfg: MpcConfig) -> None:
    """Close our connections so the other parties stop at once too."""
    for p in rt.parties:
        if p.pid != cfg.me and p.protocol is not None:
            with suppress(Exception):
                p.protocol.close_connection()


async def _connect(rt: Any, cfg: MpcConfig) -> None:
    try:
        await asyncio.wait_for(rt.start(), cfg.timeout)
    except TimeoutError:
        missing = [p.pid for p in rt.parties if p.pid != cfg.me and p.protocol is None]
        _abort(rt, cfg)
        who = ", ".join(cfg.party(i) for i in missing) or "some parties"
        raise ProtocolError(
            f"{who} did not connect within {cfg.timeout:g} s; every party must run the same "
            "command with the same --parties and its own --me"
        ) from None
    except OSError as exc:
        raise InputError(
            f"--me {cfg.me}: cannot listen on port {cfg.parties[cfg.me].port} ({exc.strerror})"
        ) from None


async def _main(
    rt: Any, cfg: MpcConfig, program: Callable[[Any, Progress], Awaitable[T]], progress: Progress
) -> T:
    with _tls_files(cfg):
        await _connect(rt, cfg)
    progress.tick("connected")
    task = asyncio.ensure_future(program(rt, progress))
    watch = asyncio.ensure_future(_watch(rt, cfg, progress))
    await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
    if not task.done():
        task.cancel()
        _abort(rt, cfg)
        with suppress(asyncio.CancelledError, Exception):
            await task
        watch.result()  # raises the watchdog's ProtocolError
    watch.cancel()
    with suppress(asyncio.CancelledError):
        await watch
    try:
        result = task.result()
    except AgreedStop as stop:
        await _shutdown(rt, cfg)
        raise stop.error from None
    except BaseException:
        _abort(rt, cfg)
        raise
    await _shutdown(rt, cfg)
    return result


async def _shutdown(rt: Any, cfg: MpcConfig) -> None:
    """Close the session together; a peer lost at this point only costs a clean goodbye."""
    try:
        await asyncio.wait_for(rt.shutdown(), min(cfg.timeout, 30.0))
    except (TimeoutError, OSError, asyncio.InvalidStateError, AttributeError):
        _abort(rt, cfg)


def run(
    cfg: MpcConfig,
    program: Callable[[Any, Progress], Awaitable[T]],
    on_step: Callable[[str], None] | None = None,
) -> T:
    """Connect to the other parties, run ``program(runtime, progress)`` and disconnect.

    Raises ``ProtocolError`` when a party does not connect, leaves, or stalls longer than
    ``cfg.timeout`` between two steps.
    """
    rt = _runtime(cfg)
    loop = rt._loop

    def quiet(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # MPyC re-raises connection errors inside transport callbacks; the watchdog reports
        # the lost party in one line instead of a traceback per callback.
        log.debug("MPyC callback: %s (%r)", context.get("message"), context.get("exception"))

    loop.set_exception_handler(quiet)
    main = asyncio.ensure_future(_main(rt, cfg, program, Progress(on_step)), loop=loop)
    for _ in range(1000):
        try:
            return loop.run_until_complete(main)
        except RuntimeError:
            if main.done():
                raise
            # MPyC stops the event loop when one of its coroutines fails, typically a send to
            # a peer that has just left; carry on so the watchdog can name that peer.
    main.cancel()
    raise ProtocolError("the MPC runtime kept failing; run stopped")


def digest(value: object) -> int:
    """A 56-bit fingerprint of a public parameter (fits any MPyC secure integer we use)."""
    return int.from_bytes(hashlib.sha256(repr(value).encode()).digest()[:7], "big")


async def agree(rt: Any, cfg: MpcConfig, params: Mapping[str, object]) -> str:
    """Check every party runs with the same public parameters; return the shared run id.

    Each party inputs a fingerprint of each parameter and a random nonce; all fingerprints are
    opened (they reveal nothing but equality) and the run id is derived from all nonces.
    """
    names = sorted(params)
    secint = rt.SecInt(64)
    # First the parameter names alone (one value each), so that two parties running
    # different commands stop here instead of exchanging lists of different lengths.
    shapes = [int(x) for x in await rt.output(rt.input(secint(digest(names))))]
    for i, shape in enumerate(shapes):
        if shape != shapes[cfg.me]:
            raise AgreedStop(
                ProtocolError(
                    f"{cfg.party(i)} runs another command or fenji version than this party; "
                    "every party must run the same command"
                )
            )
    mine = [secint(digest((n, params[n]))) for n in names] + [secint(secrets.randbits(56))]
    opened = [await rt.output(v) for v in rt.input(mine)]
    values = [[int(x) for x in row] for row in opened]
    for i, row in enumerate(values):
        differ = [n for n, a, b in zip(names, row, values[cfg.me], strict=False) if a != b]
        if differ:
            raise AgreedStop(
                ProtocolError(
                    f"{cfg.party(i)} runs with other {', '.join(differ)} than this party; "
                    "every party must pass the same options"
                )
            )
    nonces = ".".join(str(row[-1]) for row in values)
    return hashlib.sha256(nonces.encode()).hexdigest()[:32]
