"""Verifiable compensation: the monthly root, receipts and both verifiers; the publication log and its proofs.

The demo is built as a user builds it (`transparency demo`), and the receipts are checked with the two verifiers
that follow docs/RECEIPTS.md: `transparency receipt verify` and the stand-alone verify_receipt.py, run with
Python's standard library only. The log's proofs are checked against RFC 6962 written again here, from the RFC.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from demo_run import MONTHS, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from receipt_example import example_tree

from pipelines import merkle
from pipelines.receipts import FIELDS, ReceiptError, month_fields, root_problems, verify_receipt

# The demo of conftest.py, shared with the other modules of the group, on one worker.
pytestmark = pytest.mark.xdist_group("demo")

SECRET = b"northwind-demo-receipts (not a secret)"


@pytest.fixture(scope="module")
def issued(demo: Path, tmp_path_factory) -> dict[str, Path]:
    """Every claim's receipt of every demo month, issued from the version's store as the back office does."""
    folders = {}
    for period in MONTHS:
        folders[period] = tmp_path_factory.mktemp(f"receipts-{period}")
        done = run(demo, "receipt", "issue", period, "--all", "--out", str(folders[period]))
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"{len(list(folders[period].glob('*.json')))} receipts of {period} v1")
    return folders


def receipts_of(issued: dict[str, Path], period: str) -> list[Path]:
    return sorted(issued[period].glob("*.json"))


def standalone(demo: Path):
    """The verifier as published beside the archive page."""
    spec = importlib.util.spec_from_file_location("published_verifier", demo / "reports" / "verify_receipt.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def root_of(demo: Path, period: str) -> dict:
    return json.loads((demo / "reports" / period / "v1" / "manifest.json").read_text())["compensation_root"]


# --- the root and its receipts ---------------------------------------------------------------------------------


def test_every_receipt_of_every_month_verifies_with_both_verifiers(demo: Path, issued):
    published = standalone(demo)
    for period in MONTHS:
        root = root_of(demo, period)
        receipts = receipts_of(issued, period)
        with duckdb.connect(str(demo / "data" / "warehouse.duckdb"), read_only=True) as con:
            expected_claims = con.execute(
                "SELECT count(DISTINCT claim_id) FROM staging.compensation_claims c WHERE strftime(decided_at AT TIME "
                "ZONE 'UTC', '%Y-%m') = ? OR claim_id IN (SELECT claim_id FROM marts.compensation_payouts WHERE "
                "period = ?)", [period, period]).fetchone()[0]
        assert len(receipts) == expected_claims > 100
        for path in receipts:
            receipt = json.loads(path.read_text())
            assert verify_receipt(receipt, root).claim == receipt["claim"]
            assert published.verify(receipt, root)[0].startswith(f"Claim {receipt['claim']} is counted")


def test_the_cli_and_the_stdlib_verifier_print_what_a_receipt_proves(demo: Path, issued):
    period = MONTHS[-1]
    path = next(p for p in receipts_of(issued, period) if json.loads(p.read_text())["leaves"][0]["leaf"]["payouts"])
    receipt = json.loads(path.read_text())
    leaf = receipt["leaves"][0]["leaf"]
    with duckdb.connect(str(demo / "data" / "warehouse.duckdb"), read_only=True) as con:
        account = con.execute("SELECT account_ref FROM staging.compensation_claims WHERE claim_id = ?",
                              [receipt["claim"]]).fetchone()[0]

    cli = run(demo, "receipt", "verify", str(path), "--version-dir", f"reports/{period}/v1", "--account", account)
    assert cli.returncode == 0, cli.stderr
    assert f"Claim {receipt['claim']} is counted in the compensation root {receipt['root']['hash']}" in cli.stdout
    assert f"paid {leaf['payouts'][0]['amount']} {leaf['payouts'][0]['asset']}" in cli.stdout
    # the stand-alone file, with no site-packages at all (-S) and isolated from the environment (-I)
    alone = subprocess.run([sys.executable, "-I", "-S", str(demo / "reports" / "verify_receipt.py"), str(path),
                            "--root", str(demo / "reports" / period / "v1" / "manifest.json"), "--account", account],
                           capture_output=True, text=True, timeout=60)
    assert alone.returncode == 0, alone.stderr
    assert f"Claim {receipt['claim']} is counted" in alone.stdout and "The claim is of account" in alone.stdout
    wrong = run(demo, "receipt", "verify", str(path), "--account", account + "x")
    assert wrong.returncode == 1 and "is not of account" in wrong.stderr
    no_root = subprocess.run([sys.executable, "-I", "-S", str(demo / "reports" / "verify_receipt.py"), str(path),
                              "--root", "missing.json"], capture_output=True, text=True, timeout=60)
    assert no_root.returncode == 2 and no_root.stderr.startswith("missing.json: not a readable published root")


def _targets(receipt: dict) -> list[tuple[list, str]]:
    """Every string of the receipt's leaf data (salt and sums among them) and of its paths: (where, value)."""
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, [*where, key])
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, [*where, i])
        elif isinstance(node, str) and node:
            found.append((where, node))

    for i, entry in enumerate(receipt["leaves"]):
        walk(entry["leaf"], ["leaves", i, "leaf"])
        walk(entry["path"], ["leaves", i, "path"])
    return found


