"""PSI on SecretFlow's spu (the optional ``spu`` extra): RR22, KKRT, and ECDH incl. the SM2 curve.

Same commands and the same ``PsiResult`` as the default backend (``fenji.compute.psi``):

- The fenji control channel (``wire``; TLS with --cert/--key/--ca) carries a hello that checks
  both sides agree (protocol, curve, identifier type, sizes, spu version, whether the serving
  side gets the result) and tells each side where the other's spu link listens. spu's own
  protocol then runs over its link (yacl on brpc) in a child process (``spu_worker``), with
  mutual TLS from the same files. brpc pushes every message to the receiving party's server,
  so *each* side accepts one connection on its link port.
- The connecting side (spu's receiver) learns the intersection. The serving side learns it only
  when it asked (``--output``) and the connecting side agreed (``--share-result``): spu then
  broadcasts the result. spu has no size-only output, so ``--size-only`` is refused.
- spu's PSI exchanges a hash of each side's whole key set, to stop early when the sets are
  equal; its Python binding cannot turn that off. Each side therefore adds one random row that
  can never match: the hash then says nothing about the set and the early stop never fires.
- Identifiers reach spu as a CSV in a private temporary directory (mode 0700), which also holds
  spu's own temporary files (``TMPDIR``) and its log; it is deleted after the run.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import re
import secrets
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from fenji.compute import psi, spu_worker
from fenji.compute.errors import ProtocolError
from fenji.compute.normalize import Identifiers
from fenji.compute.psi import INTERSECTION, SET_SIZE, PsiOptions, PsiResult
from fenji.compute.wire import Channel, TlsFiles, accept, connect
from fenji.errors import InputError, choices

PROTOCOL = "fenji-psi-spu"
VERSION = 1
# fenji's names -> spu's enum names, and how the per-run record describes them.
PROTOCOLS = {"rr22": "PROTOCOL_RR22", "kkrt": "PROTOCOL_KKRT", "ecdh": "PROTOCOL_ECDH"}
LABELS = {
    "rr22": "RR22 (VOLE-based OPRF, semi-honest)",
    "kkrt": "KKRT (OT-based OPRF, semi-honest)",
    "ecdh": "ECDH",
}
CURVES = {
    "sm2": ("CURVE_SM2", "SM2"),
    "curve25519": ("CURVE_25519", "Curve25519"),
    "fourq": ("CURVE_FOURQ", "FourQ"),
    "secp256k1": ("CURVE_SECP256K1", "secp256k1"),
}
DEFAULT_CURVE = "curve25519"
INSTALL = "pip install 'fenji[spu]' (Linux x86_64/aarch64, Python 3.10-3.11, numpy<2)"
SERVE_RANK, CONNECT_RANK = 0, 1  # spu's ranks; the connecting side is the receiver
_RUN_ID = re.compile(r"[A-Za-z0-9-]{1,64}")

Say = Callable[[str], None]


def version() -> str | None:
    """The installed spu version, or None without the extra (spu itself is not imported)."""
    if importlib.util.find_spec("spu") is None:
        return None
    try:
        return importlib.metadata.version("spu")
    except importlib.metadata.PackageNotFoundError:
        return None


def check_installed() -> str:
    """spu's version; ``InputError`` with the install command when the extra is missing."""
    found = version()
    if found is None:
        raise InputError(
            f"--backend spu: SecretFlow's spu is not installed; {INSTALL}, "
            "or use --backend openmined-psi"
        )
    return found


@dataclass(frozen=True)
class SpuSettings:
    """The spu options of one side; protocol and curve must equal the partner's."""

    protocol: str = "rr22"
    curve: str | None = None  # ECDH only
    link_port: int | None = None  # None: serving --port + 1, connecting any free port
    tls: TlsFiles | None = None  # all three files when TLS is on (the link is mutual TLS)

    def label(self) -> str:
        """``RR22``, ``ECDH SM2``: how messages name the protocol."""
        name = self.protocol.upper()
        return f"{name} {CURVES[self.curve][1]}" if self.curve else name


