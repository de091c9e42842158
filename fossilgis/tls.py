"""HTTPS for an intranet server: a private certificate authority and a server certificate
for its IP address or host name, made with the ``cryptography`` package, and the checks
``fossilgis serve --certfile/--keyfile`` runs before it starts.

Phones give a web page the GPS position, and install it as an offline app, only over HTTPS
(or on localhost). An office server on ``http://192.168.1.20:8000/`` therefore needs a
certificate the phones trust. Browsers and iOS accept a self-signed *authority* installed
by the user, not a self-signed server certificate, so :func:`make_certificate` writes two:

* ``fossilgis-ca.crt`` / ``fossilgis-ca.key``: the authority, made once and reused when
  the command runs again in the same folder (phones install ``fossilgis-ca.crt`` once);
* ``server.crt`` / ``server.key``: the server's certificate for the given hosts (and
  ``localhost``), signed by the authority; ``server.crt`` holds the chain.

The keys are ECDSA P-256, written readable by their owner only.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fossilgis.errors import FossilGISError, InputNotFoundError, OutputError

#: file names written by :func:`make_certificate`
CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY = (
    "fossilgis-ca.crt",
    "fossilgis-ca.key",
    "server.crt",
    "server.key",
)
#: validity: Apple refuses server certificates valid for more than 825 days
SERVER_DAYS = 825
CA_DAYS = 3650
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class CertificateError(FossilGISError, ValueError):
    """A host name, certificate or key that cannot be used."""

    code = "certificate"


@dataclass(frozen=True)
class CertificateFiles:
    """What :func:`make_certificate` wrote, and the fingerprints to check on a phone."""

    ca_cert: Path
    ca_key: Path
    cert: Path
    key: Path
    hosts: tuple[str, ...]
    not_after: dt.datetime
    ca_fingerprint: str
    fingerprint: str
    ca_created: bool


def parse_host(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | str:
    """An IP address, or a DNS name (``fossil.office.lan``); CertificateError otherwise."""
    text = (value or "").strip().rstrip(".")
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        pass
    labels = text.split(".")
    if text and len(text) <= 253 and all(_LABEL.match(part) for part in labels):
        return text.lower()
    raise CertificateError(
        f"--host {value!r}: not an IP address (192.168.1.20) or a host name "
        "(fossil.office.lan); give the address the phones type in their browser "
        "/ 请填写手机浏览器中输入的 IP 地址或主机名"
    )


def _same_key(cert, key) -> bool:
    from cryptography.hazmat.primitives import serialization

    def spki(public) -> bytes:
        return public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    return spki(cert.public_key()) == spki(key.public_key())


def fingerprint(cert) -> str:
    """SHA-256 fingerprint as phones show it: ``AB:CD:…`` (32 pairs)."""
    from cryptography.hazmat.primitives import hashes

    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data``; keys readable by the owner only (certificates are public: 0644)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror}) / 无法写入") from None


def _load_ca(folder: Path):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    cert_path, key_path = folder / CA_CERT, folder / CA_KEY
    if not (cert_path.exists() and key_path.exists()):
        return None
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = load_pem_private_key(key_path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise CertificateError(
            f"{cert_path} / {key_path}: not a PEM certificate and key ({exc}); move them away "
            "to make a new authority (phones must then install the new one) / 证书文件无效"
        ) from None
    if not _same_key(cert, key):
        raise CertificateError(f"{key_path}: is not the key of {cert_path} / 私钥与证书不匹配")
    return cert, key


def _new_ca(now: dt.datetime):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fossilgis"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"fossilgis local CA {now:%Y-%m-%d}"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _server_cert(hosts, ca_cert, ca_key, now: dt.datetime, days: int):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.IPAddress(h) if not isinstance(h, str) else x509.DNSName(h) for h in hosts]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, str(hosts[0]))]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(min(now + dt.timedelta(days=days), ca_cert.not_valid_after_utc))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def make_certificate(
    hosts: Sequence[str],
    out_dir: str | Path,
    *,
    days: int = SERVER_DAYS,
    now: dt.datetime | None = None,
) -> CertificateFiles:
    """Write a server certificate for ``hosts`` (and localhost) signed by the folder's CA.

    Parameters
    ----------
    hosts : sequence of str
        IP addresses and host names the phones use to reach the server.
    out_dir : path
        Folder for the four files (made if missing). A CA already there is reused, so the
        phones that installed it keep trusting the new server certificate.
    days : int
        Validity of the server certificate (at most 825, Apple's limit).
    now : datetime, optional
        The time the certificate starts (tests).

    Raises
    ------
    CertificateError
        A host is not an IP address or host name; ``days`` out of range; a broken CA.
    OutputError
        The folder cannot be written.
    """
    from cryptography.hazmat.primitives import serialization

    if not hosts:
        raise CertificateError("--host: give at least one IP address or host name / 请填写主机")
    if not 1 <= days <= SERVER_DAYS:
        raise CertificateError(
            f"--days {days}: expected 1 to {SERVER_DAYS} (phones refuse longer server "
            f"certificates) / 有效期应为 1–{SERVER_DAYS} 天"
        )
    parsed = []
    for value in [*hosts, "localhost", "127.0.0.1", "::1"]:
        host = parse_host(value)
        if host not in parsed:
            parsed.append(host)
    now = now or dt.datetime.now(dt.timezone.utc)
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{folder}: cannot create the folder ({exc.strerror}) / 无法创建文件夹"
        ) from None
    loaded = _load_ca(folder)
    ca_created = loaded is None
    if loaded is None:
        loaded = _new_ca(now)
    ca_cert, ca_key = loaded
    cert, key = _server_cert(parsed, ca_cert, ca_key, now, days)
    pem = serialization.Encoding.PEM

    def key_pem(k) -> bytes:
        return k.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    if ca_created:
        _write(folder / CA_KEY, key_pem(ca_key))
        _write(folder / CA_CERT, ca_cert.public_bytes(pem), 0o644)
    _write(folder / SERVER_KEY, key_pem(key))
    _write(folder / SERVER_CERT, cert.public_bytes(pem) + ca_cert.public_bytes(pem), 0o644)
    return CertificateFiles(
        ca_cert=folder / CA_CERT,
        ca_key=folder / CA_KEY,
        cert=folder / SERVER_CERT,
        key=folder / SERVER_KEY,
        hosts=tuple(str(h) for h in parsed),
        not_after=cert.not_valid_after_utc,
        ca_fingerprint=fingerprint(ca_cert),
        fingerprint=fingerprint(cert),
        ca_created=ca_created,
    )


def check_pair(certfile: str | Path, keyfile: str | Path, now: dt.datetime | None = None):
    """The server certificate of ``certfile`` after checking it matches ``keyfile`` and is
    valid now; errors name the file and the fix (before the server starts listening)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    for path, option in ((certfile, "--certfile"), (keyfile, "--keyfile")):
        if not Path(path).is_file():
            raise InputNotFoundError(
                f"{option} {path}: no such file; make one with `fossilgis serve make-cert "
                "--host ADDRESS -o certs/` / 找不到文件"
            )
    try:
        chain = x509.load_pem_x509_certificates(Path(certfile).read_bytes())
    except ValueError:
        raise CertificateError(
            f"--certfile {certfile}: not a PEM certificate (-----BEGIN CERTIFICATE-----) "
            "/ 不是 PEM 证书"
        ) from None
    try:
        key = load_pem_private_key(Path(keyfile).read_bytes(), password=None)
    except (ValueError, TypeError):
        raise CertificateError(
            f"--keyfile {keyfile}: not an unencrypted PEM private key / 不是未加密的 PEM 私钥"
        ) from None
    cert = chain[0]
    if not _same_key(cert, key):
        raise CertificateError(
            f"--keyfile {keyfile}: is not the key of --certfile {certfile}; give the key made "
            "with that certificate / 私钥与证书不匹配"
        )
    now = now or dt.datetime.now(dt.timezone.utc)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise CertificateError(
            f"--certfile {certfile}: valid {cert.not_valid_before_utc:%Y-%m-%d} to "
            f"{cert.not_valid_after_utc:%Y-%m-%d}, not now; make a new one with `fossilgis "
            "serve make-cert` / 证书已过期或尚未生效"
        )
    return cert