@pytest.fixture(scope="module")
def sample_receipts(issued) -> list[dict]:
    paths = receipts_of(issued, MONTHS[-1])
    return [json.loads(p.read_text()) for p in random.Random(16).sample(paths, 8)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_one_changed_character_anywhere_in_leaf_salt_path_or_sums_is_rejected_by_both(demo, sample_receipts, data):
    published = standalone(demo)
    receipt = json.loads(json.dumps(data.draw(st.sampled_from(sample_receipts))))
    where, value = data.draw(st.sampled_from(_targets(receipt)))
    position = data.draw(st.integers(0, len(value) - 1))
    replacement = data.draw(st.characters(codec="ascii", exclude_characters=value[position]))
    target = receipt
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value[:position] + replacement + value[position + 1:]

    with pytest.raises(ReceiptError) as ours:
        verify_receipt(receipt)
    with pytest.raises(published.Invalid) as theirs:
        published.verify(receipt)
    assert str(ours.value) and str(theirs.value)


def test_the_root_sums_are_the_published_figures_of_every_month(demo: Path):
    for period in MONTHS:
        root = root_of(demo, period)
        figures = json.loads((demo / "reports" / period / "v1" / "regulator" / "figures.json").read_text())
        assert [f["name"] for f in root["fields"]] == [f.name for f in FIELDS]  # the demo withholds none
        for field in FIELDS:
            assert Decimal(root["sums"][field.name]) == Decimal(figures["metrics"][field.name]), field.name
        public = json.loads((demo / "reports" / period / "v1" / "public" / "data" / "compensation_root.json")
                            .read_text())
        assert public == root


def test_a_tampered_payout_fails_the_blocking_check_and_nothing_is_published(demo: Path, tmp_path: Path):
    work = tmp_path / "work"
    shutil.copytree(demo, work, ignore=shutil.ignore_patterns("reports", "build"))
    period = MONTHS[-1]
    with duckdb.connect(str(work / "data" / "warehouse.duckdb")) as con:
        con.execute("UPDATE marts.compensation_payouts SET amount_usd = amount_usd + 1 WHERE period = ? AND "
                    "payout_id = (SELECT min(payout_id) FROM marts.compensation_payouts WHERE period = ?)",
                    [period, period])
    from pipelines.defs.receipts import build_tree_file
    from pipelines.warehouse import connect

    with connect(work / "data" / "warehouse.duckdb", read_only=True) as con:
        fields, metrics = month_fields(con, period)
        tree = build_tree_file(con, period, SECRET, fields, tmp_path / "tree.duckdb")
    problems = root_problems(tree.record, tree.claims, metrics)
    assert {(p["field"], p["where"]) for p in problems} >= {("compensation_paid_usd", "root"),
                                                            ("compensation_paid_usd", "claims")}

    from pipelines.defs.resources import make_resources
    from pipelines.materialize import materialize

    resources = make_resources(str(work / "data" / "landing"), str(work / "data" / "warehouse.duckdb"), "",
                               str(work / "reports"))
    result = materialize(resources, "key:reports/compensation_root or key:reports/period_reports", period)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"compensation_root_matches_period_metrics": False}
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"reports/compensation_root"}  # the blocking check stopped the reports
    assert not (work / "data" / "build" / period).exists()


def test_a_withheld_figure_is_left_out_of_the_tree():
    from pipelines.receipts import committed_fields

    metrics = {"users_compensated": Decimal(3), "users_compensated_insurance_fund": Decimal(0)}
    small_cell = {"payouts": "users_compensated", "compensation_paid_usd": "users_compensated",
                  "compensation_paid_insurance_fund_usd": "users_compensated_insurance_fund"}
    fields = [f.name for f in committed_fields(metrics, small_cell, 10, {"withdrawn", "rejected"})]
    assert fields == ["claims_approved", "claims_partially_approved", "compensation_paid_insurance_fund_usd"]