def settings(
    protocol: str | None, curve: str | None, link_port: int | None, size_only: bool,
    tls: TlsFiles | None,
) -> SpuSettings:
    """Check the spu options of the command line (``InputError`` naming the option)."""
    if size_only:
        raise InputError(
            "--size-only with --backend spu: spu's RR22, KKRT and ECDH protocols reveal the "
            "shared identifiers themselves to the receiving side and have no size-only output; "
            "use --backend openmined-psi for --size-only"
        )
    proto = (protocol or "rr22").lower()
    if proto not in PROTOCOLS:
        raise InputError(f"--protocol {protocol!r}: valid: {choices(PROTOCOLS)}")
    if curve is not None and proto != "ecdh":
        raise InputError(f"--curve applies to --protocol ecdh only ({proto} uses no curve)")
    name = (curve or DEFAULT_CURVE).lower() if proto == "ecdh" else None
    if name is not None and name not in CURVES:
        raise InputError(
            f"--curve {curve!r}: valid: {choices(CURVES)} (spu has no P-256; "
            "--backend openmined-psi uses it)"
        )
    if link_port is not None and not 0 <= link_port < 65536:
        raise InputError(f"--link-port {link_port}: must be 0 (any free port) to 65535")
    if tls is not None and None in (tls.cert, tls.key, tls.ca):
        raise InputError(
            "--backend spu with TLS needs --cert, --key and --ca on both sides: spu's link is "
            "mutual TLS (each side also accepts the partner's connection)"
        )
    return SpuSettings(proto, name, link_port, tls)


def describe(spu: SpuSettings) -> str:
    """``spu 0.9.5 RR22 (…)`` / ``spu 0.9.5 ECDH SM2`` for the per-run record."""
    label = f"ECDH {CURVES[spu.curve][1]}" if spu.curve else LABELS[spu.protocol]
    return f"spu {check_installed()} {label}"


def _host(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _bindable(ip: str, port: int) -> int:
    """``port`` (0: a free one) after checking it can be listened on now."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    try:
        with socket.create_server((ip, port), family=family) as probe:
            return int(probe.getsockname()[1])
    except OSError as exc:
        raise InputError(
            f"--link-port {port}: cannot listen on {ip}:{port} ({exc.strerror}); "
            "pick another with --link-port"
        ) from None


def _fail(ch: Channel, reason: str) -> ProtocolError:
    ch.send_error(reason)  # so the partner stops at once with our reason
    return ProtocolError(f"partner {ch.peer}: {reason}")


@dataclass(frozen=True)
class _Outcome:
    matches: pl.Series | None  # own identifiers in the intersection, when revealed to us
    early: dict[str, Any] | None  # the partner's "done", if it came while we still ran


def _named(protocol: Any, curve: Any) -> str:
    return f"--protocol {protocol}" + (f" --curve {curve}" if curve else "")


def _check_hello(
    hello: dict[str, Any], ids: Identifiers, opts: PsiOptions, spu: SpuSettings
) -> str | None:
    """Why the serving side refuses the partner's hello, or None to go on."""
    proto, ver = hello.get("protocol"), check_installed()
    if proto == psi.PROTOCOL:
        return (
            "the partner runs --backend openmined-psi, the serving side --backend spu: "
            "both must pass the same --backend"
        )
    if proto != PROTOCOL or hello.get("version") != VERSION:
        return f"protocol {proto} v{hello.get('version')}; we speak {PROTOCOL} v{VERSION}"
    if hello.get("spu") != ver:
        return f"the partner runs spu {hello.get('spu')}, the serving side spu {ver}: use one"
    if (hello.get("psi_protocol"), hello.get("curve")) != (spu.protocol, spu.curve):
        theirs = _named(hello.get("psi_protocol"), hello.get("curve"))
        return (
            f"the partner asks for {theirs}, the serving side runs "
            f"{_named(spu.protocol, spu.curve)}: both must pass the same --protocol (and --curve)"
        )
    if bool(hello.get("tls")) != (spu.tls is not None):
        return "TLS on spu's link needs --cert, --key and --ca on both sides"
    port, run_id = hello.get("link_port"), hello.get("run_id")
    if not isinstance(port, int) or not 0 < port < 65536:
        return "the partner announced no valid spu link port"
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        return "the partner announced no valid run id"
    return psi.peer_refusal(hello, ids, opts)


def _job(base: Path, ids: Identifiers, spu: SpuSettings, rank: int, parties: list[tuple[str, str]],
         link_id: str, broadcast: bool, timeout: float) -> None:
    # One random row per side that never matches: spu's whole-set hash reveals nothing then.
    salt = pl.Series("id", [f"~fenji-{secrets.token_hex(16)}"])
    pl.concat([salt, ids.values.alias("id")]).to_frame().write_csv(base / "input.csv")
    tls = spu.tls
    job = {
        "parties": parties, "rank": rank, "link_id": link_id, "timeout": timeout,
        "protocol": PROTOCOLS[spu.protocol], "curve": CURVES[spu.curve][0] if spu.curve else None,
        "receiver_rank": CONNECT_RANK, "broadcast": broadcast,
        "input": str(base / "input.csv"), "output": str(base / "output.csv"),
        "tls": None if tls is None else {
            k: str(Path(str(v)).resolve()) for k, v in (("cert", tls.cert), ("key", tls.key),
                                                       ("ca", tls.ca))
        },
    }
    (base / "job.json").write_text(json.dumps(job))


@contextlib.contextmanager
def _term_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, a service manager) ends the run like Ctrl-C: the worker is killed and
    the private directory with the identifiers deleted on the way out. Only SIGKILL leaves it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _readable(ch: Channel, wait: float) -> bool:
    import select

    if isinstance(ch.sock, ssl.SSLSocket) and ch.sock.pending():
        return True
    return bool(select.select([ch.sock], [], [], wait)[0])


