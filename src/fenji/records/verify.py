"""Checking the record log: edited, deleted and reordered entries, tree heads, inclusion proofs.

``verify`` recomputes every leaf hash from the stored entry, follows the hash chain, and checks
every signed tree head (signature with the given public key, and its root against the leaves as
they are now). Each problem names the entry it concerns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fenji.errors import InputError
from fenji.records import merkle, signing
from fenji.records.db import Target
from fenji.records.log import GENESIS, TreeHead, entry_bytes, heads_for, iso, read_log
from fenji.records.models import LogEntryRow


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the log. ``entry`` is the 1-based seq it concerns (None: the log)."""

    entry: int | None
    kind: str  # edited | missing | reordered | rewritten | head | key
    message: str


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify`` found."""

    entries: int
    heads: int
    heads_checked: int  # heads whose signature was checked with the given key
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


def _recompute(row: LogEntryRow) -> bytes | None:
    try:
        return merkle.leaf_hash(entry_bytes(row.recorded_at, row.kind, row.payload, row.prev_hash))
    except (ValueError, TypeError):
        return None  # payload no longer JSON, or a column nulled


def _original_order(rows: Sequence[LogEntryRow]) -> list[LogEntryRow] | None:
    """The order the entries were written in, by following the hash chain from its start; None
    unless the chain runs through every row (i.e. the rows are a permutation of an intact log)."""
    after = {r.prev_hash: r for r in rows}
    order: list[LogEntryRow] = []
    prev = GENESIS
    while (row := after.get(prev)) is not None and len(order) < len(rows):
        order.append(row)
        prev = row.leaf_hash
    return order if len(order) == len(rows) else None


def _chain(rows: Sequence[LogEntryRow], leaves: list[bytes | None], out: list[Problem]) -> None:
    broken: list[int] = []
    for p, row in enumerate(rows):
        expected = 1 if p == 0 else rows[p - 1].seq + 1
        if row.seq != expected:
            lo, hi = expected, row.seq - 1
            span = f"entry {lo} is" if lo == hi else f"entries {lo}-{hi} are"
            out.append(Problem(lo, "missing", f"{span} missing (deleted from the log)"))
            continue  # the gap explains a broken link here
        prev = leaves[p - 1] if p else bytes.fromhex(GENESIS)
        if prev is not None and row.prev_hash == prev.hex():
            continue
        if p and row.prev_hash == rows[p - 1].leaf_hash:
            continue  # the entry before was edited in place; reported there
        broken.append(p)
    if not broken:
        return
    original = _original_order(rows) if len(out) == 0 else None
    if original is not None:  # only the order changed: name the entries that moved
        for i, row in enumerate(original, start=1):
            if row.seq != i:
                out.append(Problem(row.seq, "reordered", f"entry {row.seq} is out of order: it"
                                                         f" was written as entry {i}"))
        return
    for p in broken:
        row = rows[p]
        if p == 0:
            out.append(Problem(row.seq, "missing",
                               "entries before entry 1 were deleted and the rest renumbered:"
                               " its previous-hash is not the start of the log"))
            continue
        prior = rows[p - 1].seq
        out.append(Problem(prior, "edited",
                           f"entry {prior} was replaced (hash recomputed), or entries after it"
                           f" deleted or moved: entry {row.seq}'s previous-hash does not match"
                           " it"))


def _check_head(
    head: TreeHead,
    label: str,
    leaves: list[bytes | None],
    public: Ed25519PublicKey | None,
    good_size: int,
    out: list[Problem],
) -> bool:
    """Check one head; True when it still matches the log."""
    if public is not None:
        kid = signing.key_id(public)
        if head.key_id != kid:
            out.append(Problem(None, "key", f"{label} was signed by key {head.key_id}, not by"
                                            f" the key given ({kid})"))
            return False
        if not signing.signature_ok(public, head.fields(), head.signature):
            out.append(Problem(None, "head", f"{label}: signature does not verify (the head was"
                                             " edited, or signed by another key)"))
            return False
    explained = any(p.entry is not None and p.entry <= head.size for p in out)
    if head.size > len(leaves):
        if explained:
            return False
        lo = len(leaves) + 1
        span = f"entry {lo} is" if lo == head.size else f"entries {lo}-{head.size} are"
        out.append(Problem(lo, "missing", f"{span} missing: {label} covers {head.size} entries,"
                                          f" the log has {len(leaves)}"))
        return False
    known = [leaf for leaf in leaves[: head.size] if leaf is not None]
    if len(known) < head.size:
        return False  # an unreadable entry below it was already reported
    if merkle.root(known).hex() == head.root_hash:
        return True
    if not explained:
        lo, hi = good_size + 1, head.size
        span = f"entry {lo}" if lo == hi else f"one of entries {lo}-{hi}"
        out.append(Problem(lo, "rewritten", f"{span} was rewritten (hashes recomputed):"
                                            f" {label} no longer matches the log"))
    return False


def verify(
    target: Target,
    public_key: Ed25519PublicKey | None = None,
    trusted_head: Mapping[str, Any] | None = None,
) -> VerifyReport:
    """Check the whole log. Without ``public_key`` signatures are not checked (a note says so).

    ``trusted_head`` is a head kept outside the catalogue (``fenji records head --output``); it
    catches a log truncated together with its newest heads.
    """
    rows, heads = read_log(target)
    problems: list[Problem] = []
    leaves: list[bytes | None] = []
    for row in rows:
        digest = _recompute(row)
        leaves.append(digest)
        if digest is None or digest.hex() != row.leaf_hash:
            problems.append(Problem(row.seq, "edited", f"entry {row.seq} ({row.kind}) was edited:"
                                                       " its content no longer matches its hash"))
    _chain(rows, leaves, problems)
    good = 0
    for head in sorted(heads, key=lambda h: (h.size, h.id)):
        if _check_head(head, f"tree head #{head.id} (size {head.size})", leaves, public_key,
                       good, problems):
            good = max(good, head.size)
    notes = []
    if trusted_head is not None:
        ext = _parse_head(trusted_head)
        _check_head(ext, f"the trusted head (size {ext.size})", leaves, public_key, good, problems)
    if public_key is None and heads:
        notes.append("signatures not checked: pass the public key (--public-key)")
    if not heads:
        notes.append("no signed tree head: deleting the newest entries cannot be detected")
    uniq = list(dict.fromkeys(problems))
    uniq.sort(key=lambda p: (p.entry is None, p.entry or 0))
    return VerifyReport(len(rows), len(heads), len(heads) if public_key else 0, tuple(uniq),
                        tuple(notes))


def _parse_head(doc: Mapping[str, Any]) -> TreeHead:
    from fenji.records.db import parse_when

    try:
        signed_at = parse_when(str(doc["signed_at"]), "head signed_at")
        assert signed_at is not None
        return TreeHead(int(doc.get("id", 0)), int(doc["size"]), str(doc["root_hash"]),
                        signed_at, str(doc["key_id"]), str(doc["signature"]))
    except (KeyError, TypeError, ValueError, AssertionError) as exc:
        raise InputError(f"tree head: missing or bad field ({exc}); expected size, root_hash,"
                         " signed_at, key_id, signature") from None


# --- proofs ----------------------------------------------------------------------------------


def prove(target: Target, seq: int, size: int | None = None) -> dict[str, Any]:
    """An inclusion proof of entry ``seq`` against the newest signed head covering it (or the
    head of size ``size``; or, without any head, the current unsigned root)."""
    rows, heads = read_log(target)
    if not 1 <= seq <= len(rows):
        raise InputError(f"entry {seq} does not exist; the log has entries 1 to {len(rows)}")
    row = rows[seq - 1]
    head = heads_for(heads, seq) if size is None else next(
        (h for h in reversed(heads) if h.size == size), None)
    if size is not None and head is None and size != len(rows):
        sizes = ", ".join(str(h.size) for h in heads) or "none"
        raise InputError(f"no signed tree head of size {size} (heads: {sizes})")
    tree_size = head.size if head else (size or len(rows))
    if tree_size > len(rows):
        raise InputError(f"tree head #{head.id if head else '?'} covers {tree_size} entries but"
                         f" the log has {len(rows)}; run fenji records verify")
    leaves = [bytes.fromhex(r.leaf_hash) for r in rows]
    return {
        "entry": seq,
        "kind": row.kind,
        "entry_data": entry_bytes(row.recorded_at, row.kind, row.payload, row.prev_hash)
        .decode("utf-8"),
        "leaf_hash": row.leaf_hash,
        "tree_size": tree_size,
        "root_hash": head.root_hash if head else merkle.root(leaves, tree_size).hex(),
        "head": head.to_dict() if head else None,
        "proof": merkle.inclusion_proof(leaves, seq, tree_size),
    }


def verify_proof(doc: Mapping[str, Any], public_key: Ed25519PublicKey | None = None) -> str | None:
    """None when the proof holds: the entry data hashes to the leaf, the path leads to the root,
    and (with ``public_key``) the head's signature covers that root; else the reason."""
    try:
        leaf = merkle.leaf_hash(str(doc["entry_data"]).encode("utf-8"))
        root_hash = bytes.fromhex(str(doc["root_hash"]))
        proof = doc["proof"]
        index, size = int(doc["entry"]), int(doc["tree_size"])
    except (KeyError, TypeError, ValueError) as exc:
        return f"malformed proof document ({exc})"
    if leaf.hex() != doc.get("leaf_hash"):
        return "the entry data does not hash to the leaf hash"
    meta = proof.get("metadata", {}) if isinstance(proof, Mapping) else {}
    if meta.get("index") != index or meta.get("size") != size:
        return "the proof is for another entry or tree size"
    reason = merkle.verify_inclusion(leaf, root_hash, proof)
    if reason:
        return f"the audit path does not lead to the root ({reason})"
    head = doc.get("head")
    if public_key is not None:
        if not head:
            return "no signed head to check the root against"
        parsed = _parse_head(head)
        if parsed.root_hash != doc["root_hash"] or parsed.size != size:
            return "the signed head is for another root or size"
        if parsed.key_id != signing.key_id(public_key):
            return f"the head was signed by key {parsed.key_id}, not by the key given"
        fields = signing.HeadFields(parsed.size, parsed.root_hash, iso(parsed.signed_at),
                                    parsed.key_id)
        if not signing.signature_ok(public_key, fields, parsed.signature):
            return "the head's signature does not verify"
    return None
