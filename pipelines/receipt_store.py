"""The month's compensation tree built from the warehouse into a DuckDB file, the receipt store, from which each
claimant's receipt is issued on demand (`transparency receipt issue`).

pipelines/receipts.py defines the format (leaves, splits, sums, receipts) and builds a tree in memory: the
verifiers, the worked example of docs/RECEIPTS.md and the tests use it. This module builds the same tree (the tests
compare them leaf by leaf) at exchange scale, a million claims and more, without holding them as Python objects:
the warehouse writes each claim's leaf data as canonical JSON (sql/reports/receipt_claims.sql), Python adds the
members the secret derives and hashes each leaf, DuckDB sorts the leaves, and each level of nodes is hashed from
the one below, the sums added as 128-bit integers in numpy. Writing a receipt file for every claim instead would
take tens of gigabytes a month at that scale (each receipt carries a path of some twenty nodes per leaf).

The store's tables: `root` (the root record, the tree's size and the store's format), `leaves` (index, claim, part,
the leaf's canonical JSON and its node) and `nodes` (the levels above the leaves). A node is its hash (32 bytes)
followed by its sums, each 16 bytes big-endian: the bytes a parent's hash covers.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pipelines import merkle
from pipelines.files import write_atomic
from pipelines.marts import prepare
from pipelines.receipts import (
    FIELDS,
    Counted,
    Field,
    MonthKey,
    ReceiptError,
    decimal_text,
    empty_month_leaf,
    node_record,
    receipt,
    root_record,
    split,
    sums_of,
    sums_text,
)
from pipelines.sql import SqlFile

STORE_FORMAT = "transparency-receipt-store/1"
STORE_FILE = "tree.duckdb"  # a version's store, in its receipts folder
BATCH = 100_000  # claims read from the warehouse at a time
STORE_MEMORY = "512MB"
WAREHOUSE_MEMORY = "1GB"
SMALL_TREE = 100_000  # leaves: a store this small is read whole to issue receipts
HASH = 32


@dataclass(frozen=True)
class StoreSummary:
    """What building a store found: the root record, the tree's size and the claims added up."""

    record: dict
    size: int
    claims: Counted


def build_store(con: duckdb.DuckDBPyConnection, period: str, secret: bytes, fields: list[Field],
                target: Path) -> StoreSummary:
    """Build the month's tree from the warehouse (`con`, read only) into the file `target`."""
    target.unlink(missing_ok=True)
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    # The claims stream out of the warehouse while Python and the store hold the leaves: its buffer pool shrinks
    # meanwhile, so that the three stay within the machine's budget together.
    con.execute("SET memory_limit = ?", [WAREHOUSE_MEMORY])
    try:
        return _build(con, period, secret, fields, target)
    finally:
        con.execute("SET memory_limit = ?", [limit])


def _build(con: duckdb.DuckDBPyConnection, period: str, secret: bytes, fields: list[Field],
           target: Path) -> StoreSummary:
    file = SqlFile("reports", "receipt_claims")
    claims = con.execute(file.text, prepare(con, file, period))
    counted = Counted.zero()
    # Beside the warehouse's own buffer pool (3 GB): the sort of the leaves spills to disk rather than grow
    with duckdb.connect(str(target), config={"memory_limit": STORE_MEMORY}) as store:
        store.execute("CREATE TABLE claims (claim VARCHAR, parts INTEGER, head VARCHAR, tail VARCHAR)")
        # unsorted: a temporary table, so that the file holds the leaves once, in their order
        store.execute("CREATE TEMP TABLE unsorted (order_key BLOB, claim VARCHAR, part INTEGER, node BLOB)")
        for claim_rows, leaf_rows, batch_counted in _leaf_batches(claims, period, secret, fields):
            counted.merge(batch_counted)
            store.register("claim_batch", claim_rows)
            store.register("leaf_batch", leaf_rows)
            store.execute("INSERT INTO claims SELECT * FROM claim_batch")
            store.execute("INSERT INTO unsorted SELECT * FROM leaf_batch")
            store.unregister("claim_batch")
            store.unregister("leaf_batch")
        size = store.execute("SELECT count(*) FROM unsorted").fetchone()[0]
        if size == 0:
            empty = empty_month_leaf(period, fields)
            store.execute("INSERT INTO unsorted VALUES ('', NULL, 0, ?)", [empty.hash + merkle.encode_sums(empty.sums)])
            size = 1
        # The key's shuffle: leaves in the order of their derived numbers (compared as bytes: the same order).
        store.execute("CREATE TABLE leaves AS SELECT row_number() OVER (ORDER BY order_key, claim, part) - 1 "
                      "AS leaf_index, claim, part, node FROM unsorted ORDER BY leaf_index")
        store.execute("DROP TABLE unsorted")
        root = _build_levels(store, size, len(fields))
        record = root_record(period, fields, root)
        store.execute("CREATE TABLE root (format VARCHAR, record VARCHAR, tree_size BIGINT)")
        store.execute("INSERT INTO root VALUES (?, ?, ?)", [STORE_FORMAT, json.dumps(record), size])
    return StoreSummary(record, size, counted)


