"""Private set intersection between two parties, on the OpenMined PSI library (ECDH, P-256).

The serving party publishes a compressed (Golomb-coded) set of its identifiers blinded with its
secret key; the connecting party sends its identifiers blinded with its own key; the server
blinds them once more and returns them, and the connecting party, after removing its own
blinding, finds which are in the server's set. Each side learns the other's set size. The
connecting side learns the intersection (its own matching identifiers), or with ``size_only``
only its size (the server then shuffles its answer). No identifier crosses the wire in the clear.

When the server asks for the result (``want_result``) and the connecting side agrees
(``share_result``), a second, reversed round reveals the intersection to the server too: the
connecting side serves only the intersection it found, so nothing beyond it is revealed.

Protocol messages (``wire`` frames): hello (JSON) -> reply (JSON) -> server setup -> request ->
response [-> reversed setup -> request -> response | size] -> done (JSON).
"""

from __future__ import annotations

import socket
import ssl
import time
import uuid
from dataclasses import dataclass
from typing import Any

import polars as pl

from fenji.compute.errors import ProtocolError
from fenji.compute.normalize import Identifiers
from fenji.compute.wire import Channel, accept, connect
from fenji.errors import InputError

PROTOCOL = "fenji-psi"
VERSION = 1
BACKEND = "openmined-psi"
FPR = 1e-9  # chance that the whole run reports one false match

# What each side learns, in the words of the per-run record.
SET_SIZE = "set size"
INTERSECTION_SIZE = "intersection size"
INTERSECTION = "intersection (own matching identifiers)"


def _psi() -> Any:
    # Imported lazily: the binding loads a native library that plain scans never need.
    import private_set_intersection.python as psi

    return psi


def check_backend(name: str) -> None:
    """``openmined-psi`` (built in) or ``spu`` (optional extra: it must be installed)."""
    if name == BACKEND:
        return
    if name == "spu":
        from fenji.compute.psi_spu import check_installed

        check_installed()
        return
    raise InputError(f"--backend {name!r}: valid: openmined-psi, spu")


def backend_version() -> str:
    """``openmined-psi <version>`` for the per-run record."""
    return f"{BACKEND} {_psi().__version__} (ECDH P-256)"


@dataclass(frozen=True)
class PsiOptions:
    """How one side takes part. Both sides must agree (checked in the hello exchange)."""

    size_only: bool = False  # learn (connect) or allow (serve) only the intersection size
    want_result: bool = False  # serving side: ask to learn the result too
    share_result: bool = False  # connecting side: agree to reveal the result to the server
    timeout: float = 600.0  # seconds to wait for the partner at any step
    max_peer_size: int | None = None  # serving side: refuse larger partner sets


@dataclass(frozen=True)
class PsiResult:
    """What one side learnt. ``matches`` holds only this side's own identifiers."""

    role: str  # "serve" | "connect"
    run_id: str
    info_type: str
    my_size: int
    peer_size: int
    intersection_size: int | None  # None when it was not revealed to this side
    matches: pl.Series | None  # own identifiers in the intersection, when revealed to us
    peer: str  # address of the partner
    peer_subject: str | None  # common name of its verified TLS certificate
    tls: bool
    revealed_to_me: tuple[str, ...]
    revealed_to_peer: tuple[str, ...]
    seconds: float


def _parse(kind: str, payload: bytes, ch: Channel, step: str) -> Any:
    message = getattr(_psi(), kind)()
    try:
        message.ParseFromString(payload)
    except Exception as exc:  # protobuf raises its own DecodeError type
        raise ProtocolError(
            f"partner {ch.peer}: undecodable {step} ({type(exc).__name__})"
        ) from None
    return message


def _setup(items: list[str], peer_size: int, reveal: bool) -> tuple[Any, bytes]:
    psi = _psi()
    server = psi.server.CreateWithNewKey(reveal)
    setup = server.CreateSetupMessage(FPR, max(peer_size, 1), items, psi.DataStructure.GCS)
    return server, setup.SerializeToString()


def _answer(server: Any, ch: Channel, peer_size: int, reveal: bool, step: str) -> None:
    """Serve one request: check it is what was agreed, blind it again, send it back."""
    request = _parse("Request", ch.recv_binary(step), ch, "request")
    if len(request.encrypted_elements) != peer_size or request.reveal_intersection != reveal:
        raise ProtocolError(
            f"partner {ch.peer}: its request does not match the agreed run "
            f"({len(request.encrypted_elements)} identifiers announced as {peer_size})"
        )
    ch.send(b"B", server.ProcessRequest(request).SerializeToString())


def _query(items: list[str], ch: Channel, reveal: bool, step: str) -> list[int] | int:
    """Ask the partner's setup: indices of our matching items, or only their number."""
    psi = _psi()
    setup = _parse("ServerSetup", ch.recv_binary(step), ch, "setup")
    client = psi.client.CreateWithNewKey(reveal)
    ch.send(b"B", client.CreateRequest(items).SerializeToString())
    response = _parse("Response", ch.recv_binary("waiting for the partner's answer"), ch, "answer")
    if reveal:
        return sorted(client.GetIntersection(setup, response))
    return int(client.GetIntersectionSize(setup, response))


def peer_refusal(hello: dict[str, Any], ids: Identifiers, opts: PsiOptions) -> str | None:
    """Checks of a partner's hello shared by both backends: type, size, result sharing."""
    if hello.get("info_type") != ids.info_type:
        return (
            f"the partner matches {hello.get('info_type')} identifiers, the serving side "
            f"{ids.info_type}: both must use the same --type"
        )
    size = hello.get("size")
    if not isinstance(size, int) or size < 1:
        return "the partner announced no identifiers"
    if opts.max_peer_size is not None and size > opts.max_peer_size:
        return (
            f"the partner's set ({size} identifiers) exceeds the serving side's "
            f"--max-peer-size {opts.max_peer_size}"
        )
    if opts.want_result and not hello.get("share_result"):
        return (
            "the serving side asks to learn the result too (it passed --output); "
            "connect with --share-result to agree, or ask it to drop --output"
        )
    return None


