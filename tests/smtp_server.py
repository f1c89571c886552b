"""A real SMTP server on localhost for the alert tests: aiosmtpd with STARTTLS (a throw-away certificate for
localhost) and password authentication required over TLS; it keeps every message it accepts."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER, PASSWORD = "alerts@example.test", "s3cret-from-the-environment"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def localhost_certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok)


class SmtpServer:
    def __init__(self, folder: Path) -> None:
        self.certificate, key = localhost_certificate(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certificate, key)
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller = Controller(self.mailbox, hostname="localhost", port=self.port, tls_context=context,
                                     require_starttls=True, authenticator=_authenticate, auth_require_tls=True)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def profile_section(self, password_env: str) -> str:
        """The profile's [alerts] for this server."""
        return (f'[alerts]\nsmtp_host = "localhost"\nsmtp_port = {self.port}\nsecurity = "starttls"\n'
                f'username = "{USER}"\npassword_env = "{password_env}"\nca_file = "{self.certificate}"\n'
                f'sender = "transparency@example.test"\nrecipients = ["operations@example.test"]\n')
