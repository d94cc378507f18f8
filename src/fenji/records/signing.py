"""Ed25519 keys (``cryptography``) for signed tree heads: generate, load, sign, verify.

A key file is PKCS#8 PEM (private, 0600); ``<file>.pub`` next to it holds the public key, which
is all ``fenji records verify`` needs. The key id is the first 16 hex digits of SHA-256 of the raw
public key, stored with each head so a head signed by another key is named as such.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fenji.errors import ConfigError, InputError

SIGNING_KEY_ENV = "FENJI_SIGNING_KEY"
HEAD_CONTEXT = "fenji-log-head/1"


def key_id(public: Ed25519PublicKey) -> str:
    """Short public id of a key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_key(path: Path, *, overwrite: bool = False) -> str:
    """Write a new private key to ``path`` (0600) and its public key to ``path.pub``; key id.

    An existing key file is never replaced unless ``overwrite``: a lost key means heads signed
    with it can still be verified (``.pub``) but no new head can continue its series.
    """
    if path.exists() and not overwrite:
        raise InputError(f"{path} exists; refusing to replace a signing key (choose another path)")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (0 if overwrite else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise InputError(f"{path}: cannot create key file: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public = key.public_key()
    public_path(path).write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key_id(public)


def public_path(path: Path) -> Path:
    """Where ``generate_key`` puts the public key of ``path``."""
    return path.with_name(path.name + ".pub")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"key file {path} not found (create one with: fenji records keygen)"
        ) from None
    except OSError as exc:
        raise InputError(f"key file {path}: cannot be read: {exc.strerror}") from None


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM file."""
    try:
        key = serialization.load_pem_private_key(_read(path), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"key file {path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"key file {path}: not an Ed25519 key ({type(key).__name__})")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in a PEM file; a private key file gives its public half."""
    data = _read(path)
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"key file {path}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"key file {path}: not an Ed25519 key ({type(key).__name__})")
    return key


def signing_key_from_env() -> Ed25519PrivateKey | None:
    """The key named by env ``FENJI_SIGNING_KEY`` (a file path), or None when it is unset."""
    path = os.environ.get(SIGNING_KEY_ENV)
    return load_private_key(Path(path)) if path else None


@dataclass(frozen=True)
class HeadFields:
    """What a tree-head signature covers."""

    size: int
    root_hash: str  # hex
    signed_at: str  # ISO 8601, UTC
    key_id: str

    def message(self) -> bytes:
        body = json.dumps(
            {"size": self.size, "root": self.root_hash, "time": self.signed_at, "key": self.key_id},
            sort_keys=True,
            separators=(",", ":"),
        )
        return f"{HEAD_CONTEXT}\n{body}".encode()


def sign(key: Ed25519PrivateKey, fields: HeadFields) -> str:
    """Hex Ed25519 signature of a tree head."""
    return key.sign(fields.message()).hex()


def signature_ok(public: Ed25519PublicKey, fields: HeadFields, signature: str) -> bool:
    """Whether ``signature`` (hex) is ``public``'s signature of the head."""
    try:
        public.verify(bytes.fromhex(signature), fields.message())
    except (InvalidSignature, ValueError):
        return False
    return True
