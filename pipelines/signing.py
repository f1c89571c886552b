"""Digital signatures of the regulator PDF (PAdES baseline, with pyHanko), and their validation.

pyHanko signs by appending an incremental update, so the signed file begins with the exact bytes of the unsigned
document: a published signed PDF can be compared with a fresh, unsigned build by that prefix.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from pipelines.profile import Profile


class SigningError(Exception):
    pass


@dataclass(frozen=True)
class SigningKey:
    certificate: Path
    private_key: Path
    password: bytes | None = None


def signing_key(profile: Profile) -> SigningKey:
    """The profile's certificate and key; the demo profile's self-signed pair is made on first use."""
    spec = profile.signing
    certificate, private_key = Path(spec.certificate), Path(spec.private_key)
    if spec.self_signed_demo and not (certificate.exists() and private_key.exists()):
        make_self_signed(profile.legal_name, certificate, private_key)
    for path in (certificate, private_key):
        if not path.is_file():
            raise SigningError(f"{path}: the signing certificate or key named in the profile does not exist")
    password = os.environ.get(spec.key_password_env) if spec.key_password_env else None
    return SigningKey(certificate, private_key, password.encode() if password else None)


def make_self_signed(organisation: str, certificate: Path, private_key: Path) -> None:
    """A self-signed RSA certificate for the demo (never for a real publication). The pair is written into a
    temporary folder renamed into place, so concurrent first uses cannot mix two pairs."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} report signing (DEMO)"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
    ])
    now = dt.datetime.now(dt.UTC)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = certificate.parent
    if private_key.parent != folder:
        raise SigningError("a demo certificate and its key must be in the same folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".keys-", dir=folder.parent))
    (staging / private_key.name).write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (staging / private_key.name).chmod(0o600)
    (staging / certificate.name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    try:
        os.rename(staging, folder)
    except OSError:  # another process made the pair first (or the folder holds other files): keep what is there
        shutil.rmtree(staging, ignore_errors=True)
        if not (certificate.exists() and private_key.exists()):
            raise SigningError(f"{folder}: cannot create the demo signing key there") from None


def sign_pdf(path: Path, key: SigningKey, reason: str, location: str) -> None:
    """Sign `path` in place (PAdES, SHA-256), as an incremental update."""
    signer = signers.SimpleSigner.load(str(key.private_key), str(key.certificate), key_passphrase=key.password)
    if signer is None:
        raise SigningError(f"{key.private_key}: cannot load the signing key (wrong password?)")
    meta = signers.PdfSignatureMetadata(field_name="RegulatorReportSignature", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES, reason=reason, location=location)
    unsigned = path.read_bytes()
    temporary = path.with_name(path.name + ".signing")
    with open(path, "rb") as source, open(temporary, "wb") as target:
        signers.PdfSigner(meta, signer=signer).sign_pdf(IncrementalPdfFileWriter(source), output=target)
    if not temporary.read_bytes().startswith(unsigned):
        raise SigningError(f"{path}: the signed file does not begin with the unsigned document")
    temporary.replace(path)


@dataclass(frozen=True)
class SignatureCheck:
    ok: bool
    detail: str


def verify_pdf_signature(path: Path, trust_root: Path) -> SignatureCheck:
    """Whether `path` carries an intact, valid signature covering the whole file, by a certificate `trust_root`
    vouches for."""
    with open(path, "rb") as handle:
        signatures = PdfFileReader(handle).embedded_signatures
        if not signatures:
            return SignatureCheck(False, "no signature")
        status = validate_pdf_signature(
            signatures[-1], ValidationContext(trust_roots=[load_cert_from_pemder(str(trust_root))])
        )
    ok = status.intact and status.valid and status.trusted and status.coverage.name == "ENTIRE_FILE"
    return SignatureCheck(ok, f"signed by {status.signing_cert.subject.human_friendly}: "
                              f"intact={status.intact} valid={status.valid} trusted={status.trusted} "
                              f"coverage={status.coverage.name}")
