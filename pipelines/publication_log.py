"""The publication log (reports/log/): every published version's manifest, in publication order, as the leaves of an
RFC 6962 Merkle tree, and after each publication a tree head (size, root hash, time) signed with the entity's key.

Anyone who saved an older tree head can check that today's log still begins with it (a consistency proof), so a
version rewritten or removed after the fact is detected; `transparency verify` checks a version's inclusion too.
The log only grows: entries.jsonl is rewritten whole into place (a crash leaves the old or the new file), a signed
head is written after the entries it covers, and a run after a crash appends what a publication left unlogged and
signs the head it did not sign.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from pipelines import merkle
from pipelines.files import write_atomic
from pipelines.publication import MANIFEST, crash_point, version_dir, versions
from pipelines.receipts import canonical
from pipelines.signing import SigningKey
from pipelines.timestamps import iso_utc

LOG = "log"
ENTRIES = "entries.jsonl"
LATEST = "latest.json"
HEAD_FORMAT = "transparency-tree-head/1"


def log_dir(reports_dir: Path) -> Path:
    return reports_dir / LOG


@dataclass(frozen=True)
class Entry:
    version: str  # "YYYY-MM/vN"
    manifest_sha256: str

    def leaf_data(self) -> bytes:
        return canonical({"manifest_sha256": self.manifest_sha256, "version": self.version})

    def node(self) -> merkle.Node:
        return merkle.leaf(self.leaf_data())


def read_entries(reports_dir: Path) -> list[Entry]:
    path = log_dir(reports_dir) / ENTRIES
    if not path.exists():
        return []
    return [Entry(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line]


def tree_root(entries: list[Entry]) -> bytes:
    return merkle.subtree_root([e.node() for e in entries]).hash


def _signed_bytes(head: dict) -> bytes:
    return canonical({k: head[k] for k in ("format", "log", "size", "root_hash", "timestamp")})


def _public_key(certificate: Path):
    return x509.load_pem_x509_certificate(certificate.read_bytes()).public_key()


def key_id(certificate: Path) -> str:
    """SHA-256 of the signing certificate (DER): which key signed a head."""
    cert = x509.load_pem_x509_certificate(certificate.read_bytes())
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def sign_head(entries: list[Entry], log_name: str, key: SigningKey, now: datetime) -> dict:
    head = {"format": HEAD_FORMAT, "log": log_name, "size": len(entries), "root_hash": tree_root(entries).hex(),
            "timestamp": iso_utc(now)}
    private = serialization.load_pem_private_key(key.private_key.read_bytes(), password=key.password)
    # PKCS#1 v1.5: deterministic, and what any RSA tool verifies
    signature = private.sign(_signed_bytes(head), padding.PKCS1v15(), hashes.SHA256())
    return {**head, "key_sha256": key_id(key.certificate), "signature": base64.b64encode(signature).decode()}


def head_problems(head: dict, certificate: Path) -> list[str]:
    """Why a tree head is not one signed by the certificate's key; [] when it is."""
    if head.get("format") != HEAD_FORMAT:
        return [f"not a tree head of the format {HEAD_FORMAT}"]
    try:
        _public_key(certificate).verify(base64.b64decode(head["signature"], validate=True), _signed_bytes(head),
                                        padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, KeyError):
        return [f"the tree head of size {head.get('size')} is not signed by the key of {certificate}"]
    return []


