"""The record log (fenji.records.log / verify): hash chain, RFC 9162 Merkle tree, signed heads.

Tampering is done with plain SQL on the underlying table, as someone with write access would.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from fenji.catalogue import Catalogue
from fenji.errors import InputError
from fenji.records import log, merkle, signing
from fenji.records.verify import prove, verify, verify_proof


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FENJI_KEY", "11" * 32)
    monkeypatch.delenv("FENJI_SIGNING_KEY", raising=False)


@pytest.fixture
def cat(tmp_path: Path) -> Iterator[Catalogue]:
    with Catalogue(f"sqlite:///{tmp_path / 'cat.db'}") as c:
        yield c


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "log.key"
    signing.generate_key(path)
    return path


def _fill(cat: Catalogue, n: int, key_path: Path | None = None) -> None:
    key = signing.load_private_key(key_path) if key_path else None
    for i in range(n):
        log.append_event(cat, "test.event", {"i": i, "note": f"第{i}条"}, signing_key=key)


def _sql(cat: Catalogue, stmt: str, **params: object) -> None:
    with cat.engine.begin() as conn:
        conn.execute(text(stmt), params)


def _public(key_path: Path):  # noqa: ANN202 - cryptography type
    return signing.load_public_key(signing.public_path(key_path))


# --- RFC 9162 --------------------------------------------------------------------------------


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.1, written straight from the text (recursive, independent)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8, 13])
def test_root_matches_rfc9162_definition(n: int) -> None:
    data = [f"entry {i}".encode() for i in range(n)]
    assert merkle.root([merkle.leaf_hash(d) for d in data]) == _mth(data)


def test_log_root_and_chain_are_what_the_rows_say(cat: Catalogue) -> None:
    _fill(cat, 5)
    rows, _ = log.read_log(cat)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == log.GENESIS
    assert all(rows[i].prev_hash == rows[i - 1].leaf_hash for i in range(1, 5))
    data = [log.entry_bytes(r.recorded_at, r.kind, r.payload, r.prev_hash) for r in rows]
    assert merkle.root([merkle.leaf_hash(d) for d in data]) == _mth(data)
    assert verify(cat).ok


# --- tampering -------------------------------------------------------------------------------


def test_clean_log_verifies_with_key(cat: Catalogue, key_path: Path) -> None:
    _fill(cat, 6, key_path)
    report = verify(cat, _public(key_path))
    assert report.ok, report.problems
    assert report.entries == 6 and report.heads == 6 and report.heads_checked == 6


def test_edited_payload_is_named(cat: Catalogue, key_path: Path) -> None:
    _fill(cat, 6, key_path)
    _sql(cat, "UPDATE fenji_log SET payload = :p WHERE seq = 3", p='{"i":99,"note":"第3条"}')
    report = verify(cat, _public(key_path))
    assert not report.ok
    assert {(p.entry, p.kind) for p in report.problems} >= {(3, "edited")}
    assert all(p.entry is None or p.entry == 3 for p in report.problems)


def test_edit_with_recomputed_hashes_is_caught_by_signed_heads(
    cat: Catalogue, key_path: Path
) -> None:
    """An attacker rewrites entry 4 and recomputes every hash after it: chain and leaves agree,
    only the heads know better, and they name entry 4. Rewriting the heads too needs the key."""
    _fill(cat, 6, key_path)
    rows, _ = log.read_log(cat)
    prev = rows[2].leaf_hash
    leaves = [bytes.fromhex(r.leaf_hash) for r in rows[:3]]
    for r in rows[3:]:
        payload = '{"i":42,"note":"forged"}' if r.seq == 4 else r.payload
        digest = merkle.leaf_hash(log.entry_bytes(r.recorded_at, r.kind, payload, prev))
        _sql(cat, "UPDATE fenji_log SET payload=:p, prev_hash=:v, leaf_hash=:h WHERE seq=:s",
             p=payload, v=prev, h=digest.hex(), s=r.seq)
        prev = digest.hex()
        leaves.append(digest)
    report = verify(cat)
    assert [(p.entry, p.kind) for p in report.problems] == [(4, "rewritten")]
    for size in (4, 5, 6):  # forge the heads' roots as well
        _sql(cat, "UPDATE fenji_log_heads SET root_hash=:r WHERE size=:n",
             r=merkle.root(leaves, size).hex(), n=size)
    assert verify(cat).ok  # without the public key nothing shows it ...
    report = verify(cat, _public(key_path))
    assert not report.ok  # ... with it, the forged heads fail their signatures
    assert {p.kind for p in report.problems} == {"head"}
    assert sum("#4" in p.message or "#5" in p.message or "#6" in p.message
               for p in report.problems) == 3


@pytest.mark.parametrize("victim", [1, 3, 6])
def test_deleted_entry_is_named(cat: Catalogue, key_path: Path, victim: int) -> None:
    _fill(cat, 6, key_path)
    _sql(cat, "DELETE FROM fenji_log WHERE seq = :s", s=victim)
    report = verify(cat, _public(key_path))
    assert not report.ok
    assert victim in {p.entry for p in report.problems if p.kind == "missing"}


def test_deleted_and_renumbered_entry_is_named(cat: Catalogue) -> None:
    _fill(cat, 5)
    _sql(cat, "DELETE FROM fenji_log WHERE seq = 3")
    _sql(cat, "UPDATE fenji_log SET seq = seq - 1 WHERE seq > 3")
    report = verify(cat)
    assert not report.ok
    assert any(p.entry == 2 and "3" in p.message for p in report.problems)


def test_reordered_entries_are_named(cat: Catalogue, key_path: Path) -> None:
    _fill(cat, 6, key_path)
    _sql(cat, "UPDATE fenji_log SET seq = 100 WHERE seq = 2")
    _sql(cat, "UPDATE fenji_log SET seq = 2 WHERE seq = 5")
    _sql(cat, "UPDATE fenji_log SET seq = 5 WHERE seq = 100")
    report = verify(cat, _public(key_path))
    assert not report.ok
    assert {p.entry for p in report.problems if p.kind == "reordered"} == {2, 5}


def test_truncated_log_with_heads_gone_is_caught_by_a_trusted_head(
    cat: Catalogue, key_path: Path
) -> None:
    _fill(cat, 4, key_path)
    kept = log.latest_head(cat)
    assert kept is not None
    _sql(cat, "DELETE FROM fenji_log WHERE seq = 4")
    _sql(cat, "DELETE FROM fenji_log_heads WHERE size = 4")
    assert verify(cat, _public(key_path)).ok  # the catalogue alone cannot tell
    report = verify(cat, _public(key_path), trusted_head=kept.to_dict())
    assert [p.entry for p in report.problems] == [4]


def test_wrong_public_key_fails(cat: Catalogue, key_path: Path, tmp_path: Path) -> None:
    _fill(cat, 3, key_path)
    other = tmp_path / "other.key"
    signing.generate_key(other)
    report = verify(cat, signing.load_public_key(other))
    assert not report.ok
    assert {p.kind for p in report.problems} == {"key"}


def test_forged_head_signature_fails(cat: Catalogue, key_path: Path) -> None:
    _fill(cat, 3, key_path)
    _sql(cat, "UPDATE fenji_log_heads SET root_hash = :r WHERE size = 3", r="ab" * 32)
    report = verify(cat, _public(key_path))
    assert any(p.kind == "head" for p in report.problems)


def test_signing_with_another_key_is_refused(cat: Catalogue, key_path: Path,
                                             tmp_path: Path) -> None:
    _fill(cat, 2, key_path)
    other = tmp_path / "other.key"
    signing.generate_key(other)
    with pytest.raises(InputError, match="not the key of the latest tree head"):
        log.sign_head(cat, signing.load_private_key(other))
    head = log.sign_head(cat, signing.load_private_key(other), allow_new_key=True)
    assert head.size == 2


# --- proofs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seq", [1, 4, 7])
def test_inclusion_proofs_verify(cat: Catalogue, key_path: Path, seq: int) -> None:
    _fill(cat, 7, key_path)
    doc = prove(cat, seq)
    assert doc["tree_size"] == 7 and doc["head"] is not None
    assert verify_proof(doc, _public(key_path)) is None
    roundtrip = json.loads(json.dumps(doc))
    assert verify_proof(roundtrip, _public(key_path)) is None


def test_tampered_proofs_fail(cat: Catalogue, key_path: Path, tmp_path: Path) -> None:
    _fill(cat, 5, key_path)
    doc = prove(cat, 2)
    forged = dict(doc, entry_data=doc["entry_data"].replace('"i":1', '"i":7'))
    assert verify_proof(forged) is not None
    bad_path = json.loads(json.dumps(doc))
    bad_path["proof"]["path"][1] = "00" * 32
    assert verify_proof(bad_path) is not None
    other = tmp_path / "other.key"
    signing.generate_key(other)
    assert "not by the key given" in (verify_proof(doc, signing.load_public_key(other)) or "")


def test_proof_of_missing_entry_is_an_error(cat: Catalogue) -> None:
    _fill(cat, 2)
    with pytest.raises(InputError, match="entries 1 to 2"):
        prove(cat, 3)


# --- payload guard and the lead's hook -------------------------------------------------------


@pytest.mark.parametrize("raw", ["13800138000", "110101199003074514", "zhang@ex.com"])
def test_raw_identifiers_are_refused(cat: Catalogue, raw: str) -> None:
    with pytest.raises(InputError) as err:
        log.append_event(cat, "test.event", {"who": {"id": raw}})
    assert raw not in str(err.value)
    assert "who.id" in str(err.value)
    assert log.log_size(cat) == 0


def test_append_event_accepts_engine_and_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    first = log.append_event(url, "check.decision", {"verdict": "deny", "codes": ["CB01"]})
    with Catalogue(url) as cat:
        second = log.append_event(cat.engine, "exports.record", {"individuals": 10})
    assert (first.seq, second.seq) == (1, 2)
    assert log.entries(url)[1].payload == {"individuals": 10}


def test_env_signing_key_signs_each_append(cat: Catalogue, key_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FENJI_SIGNING_KEY", str(key_path))
    ref = log.append_event(cat, "test.event", {"i": 1})
    assert ref.head_id is not None
    assert verify(cat, _public(key_path)).heads_checked == 1
