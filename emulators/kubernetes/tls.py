"""Throw-away TLS material for the emulator: a CA, a server certificate for 127.0.0.1, a client certificate.

So the real client's TLS paths run: CA verification of the server, and client-certificate authentication
(as a kubeconfig's ``client-certificate-data`` / ``client-key-data`` say).
"""

from __future__ import annotations

import base64
import ipaddress
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class TlsMaterial:
    ca_pem: bytes
    server_cert_pem: bytes
    server_key_pem: bytes
    client_cert_pem: bytes
    client_key_pem: bytes

    @staticmethod
    def b64(pem: bytes) -> str:
        return base64.b64encode(pem).decode()

    def server_context(self) -> ssl.SSLContext:
        """Server side: present the server certificate; accept (not require) client certificates."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory() as folder:
            cert, key = Path(folder) / "server.crt", Path(folder) / "server.key"
            cert.write_bytes(self.server_cert_pem)
            key.write_bytes(self.server_key_pem)
            context.load_cert_chain(cert, key)
        context.load_verify_locations(cadata=self.ca_pem.decode())
        context.verify_mode = ssl.CERT_OPTIONAL
        return context


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert(subject: str, key, issuer: str, issuer_key, *, ca: bool = False, server: bool = False) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def make_tls_material() -> TlsMaterial:
    ca_key, server_key, client_key = _key(), _key(), _key()
    ca = _cert("posture-emulator-ca", ca_key, "posture-emulator-ca", ca_key, ca=True)
    server = _cert("127.0.0.1", server_key, "posture-emulator-ca", ca_key, server=True)
    client = _cert("posture-scanner", client_key, "posture-emulator-ca", ca_key)
    pem = serialization.Encoding.PEM
    return TlsMaterial(
        ca.public_bytes(pem),
        server.public_bytes(pem),
        _pem_key(server_key),
        client.public_bytes(pem),
        _pem_key(client_key),
    )