def _check_hello(hello: dict[str, Any], ids: Identifiers, opts: PsiOptions) -> str | None:
    """Why the serving side refuses the partner's hello, or None to go on."""
    if hello.get("protocol") == "fenji-psi-spu":
        return (
            "the partner runs --backend spu, the serving side --backend openmined-psi: "
            "both must pass the same --backend"
        )
    if hello.get("protocol") != PROTOCOL or hello.get("version") != VERSION:
        return f"protocol {hello.get('protocol')} v{hello.get('version')}; we speak {PROTOCOL} v1"
    if opts.size_only and hello.get("mode") != "size":
        return "the serving side allows only the intersection size: connect with --size-only"
    return peer_refusal(hello, ids, opts)


def serve(
    ids: Identifiers, server: socket.socket, ctx: ssl.SSLContext | None, opts: PsiOptions
) -> PsiResult:
    """Take part as the serving side on an already listening socket (one run, then close)."""
    started = time.monotonic()
    ch = accept(server, ctx, opts.timeout)
    try:
        hello = ch.recv_json("waiting for the partner's hello")
        refusal = _check_hello(hello, ids, opts)
        if refusal is not None:
            ch.send_error(refusal)
            raise ProtocolError(f"partner {ch.peer}: refused: {refusal}")
        peer_size = int(hello["size"])
        reveal = hello.get("mode") == "intersection"
        ch.send_json({"ok": True, "size": ids.size, "want_result": opts.want_result})
        items = ids.values.to_list()
        server_psi, setup = _setup(items, peer_size, reveal)
        ch.send(b"B", setup)
        _answer(server_psi, ch, peer_size, reveal, "waiting for the partner's blinded identifiers")
        size: int | None = None
        matches: pl.Series | None = None
        if opts.want_result and reveal:
            found = _query(items, ch, True, "waiting for the reversed setup")
            assert isinstance(found, list)
            matches = ids.values.gather(found)
            size = matches.len()
        elif opts.want_result:
            size = _int(ch.recv_json("waiting for the intersection size").get("size"), ch)
        done = ch.recv_json("waiting for the partner to finish")
        if size is not None and done.get("size") != size:
            raise ProtocolError(f"partner {ch.peer}: reports another intersection size")
        learnt = (SET_SIZE,) + (
            (INTERSECTION if reveal else INTERSECTION_SIZE,) if size is not None else ()
        )
        told = (SET_SIZE, INTERSECTION if reveal else INTERSECTION_SIZE)
        return PsiResult(
            "serve",
            str(hello.get("run_id", "")),
            ids.info_type,
            ids.size,
            peer_size,
            size,
            matches,
            ch.peer,
            ch.peer_subject(),
            ch.tls,
            learnt,
            told,
            time.monotonic() - started,
        )
    finally:
        ch.close()


def _int(value: Any, ch: Channel) -> int:
    if not isinstance(value, int) or value < 0:
        raise ProtocolError(f"partner {ch.peer}: sent an invalid size")
    return value


def run_connect(
    ids: Identifiers, host: str, port: int, ctx: ssl.SSLContext | None, opts: PsiOptions
) -> PsiResult:
    """Take part as the connecting side: learn the intersection (or only its size)."""
    started = time.monotonic()
    run_id = str(uuid.uuid4())
    ch = connect(host, port, ctx, opts.timeout)
    reveal = not opts.size_only
    try:
        ch.send_json(
            {
                "protocol": PROTOCOL,
                "version": VERSION,
                "run_id": run_id,
                "info_type": ids.info_type,
                "size": ids.size,
                "mode": "intersection" if reveal else "size",
                "share_result": opts.share_result,
            }
        )
        try:
            reply = ch.recv_json("waiting for the partner's reply")
        except ProtocolError as exc:
            if ctx is None and "refused" not in str(exc):
                raise ProtocolError(f"{exc}; if the partner uses TLS, pass --ca") from None
            raise
        peer_size = _int(reply.get("size"), ch)
        items = ids.values.to_list()
        found = _query(items, ch, reveal, "waiting for the partner's setup")
        if isinstance(found, list):
            matches: pl.Series | None = ids.values.gather(found)
            size = len(found)
        else:
            matches, size = None, found
        shared = bool(reply.get("want_result"))
        if shared and not opts.share_result:  # a serving side that skipped its own check
            reason = "the serving side wants the result, but --share-result was not given"
            ch.send_error(reason)
            raise ProtocolError(f"partner {ch.peer}: {reason}")
        if shared and matches is not None:
            server_psi, setup = _setup(matches.to_list(), peer_size, True)
            ch.send(b"B", setup)
            _answer(server_psi, ch, peer_size, True, "waiting for the reversed request")
        elif shared:
            ch.send_json({"size": size})
        ch.send_json({"done": True, "size": size if shared else None})
        learnt = (SET_SIZE, INTERSECTION if reveal else INTERSECTION_SIZE)
        told = (SET_SIZE,) + ((learnt[1],) if shared else ())
        return PsiResult(
            "connect",
            run_id,
            ids.info_type,
            ids.size,
            peer_size,
            size,
            matches,
            ch.peer,
            ch.peer_subject(),
            ch.tls,
            learnt,
            told,
            time.monotonic() - started,
        )
    finally:
        ch.close()
