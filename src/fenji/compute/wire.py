"""Two-party transport for PSI: TCP (optionally TLS) with typed, length-prefixed messages.

A frame is one kind byte (``J`` JSON control message, ``B`` binary protocol message, ``E`` error
text), a 4-byte big-endian length and the payload. Every read has a timeout and a size cap, so a
partner that vanishes or stalls ends the run with a ``ProtocolError`` naming it, never a hang.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fenji.compute.errors import ProtocolError
from fenji.errors import InputError

MAX_FRAME = 1 << 30  # 1 GiB: ~30 M blinded identifiers; larger sets need the spu backend
_HEADER = struct.Struct(">cI")
_KINDS = (b"J", b"B", b"E")


@dataclass(frozen=True)
class TlsFiles:
    """Certificate files; which are needed depends on the side (see ``server_context``)."""

    cert: Path | None = None
    key: Path | None = None
    ca: Path | None = None

    def _check(self) -> None:
        for flag, path in (("--cert", self.cert), ("--key", self.key), ("--ca", self.ca)):
            if path is not None and not path.is_file():
                raise InputError(f"{flag} {path}: no such file")
        if (self.cert is None) != (self.key is None):
            raise InputError("--cert and --key go together (certificate and its private key)")


def _load(ctx: ssl.SSLContext, files: TlsFiles) -> None:
    try:
        if files.cert is not None and files.key is not None:
            ctx.load_cert_chain(files.cert, files.key)
        if files.ca is not None:
            ctx.load_verify_locations(cafile=files.ca)
    except (ssl.SSLError, OSError) as exc:
        raise InputError(f"TLS files could not be loaded ({type(exc).__name__}): {exc}") from exc


def server_context(files: TlsFiles) -> ssl.SSLContext | None:
    """TLS for the serving side: ``--cert/--key``; ``--ca`` also demands client certificates."""
    files._check()
    if files.cert is None:
        if files.ca is not None:
            raise InputError("--ca on the serving side needs --cert and --key as well")
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    _load(ctx, files)
    if files.ca is not None:
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def client_context(files: TlsFiles) -> ssl.SSLContext | None:
    """TLS for the connecting side: ``--ca`` verifies the server (``--cert/--key`` prove us)."""
    files._check()
    if files.ca is None:
        if files.cert is not None:
            raise InputError("--cert/--key when connecting need --ca to verify the server too")
        return None
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    _load(ctx, files)
    return ctx


class Channel:
    """One connection to the partner; every method raises ``ProtocolError`` on failure."""

    def __init__(self, sock: socket.socket, peer: str, timeout: float) -> None:
        self.sock = sock
        self.peer = peer
        self.sock.settimeout(timeout)
        self.timeout = timeout

    @property
    def tls(self) -> bool:
        """True when the connection is encrypted."""
        return isinstance(self.sock, ssl.SSLSocket)

    def peer_subject(self) -> str | None:
        """Common name of the partner's verified certificate, if it presented one."""
        if not isinstance(self.sock, ssl.SSLSocket):
            return None
        cert: Any = self.sock.getpeercert() or {}
        for rdn in cert.get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    return str(value)
        return None

    def _fail(self, what: str) -> ProtocolError:
        return ProtocolError(f"partner {self.peer}: {what}")

    def _recv_exact(self, n: int, step: str) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = self.sock.recv(min(n - len(buf), 1 << 20))
            except TimeoutError:
                raise self._fail(f"no message within {self.timeout:g} s while {step}") from None
            except (OSError, ssl.SSLError) as exc:
                raise self._fail(f"connection lost while {step} ({type(exc).__name__})") from None
            if not chunk:
                raise self._fail(f"closed the connection while {step} (left mid-protocol)")
            buf += chunk
        return bytes(buf)

    def send(self, kind: bytes, payload: bytes) -> None:
        """Send one frame."""
        try:
            self.sock.sendall(_HEADER.pack(kind, len(payload)) + payload)
        except (OSError, ssl.SSLError) as exc:
            raise self._fail(f"connection lost while sending ({type(exc).__name__})") from None

    def send_json(self, message: dict[str, Any]) -> None:
        """Send a control message."""
        self.send(b"J", json.dumps(message, sort_keys=True).encode())

    def send_error(self, text: str) -> None:
        """Tell the partner why we stop (best effort: it may be gone already)."""
        with contextlib.suppress(OSError, ssl.SSLError):
            self.sock.sendall(_HEADER.pack(b"E", len(text.encode())) + text.encode())

    def recv(self, step: str) -> tuple[bytes, bytes]:
        """Receive one frame as ``(kind, payload)``; an error frame from the partner raises."""
        kind, size = _HEADER.unpack(self._recv_exact(_HEADER.size, step))
        if kind not in _KINDS or size > MAX_FRAME:
            raise self._fail(f"sent a malformed frame while {step} (not a fenji PSI peer?)")
        payload = self._recv_exact(size, step)
        if kind == b"E":
            raise self._fail(f"stopped: {payload.decode(errors='replace')[:300]}")
        return kind, payload

    def recv_json(self, step: str) -> dict[str, Any]:
        """Receive a control message."""
        kind, payload = self.recv(step)
        try:
            message = json.loads(payload) if kind == b"J" else None
        except ValueError:
            message = None
        if not isinstance(message, dict):
            raise self._fail(f"sent an unexpected message while {step}")
        return message

    def recv_binary(self, step: str) -> bytes:
        """Receive a protocol message."""
        kind, payload = self.recv(step)
        if kind != b"B":
            raise self._fail(f"sent an unexpected message while {step}")
        return payload

    def close(self) -> None:
        """Close the connection."""
        with contextlib.suppress(OSError):
            self.sock.close()