def test_the_worked_example_of_the_spec_is_what_the_code_builds():
    spec = (Path(__file__).parents[1] / "docs" / "RECEIPTS.md").read_text(encoding="utf-8")
    tree = example_tree()
    assert tree.root.hash.hex() in spec and len(tree.leaves) == 7
    leaf = tree.leaves[3]
    assert (leaf.data["claim"], leaf.data["part"]) == ("CLM-2", 1)
    canonical = json.dumps(leaf.data, sort_keys=True, separators=(",", ":"))
    assert canonical in spec and tree.levels[0][3].hash.hex() in spec
    assert hashlib.sha256(b"\x00" + canonical.encode()).hexdigest() == tree.levels[0][3].hash.hex()
    for level, index in ((0, 2), (1, 0), (1, 1), (2, 0), (2, 1)):
        assert tree.levels[level][index].hash.hex() in spec, (level, index)


def test_no_public_file_holds_a_salt_an_account_or_a_receipt(demo: Path, issued):
    reports = demo / "reports"
    # Not the regulators' outboxes and reports, nor the analysts' snapshot and its Parquet export.
    public = [p for p in reports.rglob("*") if p.is_file()
              and p.relative_to(reports).parts[0] not in ("outbox", "analytics", "analytics.duckdb")
              and "regulator" not in p.relative_to(reports).parts]
    assert any(p.name == "compensation_root.json" for p in public) and (reports / "log" / "latest.json") in public
    secrets = set()
    for period in MONTHS:
        for path in receipts_of(issued, period):
            leaf = json.loads(path.read_text())["leaves"][0]["leaf"]
            secrets |= {leaf["salt"].encode(), leaf["account"].encode()}
    with duckdb.connect(str(demo / "data" / "warehouse.duckdb"), read_only=True) as con:
        accounts = {a.encode() for (a,) in con.execute("SELECT DISTINCT account_ref FROM staging.compensation_claims")
                    .fetchall()}
    for path in public:
        content = path.read_bytes()
        if path.suffix == ".json":
            parsed = json.loads(content)
            assert not isinstance(parsed, dict) or parsed.get("format") != "transparency-compensation-receipt/1"
        assert b"confidential" not in content or path.suffix in (".py", ".md", ".pdf", ".html", ".css"), path
        assert not [s for s in secrets if s in content], path
        assert not [a for a in accounts if a in content], path


# --- the publication log ---------------------------------------------------------------------------------------
# RFC 6962 §2.1, written again from the RFC (not from pipelines/merkle.py).


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def rfc_mth(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return _h(b"\x00" + leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return _h(b"\x01" + rfc_mth(leaves[:k]) + rfc_mth(leaves[k:]))


def rfc_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return rfc_path(m, leaves[:k]) + [rfc_mth(leaves[k:])]
    return rfc_path(m - k, leaves[k:]) + [rfc_mth(leaves[:k])]


def rfc_proof(m: int, leaves: list[bytes]) -> list[bytes]:
    def subproof(m, d, b):
        if m == len(d):
            return [] if b else [rfc_mth(d)]
        k = 1
        while k * 2 < len(d):
            k *= 2
        if m <= k:
            return subproof(m, d[:k], b) + [rfc_mth(d[k:])]
        return subproof(m - k, d[k:], False) + [rfc_mth(d[:k])]
    return subproof(m, leaves, True)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 9, 16, 17, 31])
def test_the_log_tree_and_its_proofs_are_rfc_6962s(size: int):
    leaves = [f"entry {i}".encode() for i in range(size)]
    nodes = [merkle.leaf(data) for data in leaves]
    assert merkle.subtree_root(nodes).hash == merkle.root(nodes).hash == rfc_mth(leaves)
    tree = merkle.levels(nodes)
    for m in range(size):
        ours = merkle.inclusion_path(tree, m)
        assert [n.hash for n in ours] == rfc_path(m, leaves)
        assert merkle.root_from_path(m, size, nodes[m], [merkle.Node(h) for h in rfc_path(m, leaves)]).hash == \
            rfc_mth(leaves)
    for old in range(1, size + 1):
        proof = rfc_proof(old, leaves)
        assert [n.hash for n in merkle.consistency_proof(nodes, old)] == proof
        merkle.verify_consistency(old, rfc_mth(leaves[:old]), size, rfc_mth(leaves), proof)
        if proof:
            bad = [bytes(32), *proof[1:]]
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(old, rfc_mth(leaves[:old]), size, rfc_mth(leaves), bad)
        if old < size:  # an old tree that is not a prefix
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(old, rfc_mth([b"rewritten", *leaves[1:old]]), size, rfc_mth(leaves), proof)


