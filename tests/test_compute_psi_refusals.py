"""PSI refusals and agreement checks, both sides in one process over real loopback sockets."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from fenji.compute import psi, wire
from fenji.compute.certs import make_certs
from fenji.compute.errors import ProtocolError
from fenji.compute.normalize import Identifiers, prepare
from fenji.compute.psi import PsiOptions, PsiResult
from test_compute_support import phones, styled


def _ids(n: int, seed: int, style: str = "plain", skip: int = 0) -> Identifiers:
    """``n`` numbers of the fixed sequence for ``seed``, after the first ``skip``."""
    nums = pl.Series(phones(500, seed)[skip : skip + n])
    return prepare(styled(nums, style), "phone", "CN_MOBILE_PHONE")


def _pair(
    server_ids: Identifiers, client_ids: Identifiers, serve: PsiOptions, connect: PsiOptions,
    server_ctx: Any = None, client_ctx: Any = None,
) -> tuple[PsiResult | BaseException, PsiResult | BaseException]:
    sock = wire.listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    served: list[PsiResult | BaseException] = []

    def run() -> None:
        try:
            served.append(psi.serve(server_ids, sock, server_ctx, serve))
        except BaseException as exc:  # handed to the test thread
            served.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        joined: PsiResult | BaseException = psi.run_connect(
            client_ids, "127.0.0.1", port, client_ctx, connect
        )
    except ProtocolError as exc:
        joined = exc
    thread.join(60)
    return served[0], joined


def test_in_process_pair_matches_and_both_learn_sizes() -> None:
    a, b = _ids(120, 3), _ids(100, 3, "+86", skip=40)  # 80 in common
    served, joined = _pair(a, b, PsiOptions(), PsiOptions())
    assert isinstance(served, PsiResult) and isinstance(joined, PsiResult)
    assert joined.intersection_size == 80 and joined.matches is not None
    assert set(joined.matches.to_list()) == set(a.values.to_list()) & set(b.values.to_list())
    assert served.matches is None and served.intersection_size is None
    assert (served.peer_size, joined.peer_size) == (100, 120)


def test_server_may_learn_the_result_when_the_client_agrees() -> None:
    a, b = _ids(150, 4), _ids(60, 4, "dash", skip=200)  # none in common
    served, joined = _pair(a, b, PsiOptions(want_result=True), PsiOptions(share_result=True))
    assert isinstance(served, PsiResult) and isinstance(joined, PsiResult)
    assert served.matches is not None and joined.matches is not None
    assert served.matches.len() == joined.matches.len() == 0
    a, b = _ids(150, 4), _ids(60, 4, "dash", skip=100)  # 50 in common
    served, joined = _pair(a, b, PsiOptions(want_result=True), PsiOptions(share_result=True))
    assert isinstance(served, PsiResult) and isinstance(joined, PsiResult)
    assert served.matches is not None and joined.matches is not None
    assert served.matches.sort().to_list() == joined.matches.sort().to_list()
    assert served.matches.len() == 50
    assert "intersection (own matching identifiers)" in joined.revealed_to_peer


def test_size_only_with_shared_size() -> None:
    a, b = _ids(150, 5), _ids(60, 5)
    served, joined = _pair(
        a, b, PsiOptions(want_result=True), PsiOptions(size_only=True, share_result=True)
    )
    assert isinstance(served, PsiResult) and isinstance(joined, PsiResult)
    assert served.intersection_size == joined.intersection_size == 60
    assert served.matches is None and joined.matches is None


@pytest.mark.parametrize(
    ("serve", "connect", "message"),
    [
        (PsiOptions(size_only=True), PsiOptions(), "allows only the intersection size"),
        (PsiOptions(want_result=True), PsiOptions(), "--share-result"),
        (PsiOptions(max_peer_size=50), PsiOptions(), "exceeds the serving side's --max-peer-size"),
    ],
)
def test_refusals_stop_both_sides_with_the_reason(
    serve: PsiOptions, connect: PsiOptions, message: str
) -> None:
    served, joined = _pair(_ids(100, 6), _ids(100, 7), serve, connect)
    assert isinstance(served, ProtocolError) and isinstance(joined, ProtocolError)
    assert message in str(joined) and message in str(served)


def test_identifier_types_must_match() -> None:
    mails = prepare(pl.Series([f"u{i}@example.com" for i in range(40)]), "mail", None)
    assert mails.info_type == "EMAIL_ADDRESS"
    served, joined = _pair(_ids(50, 8), mails, PsiOptions(), PsiOptions())
    assert isinstance(joined, ProtocolError)
    assert "EMAIL_ADDRESS" in str(joined) and "CN_MOBILE_PHONE" in str(joined)


def test_plain_client_against_tls_server_fails_with_a_hint(tmp_path: Path) -> None:
    make_certs(tmp_path, 1, ["127.0.0.1"])
    ctx = wire.server_context(wire.TlsFiles(tmp_path / "party_0.crt", tmp_path / "party_0.key"))
    served, joined = _pair(
        _ids(30, 9), _ids(30, 9), PsiOptions(timeout=10), PsiOptions(timeout=10), server_ctx=ctx
    )
    assert isinstance(served, ProtocolError) and "TLS handshake failed" in str(served)
    assert isinstance(joined, ProtocolError) and "pass --ca" in str(joined)


def test_tls_client_verifies_the_server_name(tmp_path: Path) -> None:
    make_certs(tmp_path, 1, ["localhost"])  # valid for localhost, not 127.0.0.1
    files = wire.TlsFiles(tmp_path / "party_0.crt", tmp_path / "party_0.key")
    client = wire.client_context(wire.TlsFiles(ca=tmp_path / "ca.crt"))
    served, joined = _pair(
        _ids(30, 10), _ids(30, 10), PsiOptions(timeout=10), PsiOptions(timeout=10),
        server_ctx=wire.server_context(files), client_ctx=client,
    )
    assert isinstance(joined, ProtocolError) and "TLS handshake failed" in str(joined)


def test_spu_settings_are_checked_without_spu() -> None:
    from fenji.compute.psi_spu import settings
    from fenji.errors import InputError

    assert settings(None, None, None, False, None).label() == "RR22"
    assert settings("ECDH", "SM2", 0, False, None).label() == "ECDH SM2"
    assert settings("ecdh", None, None, False, None).curve == "curve25519"
    for args, message in (
        (("rr22", None, None, True, None), "use --backend openmined-psi"),
        (("oprf", None, None, False, None), "valid: ecdh, kkrt, rr22"),
        (("kkrt", "sm2", None, False, None), "--protocol ecdh only"),
        (("ecdh", "p256", None, False, None), "valid: curve25519, fourq, secp256k1, sm2"),
        (("rr22", None, -1, False, None), "--link-port -1"),
        (("rr22", None, None, False, wire.TlsFiles(ca=Path("ca.crt"))), "on both sides"),
    ):
        with pytest.raises(InputError, match=message):
            settings(*args)


def test_native_error_text_is_scrubbed_of_values() -> None:
    from fenji.compute.spu_worker import scrub

    text = (
        "what: \n\t[external/yacl~/yacl/link/context.cc:194] key 13800138000 of a@b.cn failed\n"
        "stacktrace: \n#0 yacl::link::Context::ConnectToMesh()+0x7f"
    )
    assert scrub(text) == "key … of … failed"
    assert scrub("") == "no detail"


def test_client_shares_nothing_without_share_result() -> None:
    a, b = _ids(60, 12), _ids(60, 12)
    sock = wire.listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    told: list[str] = []

    def careless_server() -> None:  # asks for the result although the client did not agree
        ch = wire.accept(sock, None, 10)
        size = int(ch.recv_json("hello")["size"])
        ch.send_json({"ok": True, "size": a.size, "want_result": True})
        server, setup = psi._setup(a.values.to_list(), size, True)
        ch.send(b"B", setup)
        psi._answer(server, ch, size, True, "request")
        try:
            ch.recv_json("reversed setup")
        except ProtocolError as exc:
            told.append(str(exc))
        ch.close()

    thread = threading.Thread(target=careless_server)
    thread.start()
    with pytest.raises(ProtocolError, match="--share-result was not given"):
        psi.run_connect(b, "127.0.0.1", port, None, PsiOptions(timeout=10))
    thread.join(20)
    assert told and "--share-result was not given" in told[0]