def parse_address(text: str, flag: str) -> tuple[str, int]:
    """``host:port`` (IPv6 in brackets) as a pair; ``InputError`` naming ``flag`` otherwise."""
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"{flag} {text!r}: expected host:port, e.g. 127.0.0.1:9400")
    return host, int(port)


def listen(bind: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks a free one: read it from ``getsockname``)."""
    try:
        sock = socket.create_server((bind, port), reuse_port=False)
    except OSError as exc:
        raise InputError(f"--port {port}: cannot listen on {bind}:{port} ({exc.strerror})") from exc
    return sock


def accept(server: socket.socket, ctx: ssl.SSLContext | None, timeout: float) -> Channel:
    """Wait up to ``timeout`` seconds for the partner, then shake hands (TLS when ``ctx``)."""
    server.settimeout(timeout)
    try:
        conn, addr = server.accept()
    except TimeoutError:
        raise ProtocolError(f"no partner connected within {timeout:g} s") from None
    finally:
        server.close()
    peer = f"{addr[0]}:{addr[1]}"
    if ctx is not None:
        conn.settimeout(timeout)
        try:
            conn = ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            conn.close()
            raise ProtocolError(f"partner {peer}: TLS handshake failed ({exc})") from None
    return Channel(conn, peer, timeout)


def connect(host: str, port: int, ctx: ssl.SSLContext | None, timeout: float) -> Channel:
    """Connect, retrying until ``timeout`` so the partner may start second; TLS when ``ctx``."""
    deadline = time.monotonic() + timeout
    peer = f"{host}:{port}"
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=min(10.0, timeout))
            break
        except OSError as exc:
            if time.monotonic() >= deadline:
                why = exc.strerror or type(exc).__name__
                raise ProtocolError(
                    f"partner {peer}: could not connect within {timeout:g} s ({why})"
                ) from None
            time.sleep(0.2)
    if ctx is not None:
        try:
            sock = ctx.wrap_socket(sock, server_hostname=host)
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            raise ProtocolError(f"partner {peer}: TLS handshake failed ({exc})") from None
    return Channel(sock, peer, timeout)