def _worker_error(
    ch: Channel, base: Path, code: int | None, timeout: float, what: str
) -> Exception:
    try:
        info = json.loads((base / "error.json").read_text())
    except (OSError, ValueError):
        # yacl ends the process itself (exit -1, or abort on a receive timeout) when the
        # partner vanishes or stalls, without a Python exception to report.
        how = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        return _fail(ch, f"spu stopped while {what} ({how}): no message from the partner within "
                     f"{timeout:g} s, or it left mid-protocol, or the network dropped")
    detail = f"{info.get('type')}: {info.get('detail')}"
    if info.get("stage") == "import":
        ch.send_error("spu cannot be loaded on the other side")
        return InputError(f"--backend spu: spu is installed but cannot be loaded ({detail}); "
                          f"{INSTALL}")
    if info.get("stage") == "link":
        return _fail(ch, f"spu's link could not be set up within {timeout:g} s ({detail}); each "
                     "side must accept a TCP connection from the other on its --link-port")
    if "timeout" in detail.lower():
        return _fail(ch, f"no spu message within {timeout:g} s while {what} (the partner "
                     "stalled or left mid-protocol)")
    return _fail(ch, f"spu failed while {what} ({detail})")


def _watch(ch: Channel, proc: subprocess.Popen[bytes], base: Path, timeout: float, what: str,
           say: Say) -> dict[str, Any] | None:
    """Wait for the worker; stop at once when the partner leaves or reports an error."""
    started = time.monotonic()
    note = started + 60
    early: dict[str, Any] | None = None
    while not (base / "result.json").exists():
        if proc.poll() is not None and not (base / "result.json").exists():
            raise _worker_error(ch, base, proc.returncode, timeout, what)
        now = time.monotonic()
        if now - started > timeout + 5 and not (base / "link-up").exists():
            raise _fail(ch, f"spu's link could not be set up within {timeout:g} s; each side must "
                        "accept a TCP connection from the other on its --link-port")
        if now > note:
            say(f"{what}: {now - started:.0f} s so far")
            note += 60
        if early is None and _readable(ch, 0.1):
            # The partner's parent process is gone (EOF), reports an error, or finished first.
            early = ch.recv_json(what)
            if not early.get("done"):
                raise _fail(ch, f"unexpected message while {what}")
        elif early is not None:
            time.sleep(0.1)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout)  # the worker closes the link once the partner has our last messages
    return early


def _run(ch: Channel, ids: Identifiers, spu: SpuSettings, opts: PsiOptions, rank: int,
         parties: list[tuple[str, str]], link_id: str, broadcast: bool, say: Say) -> _Outcome:
    """Run spu's PSI in the worker; this side's own matches when the result reaches it."""
    what = f"running {spu.label()} with spu"
    with tempfile.TemporaryDirectory(prefix="fenji-spu-", ignore_cleanup_errors=True) as tmp:
        base = Path(tmp)  # mkdtemp: mode 0700
        _job(base, ids, spu, rank, parties, link_id, broadcast, opts.timeout)
        tls = "mutual TLS" if spu.tls else "no TLS"
        say(f"{what}: link {parties[rank][1]} <-> {parties[1 - rank][1]} ({tls})")
        proc = spu_worker.start(base)
        try:
            with _term_as_interrupt():
                early = _watch(ch, proc, base, opts.timeout, what, say)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            spu_worker.tidy(base)
        if rank != CONNECT_RANK and not broadcast:
            return _Outcome(None, early)
        try:
            found = pl.read_csv(base / "output.csv", infer_schema=False, columns=["id"])
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise _fail(ch, f"spu wrote no readable result ({type(exc).__name__})") from None
        # Only our own identifiers: the output holds our rows, and the salt row never matches.
        own = ids.values.filter(ids.values.is_in(found.get_column("id").implode()))
        return _Outcome(own, early)