def test_the_demo_log_lists_every_version_and_its_head_is_rfc_6962s(demo: Path):
    log = demo / "reports" / "log"
    entries = [json.loads(line) for line in (log / "entries.jsonl").read_text().splitlines()]
    assert [e["version"] for e in entries] == [f"{p}/v1" for p in MONTHS]
    for e in entries:
        assert e["manifest_sha256"] == hashlib.sha256((demo / "reports" / e["version"] / "manifest.json")
                                                      .read_bytes()).hexdigest()
    canonical = [json.dumps(e, sort_keys=True, separators=(",", ":")).encode() for e in entries]
    head = json.loads((log / "latest.json").read_text())
    assert (head["size"], head["root_hash"]) == (2, rfc_mth(canonical).hex())
    assert json.loads((log / "heads" / "00000001.json").read_text())["root_hash"] == rfc_mth(canonical[:1]).hex()
    assert run(demo, "verify", f"reports/{MONTHS[0]}/v1", "--since", str(log / "heads" / "00000001.json")
               ).returncode == 0
    archive = (demo / "reports" / "index.html").read_text()
    assert head["root_hash"] in archive and 'href="log/latest.json"' in archive


@pytest.fixture
def rewritable(demo: Path, tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(demo, work)
    shutil.copy(work / "reports" / "log" / "heads" / "00000001.json", work / "saved-head.json")
    return work


def test_an_altered_old_manifest_is_reported(rewritable: Path):
    manifest = rewritable / "reports" / MONTHS[0] / "v1" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"version": 1', '"version": 1 '))
    done = run(rewritable, "verify", f"reports/{MONTHS[-1]}/v1", "--since", "saved-head.json")
    assert done.returncode == 1
    assert f"{MONTHS[0]}/v1: its manifest has sha256" in done.stderr


def test_an_old_version_removed_is_reported(rewritable: Path):
    shutil.rmtree(rewritable / "reports" / MONTHS[0])
    done = run(rewritable, "verify", f"reports/{MONTHS[-1]}/v1", "--since", "saved-head.json")
    assert done.returncode == 1
    assert f"{MONTHS[0]}/v1: logged at index 0, but its manifest is missing" in done.stderr


def test_an_old_version_removed_and_the_log_rewritten_and_re_signed_is_detected_by_a_saved_head(rewritable: Path,
                                                                                              monkeypatch):
    from pipelines.profile import load_profile
    from pipelines.publication_log import Entry, sign_head
    from pipelines.signing import signing_key

    reports = rewritable / "reports"
    shutil.rmtree(reports / MONTHS[0])
    # the entity (it holds the key) rewrites its log without the month and signs a fresh head
    kept = [Entry(**json.loads(line)) for line in (reports / "log" / "entries.jsonl").read_text().splitlines()][1:]
    (reports / "log" / "entries.jsonl").write_text("".join(
        json.dumps({"version": e.version, "manifest_sha256": e.manifest_sha256}) + "\n" for e in kept))
    monkeypatch.chdir(rewritable)  # the profile names the key relative to the working directory
    key = signing_key(load_profile())

    head = sign_head(kept, "Northwind Digital Asset Exchange S.A.", key, datetime.now(UTC))
    (reports / "log" / "latest.json").write_text(json.dumps(head))

    assert run(rewritable, "verify", f"reports/{MONTHS[-1]}/v1").returncode == 0  # consistent with itself
    done = run(rewritable, "verify", f"reports/{MONTHS[-1]}/v1", "--since", "saved-head.json")
    assert done.returncode == 1
    assert "is not a prefix of today's" in done.stderr and "rewritten or removed" in done.stderr


def test_a_head_not_signed_by_the_key_is_rejected(rewritable: Path):
    latest = rewritable / "reports" / "log" / "latest.json"
    head = json.loads(latest.read_text())
    head["timestamp"] = "2026-12-31T00:00:00Z"
    latest.write_text(json.dumps(head))
    done = run(rewritable, "verify", f"reports/{MONTHS[-1]}/v1")
    assert done.returncode == 1 and "is not signed by the key of" in done.stderr


JSON_LEAF_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(
        st.characters(codec="ascii")), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(value=JSON_LEAF_VALUES)
def test_leaves_are_canonicalised_as_rfc_8785_says(value):
    import rfc8785

    from pipelines.receipts import canonical

    assert canonical(value) == rfc8785.dumps(value)


def test_the_example_leaves_are_canonicalised_as_rfc_8785_says():
    import rfc8785

    from pipelines.receipts import canonical

    for leaf in example_tree().leaves:
        assert canonical(leaf.data) == rfc8785.dumps(leaf.data)
    with pytest.raises(ReceiptError, match="has no place in a leaf"):
        canonical({"amount": 0.5})
