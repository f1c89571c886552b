"""Merkle trees as RFC 6962 / RFC 9162 §2.1 define them, optionally carrying a vector of sums in every node.

Leaves are hashed as SHA-256(0x00 || data) and nodes as SHA-256(0x01 || left || right), so leaves and nodes can
never be confused; a tree of n leaves splits at the largest power of two below n (no duplicated odd nodes). With
sums (a Merkle-sum tree, the compensation root), every node also carries the sums of its leaves, and its hash covers
its children's sums: SHA-256(0x01 || left.hash || left.sums || right.hash || right.sums), each sum a 16-byte
big-endian unsigned integer. Without sums (the publication log) this is exactly RFC 6962. docs/RECEIPTS.md gives the
bytes with a worked example.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

LEAF_PREFIX, NODE_PREFIX = b"\x00", b"\x01"
SUM_BYTES = 16


class ProofError(ValueError):
    """A proof that does not lead to the root it claims."""


@dataclass(frozen=True)
class Node:
    hash: bytes
    sums: tuple[int, ...] = ()


def encode_sums(sums: tuple[int, ...]) -> bytes:
    """Each sum as 16 bytes big-endian; a negative sum or one of 2^128 or more cannot be encoded."""
    try:
        return b"".join(s.to_bytes(SUM_BYTES, "big") for s in sums)
    except OverflowError:
        raise ProofError(f"sums {sums} are not all unsigned 128-bit integers") from None


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def leaf(data: bytes, sums: tuple[int, ...] = ()) -> Node:
    encode_sums(sums)
    return Node(leaf_hash(data), tuple(sums))


def parent(left: Node, right: Node) -> Node:
    if len(left.sums) != len(right.sums):
        raise ProofError("two nodes with different numbers of sums")
    digest = hashlib.sha256(NODE_PREFIX + left.hash + encode_sums(left.sums) + right.hash + encode_sums(right.sums))
    return Node(digest.digest(), tuple(a + b for a, b in zip(left.sums, right.sums, strict=True)))


def levels(leaves: list[Node]) -> list[list[Node]]:
    """The tree bottom-up: level 0 is the leaves, the last level the root alone. Pairing left to right and carrying
    an odd last node up unchanged builds the same tree as RFC 6962's split at the largest power of two."""
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    tree = [list(leaves)]
    while len(tree[-1]) > 1:
        below = tree[-1]
        tree.append([parent(below[i], below[i + 1]) if i + 1 < len(below) else below[i]
                     for i in range(0, len(below), 2)])
    return tree


def root(leaves: list[Node]) -> Node:
    return levels(leaves)[-1][0]


def inclusion_path(tree: list[list[Node]], index: int) -> list[Node]:
    """RFC 6962 §2.1.1 PATH(index, D[n]), leaf side first, from the levels of a tree."""
    if not 0 <= index < len(tree[0]):
        raise IndexError(f"leaf {index} of a tree of {len(tree[0])}")
    path = []
    for level in tree[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        index //= 2
    return path


def root_from_path(index: int, size: int, start: Node, path: list[Node]) -> Node:
    """RFC 9162 §2.1.3.2: the root that `path` leads to from leaf `index` of a tree of `size` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not within a tree of {size} leaves")
    fn, sn, node = index, size - 1, start
    for sibling in path:
        if sn == 0:
            raise ProofError("the path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            node = parent(sibling, node)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = parent(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the path is shorter than the tree is deep")
    return node


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def subtree_root(leaves: list[Node]) -> Node:
    """MTH(D[n]) by RFC 6962's recursive definition (for the publication log, whose trees are small)."""
    if len(leaves) == 1:
        return leaves[0]
    k = _largest_power_of_two_below(len(leaves))
    return parent(subtree_root(leaves[:k]), subtree_root(leaves[k:]))


def consistency_proof(leaves: list[Node], old_size: int) -> list[Node]:
    """RFC 6962 §2.1.2 PROOF(m, D[n]): how the tree of the first `old_size` leaves grew into the tree of all."""
    if not 0 < old_size <= len(leaves):
        raise ValueError(f"no consistency proof from {old_size} to {len(leaves)} leaves")

    def subproof(m: int, nodes: list[Node], whole: bool) -> list[Node]:
        if m == len(nodes):
            return [] if whole else [subtree_root(nodes)]
        k = _largest_power_of_two_below(len(nodes))
        if m <= k:
            return subproof(m, nodes[:k], whole) + [subtree_root(nodes[k:])]
        return subproof(m - k, nodes[k:], False) + [subtree_root(nodes[:k])]

    return subproof(old_size, leaves, True)


def verify_consistency(old_size: int, old_root: bytes, new_size: int, new_root: bytes, proof: list[bytes]) -> None:
    """RFC 9162 §2.1.4.2: raise ProofError unless `proof` shows the tree (old_size, old_root) is a prefix of the tree
    (new_size, new_root)."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"a tree of {old_size} leaves cannot be a prefix of one of {new_size}")
    if old_size == new_size:
        if proof or old_root != new_root:
            raise ProofError(f"two different trees of {new_size} leaves")
        return
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node of the path
        proof = [old_root, *proof]
    if not proof:
        raise ProofError("empty consistency proof")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = parent(Node(c), Node(fr)).hash
            sr = parent(Node(c), Node(sr)).hash
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = parent(Node(sr), Node(c)).hash
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise ProofError(f"the tree of {old_size} leaves is not a prefix of the tree of {new_size} leaves")