def _leaf_batches(claims: duckdb.DuckDBPyConnection, period: str, secret: bytes, fields: list[Field]
                  ) -> Iterator[tuple[pa.Table, pa.Table, Counted]]:
    """The claims' rows and leaves, batch by batch, in the order the claims come: a month of one batch in this
    process, a longer one in two worker processes (the derivations and hashes are Python: one core each)."""
    first = claims.fetchmany(BATCH)
    if len(first) < BATCH:
        if first:
            yield leaf_batch(first, period, secret, fields)
        return
    # Spawned, not forked: this process holds DuckDB's threads. At most a few batches in flight bound the memory.
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending = deque([pool.submit(leaf_batch, first, period, secret, fields)])
        while pending:
            if len(pending) < 3 and (batch := claims.fetchmany(BATCH)):
                pending.append(pool.submit(leaf_batch, batch, period, secret, fields))
                continue
            yield pending.popleft().result()


def leaf_batch(rows: list[tuple], period: str, secret: bytes, fields: list[Field]
               ) -> tuple[pa.Table, pa.Table, Counted]:
    writer = _LeafWriter(period, MonthKey(secret, period), fields)
    return (*writer.batch(rows), writer.counted)


def leaf_text(head: str, part: int, parts: int, tail: str, sums: str) -> str:
    """A leaf's canonical JSON from its claim's `head` and `tail` (claims table) and the part's sums (the members
    of the sums object, sorted): the members in the order RFC 8785 sorts them."""
    return f'{head}{part},"parts":{parts}{tail}{sums}}}}}'


class _LeafWriter:
    """Every part of every claim as a leaf: what receipts.leaves_of and leaf_data build as objects, written
    directly as the canonical JSON they encode to, with the derivations of a zero total skipped (each of its cuts
    is 0 whatever is derived)."""

    def __init__(self, period: str, key: MonthKey, fields: list[Field]):
        self.key, self.fields, self.counted = key, fields, Counted.zero()
        self.by_name = sorted(range(len(fields)), key=lambda i: fields[i].name)  # the sums object's member order
        self.member = [f'"{f.name}":"' for f in fields]
        self.zero_text = [decimal_text(0, f.scale) for f in fields]

    def batch(self, rows: list[tuple]) -> tuple[pa.Table, pa.Table]:
        key, fields, zero = self.key, self.fields, ZERO_SUM
        claims, parts_of, heads, tails = [], [], [], []
        order_keys, leaf_claims, leaf_parts, nodes = [], [], [], []
        for claim_id, account_ref, decided, decision, payouts, paid, paid_fund, leaf_claim, leaf_payouts in rows:
            sums = sums_of(decided, decision, payouts, paid, paid_fund)
            self.counted.add(sums, decided)
            salt = key.derive("salt", claim_id)
            account = hashlib.sha256(salt + account_ref.encode("utf-8")).hexdigest()
            parts = 2 + key.number("parts", claim_id) % 3
            shares = [split(sums[f.name], parts, key, claim_id, f.name) if sums[f.name] else None for f in fields]
            head = f'{{"account":"{account}",{leaf_claim},"part":'
            tail = f',{leaf_payouts},"salt":"{salt.hex()}","sums":{{'
            claims.append(claim_id)
            parts_of.append(parts)
            heads.append(head)
            tails.append(tail)
            for part in range(parts):
                values = [0 if share is None else share[part] for share in shares]
                texts = ",".join(self.member[i] + (decimal_text(values[i], fields[i].scale) if values[i]
                                                   else self.zero_text[i]) + '"' for i in self.by_name)
                order_keys.append(key.derive("order", claim_id, str(part)))
                leaf_claims.append(claim_id)
                leaf_parts.append(part)
                nodes.append(merkle.leaf_hash(leaf_text(head, part, parts, tail, texts).encode("utf-8"))
                             + b"".join(v.to_bytes(16, "big") if v else zero for v in values))
        return (pa.table({"claim": pa.array(claims, pa.string()), "parts": pa.array(parts_of, pa.int32()),
                          "head": pa.array(heads, pa.string()), "tail": pa.array(tails, pa.string())}),
                pa.table({"order_key": pa.array(order_keys, pa.binary()), "claim": pa.array(leaf_claims, pa.string()),
                          "part": pa.array(leaf_parts, pa.int32()), "node": pa.array(nodes, pa.binary())}))


