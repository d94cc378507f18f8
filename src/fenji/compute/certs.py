"""Certificates for a joint run: a private CA and one certificate per party (``cryptography``).

MPyC checks the peer's certificate against the name ``MPyC party <i>``, so each party's
certificate carries that name, plus the host names and addresses given for PSI connections.
Real deployments use certificates from the organisations' own CA with the same names; this is
for trials, demos and tests. Private keys are written with mode 0600.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fenji.errors import InputError


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _alt_names(index: int, hosts: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(f"MPyC party {index}")]
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def make_certs(out: Path, parties: int, hosts: list[str], days: int = 30) -> list[Path]:
    """Write ``ca.crt`` and ``party_<i>.crt`` / ``party_<i>.key`` for ``parties`` parties.

    Returns the written paths. The CA key is not kept: no further certificate can be issued.
    """
    if parties < 1:
        raise InputError(f"--parties {parties}: must be at least 1")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot create directory ({exc.strerror})") from exc
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("fenji compute CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    written = [out / "ca.crt"]
    written[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for i in range(parties):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(f"MPyC party {i}"))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(_alt_names(i, hosts)), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        crt, pem = out / f"party_{i}.crt", out / f"party_{i}.key"
        crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(pem, key)
        written += [crt, pem]
    return written
