"""HTTPS for an intranet: ``fossilgis serve make-cert`` makes a CA and a server certificate
with the right names and validity, ``fossilgis serve --certfile/--keyfile`` refuses a bad
pair before listening, and its server answers over TLS that verifies against the CA."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
import urllib.request

import pytest
from click.testing import CliRunner

from fossilgis.cli.main import cli
from fossilgis.tls import (
    CA_CERT,
    SERVER_CERT,
    SERVER_KEY,
    CertificateError,
    check_pair,
    make_certificate,
    parse_host,
)

NOW = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.timezone.utc)


def _load(path):
    from cryptography import x509

    return x509.load_pem_x509_certificates(path.read_bytes())


def test_server_certificate_names_validity_and_chain(tmp_path):
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    made = make_certificate(["192.168.1.20", "fossil.office.lan"], tmp_path, now=NOW)
    server, ca_in_chain = _load(made.cert)
    (ca,) = _load(made.ca_cert)
    assert ca_in_chain == ca
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("192.168.1.20"),
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    assert san.get_values_for_type(x509.DNSName) == ["fossil.office.lan", "localhost"]
    assert server.not_valid_before_utc == NOW - dt.timedelta(hours=1)
    assert server.not_valid_after_utc == NOW + dt.timedelta(days=825)  # Apple's limit
    assert made.not_after == server.not_valid_after_utc
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    server.verify_directly_issued_by(ca)
    assert made.hosts == ("192.168.1.20", "fossil.office.lan", "localhost", "127.0.0.1", "::1")
    assert len(made.ca_fingerprint.split(":")) == 32
    assert (tmp_path / SERVER_KEY).stat().st_mode & 0o077 == 0  # the key: owner only
    assert check_pair(made.cert, made.key, now=NOW + dt.timedelta(days=1)) == server


def test_the_authority_is_made_once_and_reused(tmp_path):
    first = make_certificate(["192.168.1.20"], tmp_path, now=NOW)
    second = make_certificate(["192.168.1.30"], tmp_path, now=NOW)
    assert first.ca_created and not second.ca_created
    assert first.ca_fingerprint == second.ca_fingerprint  # phones keep trusting it
    assert first.fingerprint != second.fingerprint
    (ca,) = _load(second.ca_cert)
    _load(second.cert)[0].verify_directly_issued_by(ca)


@pytest.mark.parametrize(
    "host",
    ["", "http://192.168.1.20", "fossil_office", "-bad.lan", "a..b", "192.168.1.20:8000"],
)
def test_bad_hosts_are_refused(host):
    with pytest.raises(CertificateError, match="not an IP address .* or a host name"):
        parse_host(host)


def test_bad_days_and_no_host(tmp_path):
    with pytest.raises(CertificateError, match="--days 1000: expected 1 to 825"):
        make_certificate(["192.168.1.20"], tmp_path, days=1000)
    with pytest.raises(CertificateError, match="give at least one"):
        make_certificate([], tmp_path)


def test_check_pair_names_the_problem(tmp_path):
    one = make_certificate(["192.168.1.20"], tmp_path / "one", now=NOW)
    two = make_certificate(["192.168.1.20"], tmp_path / "two", now=NOW)
    with pytest.raises(CertificateError, match="is not the key of --certfile"):
        check_pair(one.cert, two.key, now=NOW)
    with pytest.raises(FileNotFoundError, match="--keyfile .*missing.key: no such file"):
        check_pair(one.cert, tmp_path / "missing.key")
    with pytest.raises(CertificateError, match="valid 2026-05-01 to 2028-08-03, not now"):
        check_pair(one.cert, one.key, now=NOW + dt.timedelta(days=900))
    junk = tmp_path / "junk.crt"
    junk.write_text("not a certificate")
    with pytest.raises(CertificateError, match="not a PEM certificate"):
        check_pair(junk, one.key)
    with pytest.raises(CertificateError, match="not an unencrypted PEM private key"):
        check_pair(one.cert, junk)


def test_make_cert_command_prints_fingerprint_and_phone_steps(tmp_path):
    out = tmp_path / "certs"
    result = CliRunner().invoke(
        cli, ["serve", "make-cert", "--host", "192.168.1.20", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "New certificate authority" in result.output
    assert "SHA-256 fingerprint" in result.output
    assert "Android: Settings → Security" in result.output
    assert "Certificate Trust Settings" in result.output
    assert "https://192.168.1.20:8000/patrols/new" in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["fossilgis-ca.crt", "fossilgis-ca.key", SERVER_CERT, SERVER_KEY]
    )
    again = CliRunner().invoke(cli, ["serve", "make-cert", "--host", "bad host", "-o", str(out)])
    assert again.exit_code == 2
    assert "Error: --host 'bad host': not an IP address" in again.output
    assert "Traceback" not in again.output


def test_serve_refuses_half_or_wrong_pairs_before_listening(tmp_path):
    made = make_certificate(["192.168.1.20"], tmp_path / "a")
    other = make_certificate(["192.168.1.20"], tmp_path / "b")
    data = ["--data", str(tmp_path / "data")]
    half = CliRunner().invoke(cli, [*data, "serve", "--certfile", str(made.cert)])
    assert half.exit_code == 2 and "give both --certfile and --keyfile" in half.output
    wrong = CliRunner().invoke(
        cli, [*data, "serve", "--certfile", str(made.cert), "--keyfile", str(other.key)]
    )
    assert wrong.exit_code == 2
    assert "is not the key of --certfile" in wrong.output


def test_https_server_answers_with_a_chain_the_ca_verifies(tmp_path, webmap_data):
    from fossilgis.cli.serve import _https_config, make_server
    from webmap import create_app

    made = make_certificate(["fossil.test"], tmp_path / "certs")
    config = _https_config(made.cert, made.key)
    assert config == {"SESSION_COOKIE_SECURE": True, "PREFERRED_URL_SCHEME": "https"}
    app = create_app({"DATA_DIR": str(webmap_data), **config})
    server = make_server(app, "127.0.0.1", 0, 2, made.cert, made.key)
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        port = server.bind_addr[1]
        trust = ssl.create_default_context(cafile=str(tmp_path / "certs" / CA_CERT))
        with urllib.request.urlopen(f"https://localhost:{port}/patrols/sw.js", context=trust) as r:
            assert r.status == 200 and b"FOSSILGIS_SW" in r.read()
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            urllib.request.urlopen(f"https://localhost:{port}/healthz", timeout=10)
    finally:
        server.stop()
        thread.join(timeout=10)