def _result(role: str, run_id: str, ids: Identifiers, peer_size: int, matches: pl.Series | None,
            ch: Channel, shared: bool, started: float) -> PsiResult:
    size = None if matches is None else matches.len()
    if role == "serve":
        learnt = (SET_SIZE,) + ((INTERSECTION,) if size is not None else ())
        told: tuple[str, ...] = (SET_SIZE, INTERSECTION)
    else:
        learnt, told = (SET_SIZE, INTERSECTION), (SET_SIZE,) + ((INTERSECTION,) if shared else ())
    return PsiResult(role, run_id, ids.info_type, ids.size, peer_size, size, matches, ch.peer,
                     ch.peer_subject(), ch.tls, learnt, told, time.monotonic() - started)


def serve(ids: Identifiers, server: socket.socket, ctx: ssl.SSLContext | None, opts: PsiOptions,
          spu: SpuSettings, say: Say) -> PsiResult:
    """Take part as the serving side (spu's sender) on a listening socket; one run."""
    started = time.monotonic()
    bind, port = server.getsockname()[:2]
    wanted = spu.link_port if spu.link_port is not None else (port + 1 if port else 0)
    link_port = _bindable(bind, wanted if wanted < 65536 else 0)
    say(f"spu link port {link_port} (the partner connects to it too)")
    ch = accept(server, ctx, opts.timeout)
    try:
        hello = ch.recv_json("waiting for the partner's hello")
        refusal = _check_hello(hello, ids, opts, spu)
        if refusal is not None:
            ch.send_error(refusal)
            raise ProtocolError(f"partner {ch.peer}: refused: {refusal}")
        run_id, peer_size = str(hello["run_id"]), int(hello["size"])
        shared = opts.want_result  # the hello check made sure the partner agreed
        ch.send_json({"ok": True, "size": ids.size, "want_result": shared, "link_port": link_port})
        peer_link = _host(ch.sock.getpeername()[0], int(hello["link_port"]))
        parties = [("serve", _host(bind, link_port)), ("connect", peer_link)]
        out = _run(ch, ids, spu, opts, SERVE_RANK, parties, run_id, shared, say)
        done = out.early or ch.recv_json("waiting for the partner to finish")
        if shared and (out.matches is None or done.get("size") != out.matches.len()):
            raise ProtocolError(f"partner {ch.peer}: reports another intersection size")
        return _result("serve", run_id, ids, peer_size, out.matches, ch, shared, started)
    finally:
        ch.close()


def run_connect(ids: Identifiers, host: str, port: int, ctx: ssl.SSLContext | None,
                opts: PsiOptions, spu: SpuSettings, say: Say) -> PsiResult:
    """Take part as the connecting side (spu's receiver): learn the intersection."""
    started = time.monotonic()
    run_id = str(uuid.uuid4())
    ch = connect(host, port, ctx, opts.timeout)
    try:
        local = ch.sock.getsockname()[0]  # the address the partner sees us at
        link_port = _bindable(local, spu.link_port or 0)
        ch.send_json({
            "protocol": PROTOCOL, "version": VERSION, "spu": check_installed(), "run_id": run_id,
            "psi_protocol": spu.protocol, "curve": spu.curve, "tls": spu.tls is not None,
            "info_type": ids.info_type, "size": ids.size, "share_result": opts.share_result,
            "link_port": link_port,
        })
        try:
            reply = ch.recv_json("waiting for the partner's reply")
        except ProtocolError as exc:
            if ctx is None and "refused" not in str(exc) and "stopped" not in str(exc):
                raise ProtocolError(f"{exc}; if the partner uses TLS, pass --ca") from None
            raise
        peer_size, server_port = reply.get("size"), reply.get("link_port")
        if not isinstance(peer_size, int) or not isinstance(server_port, int):
            raise ProtocolError(f"partner {ch.peer}: sent an invalid reply (not a spu server?)")
        shared = bool(reply.get("want_result"))
        if shared and not opts.share_result:  # a serving side that skipped its own check
            raise _fail(ch, "the serving side wants the result, but --share-result was not given")
        parties = [("serve", _host(host, server_port)), ("connect", _host(local, link_port))]
        out = _run(ch, ids, spu, opts, CONNECT_RANK, parties, run_id, shared, say)
        size = None if out.matches is None else out.matches.len()
        ch.send_json({"done": True, "size": size if shared else None})
        return _result("connect", run_id, ids, peer_size, out.matches, ch, shared, started)
    finally:
        ch.close()
