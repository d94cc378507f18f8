"""RFC 9162 Merkle tree hashes and inclusion proofs over the record log, via pymerkle.

Leaf hash = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right), empty tree =
SHA-256(""), the tree split at the largest power of two below its size (RFC 9162 section 2.1):
exactly pymerkle's sha256 tree with its security prefixes on.

pymerkle's own backends do not fit the log: ``SqliteTree`` keeps its leaves in a SQLite file of
its own, while the log lives in the catalogue database (SQLite, PostgreSQL or MySQL) and assigns
its gap-free sequence numbers and hash chain inside the caller's transaction. pymerkle's storage-
agnostic ``BaseMerkleTree`` still does the tree maths; ``LeafHashTree`` feeds it leaf hashes that
were read from (or recomputed from) the catalogue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from pymerkle import InclusionProof, InvalidProof
from pymerkle.core import BaseMerkleTree

ALGORITHM = "sha256"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


class LeafHashTree(BaseMerkleTree):
    """A pymerkle tree over precomputed leaf hashes (index 1 is the first entry)."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._leaves: list[bytes] = list(leaves)
        super().__init__(ALGORITHM)

    def _encode_entry(self, data: bytes) -> bytes:
        return data

    def _store_leaf(self, data: bytes, digest: bytes) -> int:
        self._leaves.append(digest)
        return len(self._leaves)

    def _get_leaf(self, index: int) -> bytes:
        return self._leaves[index - 1]

    def _get_leaves(self, offset: int, width: int) -> list[bytes]:
        return self._leaves[offset : offset + width]

    def _get_size(self) -> int:
        return len(self._leaves)


def root(leaves: list[bytes], size: int | None = None) -> bytes:
    """Merkle tree hash of the first ``size`` leaves (all by default)."""
    size = len(leaves) if size is None else size
    if size == 0:
        return EMPTY_ROOT
    return bytes(LeafHashTree(leaves[:size]).get_root(size))


def inclusion_proof(leaves: list[bytes], index: int, size: int) -> dict[str, Any]:
    """Audit path of leaf ``index`` (1-based) in the tree of the first ``size`` leaves, as
    pymerkle's JSON form (``type``, ``metadata``, ``rule``, ``path``)."""
    proof = LeafHashTree(leaves[:size]).prove_inclusion(index, size)
    return dict(proof.serialize())


def verify_inclusion(base: bytes, root_hash: bytes, proof: Mapping[str, Any]) -> str | None:
    """None when ``proof`` shows leaf hash ``base`` under ``root_hash``; else why it does not."""
    try:
        parsed = InclusionProof.deserialize(dict(proof))
        parsed.verify(base, root_hash, algorithm=ALGORITHM)
    except InvalidProof as exc:
        return str(exc) or "invalid proof"
    return None