ZERO_SUM = bytes(merkle.SUM_BYTES)


# --- the levels ------------------------------------------------------------------------------------------------


def _build_levels(con: duckdb.DuckDBPyConnection, size: int, width: int) -> merkle.Node:
    """Hash every level from the leaves up into the table nodes (level ≥ 1); return the root."""
    record = HASH + 16 * width
    level = np.empty((size, record), dtype=np.uint8)
    start = 0
    for batch in con.sql("SELECT node FROM leaves ORDER BY leaf_index").to_arrow_reader(BATCH):
        rows = _fixed(batch.column(0), record)
        level[start:start + len(rows)] = rows
        start += len(rows)
    con.execute("CREATE TABLE nodes (level INTEGER, node_index BIGINT, node BLOB)")
    height = 0
    while len(level) > 1:
        level = _parents(level, width)
        height += 1
        nodes = pa.FixedSizeBinaryArray.from_buffers(pa.binary(record), len(level), [None, pa.py_buffer(level)])
        level_nodes = pa.table({"level": pa.array(np.full(len(level), height, np.int32)),
                          "node_index": pa.array(np.arange(len(level), dtype=np.int64)),
                          "node": nodes.cast(pa.binary())})
        con.register("level_nodes", level_nodes)
        con.execute("INSERT INTO nodes SELECT * FROM level_nodes")
        con.unregister("level_nodes")
    return _node(bytes(level[0]), width)


def _fixed(column: pa.Array, record: int) -> np.ndarray:
    """Nodes of a BLOB column, all `record` bytes long, as an (n, record) array of bytes."""
    fixed = column.cast(pa.binary(record))
    data = np.frombuffer(fixed.buffers()[1], dtype=np.uint8)
    return data[fixed.offset * record:(fixed.offset + len(fixed)) * record].reshape(len(fixed), record)