@contextmanager
def _log_lock(reports_dir: Path):
    folder = log_dir(reports_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def published_versions(reports_dir: Path) -> list[str]:
    """Every published version, "YYYY-MM/vN", oldest month and version first."""
    return [f"{p.name}/v{v}" for p in sorted(reports_dir.iterdir()) if p.is_dir()
            for v in versions(reports_dir, p.name) if (version_dir(reports_dir, p.name, v) / MANIFEST).is_file()]


def manifest_sha256(reports_dir: Path, version: str) -> str:
    return hashlib.sha256((reports_dir / version / MANIFEST).read_bytes()).hexdigest()


def append(reports_dir: Path, log_name: str, key: SigningKey) -> dict | None:
    """Log every published version not yet in the log (in month and version order: a publication logs itself, so
    only a crash leaves more than one), then sign a head if the last one does not cover every entry. Returns the
    new head, or None when the log was up to date."""
    with _log_lock(reports_dir) as folder:
        entries = read_entries(reports_dir)
        logged = {e.version for e in entries}
        new = [Entry(v, manifest_sha256(reports_dir, v)) for v in published_versions(reports_dir) if v not in logged]
        if new:
            entries += new
            write_atomic(folder / ENTRIES, "".join(json.dumps({"version": e.version, "manifest_sha256":
                                                               e.manifest_sha256}) + "\n" for e in entries))
            crash_point("logged")
        latest = folder / LATEST
        if latest.exists() and json.loads(latest.read_text())["size"] == len(entries):
            return None
        head = sign_head(entries, log_name, key, datetime.now(UTC))
        text = json.dumps(head, indent=1) + "\n"
        write_atomic(folder / "heads" / f"{len(entries):08d}.json", text)
        write_atomic(latest, text)
        return head


def latest_head(reports_dir: Path) -> dict | None:
    path = log_dir(reports_dir) / LATEST
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def verify_log(reports_dir: Path, version: str, certificate: Path, since: dict | None = None) -> list[str]:
    """Every way the log fails to vouch for `version` ("YYYY-MM/vN"): the latest head's signature, the entries
    against it, the version's inclusion proof, every logged manifest still as logged, and with `since` (an older
    head someone kept) the consistency proof from it to the latest head."""
    head = latest_head(reports_dir)
    if head is None:
        return [f"{log_dir(reports_dir) / LATEST}: missing; no published version is logged"]
    problems = head_problems(head, certificate)
    entries = read_entries(reports_dir)
    if len(entries) < head["size"]:
        return problems + [f"the log holds {len(entries)} entries, fewer than its signed head's {head['size']}"]
    entries = entries[:head["size"]]
    nodes = [e.node() for e in entries]
    if merkle.subtree_root(nodes).hash.hex() != head["root_hash"]:
        problems.append(f"the log's {len(entries)} entries do not hash to its signed root {head['root_hash']}")
    for index, entry in enumerate(entries):
        manifest = reports_dir / entry.version / MANIFEST
        if not manifest.is_file():
            problems.append(f"{entry.version}: logged at index {index}, but its manifest is missing")
        elif (found := manifest_sha256(reports_dir, entry.version)) != entry.manifest_sha256:
            problems.append(f"{entry.version}: its manifest has sha256 {found}, not the {entry.manifest_sha256} "
                            f"logged at index {index}")
    index = next((i for i, e in enumerate(entries) if e.version == version), None)
    if index is None:
        problems.append(f"{version}: not in the publication log")
    else:
        path = merkle.inclusion_path(merkle.levels(nodes), index)
        try:
            top = merkle.root_from_path(index, len(nodes), nodes[index], path)
            if top.hash.hex() != head["root_hash"]:
                raise merkle.ProofError("the inclusion proof leads to another root")
        except merkle.ProofError as exc:
            problems.append(f"{version}: inclusion proof at index {index} fails: {exc}")
    if since is not None:
        problems += [f"the older tree head: {p}" for p in head_problems(since, certificate)]
        try:
            old_size = since["size"]
            if not 0 < old_size <= len(nodes):
                raise merkle.ProofError(f"it has {old_size} entries and the log now {len(nodes)}")
            proof = merkle.consistency_proof(nodes, old_size)
            merkle.verify_consistency(old_size, bytes.fromhex(since["root_hash"]), len(nodes),
                                      bytes.fromhex(head["root_hash"]), [n.hash for n in proof])
        except (merkle.ProofError, KeyError, ValueError) as exc:
            problems.append(f"the log signed at {since.get('timestamp')} (size {since.get('size')}, root "
                            f"{since.get('root_hash')}) is not a prefix of today's (size {head['size']}): a published "
                            f"version was rewritten or removed since ({exc})")
    return problems