def _parents(level: np.ndarray, width: int) -> np.ndarray:
    """The level above `level` (n nodes as rows of bytes): each pair's parent as merkle.parent computes it, an odd
    last node carried up unchanged."""
    n, record = level.shape
    pairs = n // 2
    out = np.empty(((n + 1) // 2, record), dtype=np.uint8)
    both = np.ascontiguousarray(level[:2 * pairs]).reshape(pairs, 2 * record)
    prefix = hashlib.sha256(merkle.NODE_PREFIX)
    hashes = bytearray(pairs * HASH)
    flat, step = memoryview(both).cast("B"), 2 * record
    for i in range(pairs):
        digest = prefix.copy()
        digest.update(flat[i * step:(i + 1) * step])
        hashes[i * HASH:(i + 1) * HASH] = digest.digest()
    out[:pairs, :HASH] = np.frombuffer(hashes, dtype=np.uint8).reshape(pairs, HASH)
    out[:pairs, HASH:] = _add_sums(both[:, HASH:record], both[:, record + HASH:], width)
    if n % 2:
        out[-1] = level[-1]
    return out


def _add_sums(left: np.ndarray, right: np.ndarray, width: int) -> np.ndarray:
    """Two rows of `width` 16-byte big-endian sums added, as 128-bit integers (two 64-bit halves with a carry)."""
    a = np.ascontiguousarray(left).view(">u8").reshape(-1, width, 2).astype(np.uint64)
    b = np.ascontiguousarray(right).view(">u8").reshape(-1, width, 2).astype(np.uint64)
    low = a[..., 1] + b[..., 1]
    carry = (low < a[..., 1]).astype(np.uint64)
    high = a[..., 0] + b[..., 0]
    overflow = (high < a[..., 0]) | (high + carry < high)
    if overflow.any():
        raise merkle.ProofError("a node's sums are not all unsigned 128-bit integers")
    total = np.stack([high + carry, low], axis=-1).astype(">u8")
    return total.view(np.uint8).reshape(len(a), width * 16)


def _node(record: bytes, width: int) -> merkle.Node:
    sums = tuple(int.from_bytes(record[HASH + 16 * i:HASH + 16 * (i + 1)], "big") for i in range(width))
    return merkle.Node(record[:HASH], sums)


# --- receipts ----------------------------------------------------------------------------------------------------


class Store:
    """A receipt store opened read-only."""

    def __init__(self, path: Path):
        if not path.is_file():
            raise ReceiptError(f"{path}: no receipt store")
        self.path = path
        self._con = duckdb.connect(str(path), read_only=True)
        self._whole = None
        form, record, self.size = self._con.execute("SELECT format, record, tree_size FROM root").fetchone()
        if form != STORE_FORMAT:
            raise ReceiptError(f"{path}: format {form!r} is not {STORE_FORMAT}")
        self.record = json.loads(record)
        names = [f["name"] for f in self.record["fields"]]
        self.fields = [f for f in FIELDS if f.name in names]

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def claims(self) -> list[str]:
        return [c for (c,) in self._con.execute("SELECT claim FROM claims ORDER BY claim").fetchall()]

    def claim_count(self) -> int:
        return self._con.execute("SELECT count(*) FROM claims").fetchone()[0]

    def receipts(self, claims: Iterable[str], version: int) -> Iterator[tuple[str, dict]]:
        """(claim, its receipt under this store's root and `version`) for each of `claims`; ReceiptError for a
        claim the tree does not hold."""
        by_name = sorted(self.fields, key=lambda f: f.name)
        for claim in claims:
            rows = self._leaf_rows(claim)
            if not rows:
                raise ReceiptError(f"claim {claim} is not in the {self.record['period']} tree")
            entries = []
            for index, part, parts, head, tail, node in rows:
                sums = sums_text(dict(zip((f.name for f in self.fields), _node(node, len(self.fields)).sums)),
                                 self.fields)
                text = leaf_text(head, part, parts, tail, ",".join(json.dumps(f.name) + ":" + json.dumps(sums[f.name])
                                                                    for f in by_name))
                entries.append({"index": index, "leaf": json.loads(text), "path": self._path(index)})
            yield claim, receipt(self.record, version, self.size, claim, entries)

    def _path(self, index: int) -> list[dict]:
        """merkle.inclusion_path, read from the stored levels."""
        wanted, width = [], self.size
        for level in range(max(self.size - 1, 0).bit_length()):
            if (index >> level) ^ 1 < width:
                wanted.append((level, (index >> level) ^ 1))
            width = (width + 1) // 2
        found = self._small()[1] if self.size <= SMALL_TREE else {
            (lv, i): node for lv, i, node in self._con.execute(
                "SELECT 0, leaf_index, node FROM leaves WHERE leaf_index = $first "
                "UNION ALL SELECT level, node_index, node FROM nodes "
                "JOIN (SELECT unnest($levels) AS level, unnest($indexes) AS node_index) USING (level, node_index)",
                {"first": next((i for lv, i in wanted if lv == 0), -1),
                 "levels": [lv for lv, _ in wanted if lv], "indexes": [i for lv, i in wanted if lv]}).fetchall()}
        return [node_record(_node(found[w], len(self.fields)), self.fields) for w in wanted]

    _LEAF_ROWS = ("SELECT claim, leaf_index, part, parts, head, tail, node FROM leaves JOIN claims USING (claim)"
                  " {} ORDER BY leaf_index")

    def _leaf_rows(self, claim: str) -> list[tuple]:
        """(index, part, parts, head, tail, node) of each leaf of `claim`."""
        if self.size <= SMALL_TREE:
            return self._small()[0].get(claim, [])
        return [row[1:] for row in self._con.execute(self._LEAF_ROWS.format("WHERE claim = ?"), [claim]).fetchall()]

    def _small(self) -> tuple[dict[str, list[tuple]], dict[tuple[int, int], bytes]]:
        """A small tree read whole, once (issuing every receipt of a demo month is then a matter of lookups)."""
        if self._whole is None:
            self._whole = self._read_whole()
        return self._whole

    def _read_whole(self) -> tuple[dict[str, list[tuple]], dict[tuple[int, int], bytes]]:
        leaves: dict[str, list[tuple]] = {}
        nodes = {}
        for claim, *row in self._con.execute(self._LEAF_ROWS.format("")).fetchall():
            leaves.setdefault(claim, []).append(tuple(row))
            nodes[(0, row[0])] = row[-1]
        nodes |= {(lv, i): node for lv, i, node in
                  self._con.execute("SELECT level, node_index, node FROM nodes").fetchall()}
        return leaves, nodes


def write_receipt_files(store: Store, claims: Iterable[str], version: int, folder: Path) -> list[Path]:
    """Each claim's receipt as <claim>.json in `folder`, compact (a receipt is read by programs)."""
    written = []
    for claim, content in store.receipts(claims, version):
        path = folder / f"{file_name(claim)}.json"
        write_atomic(path, json.dumps(content, separators=(",", ":")) + "\n")
        written.append(path)
    return written


def file_name(claim_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in claim_id)
