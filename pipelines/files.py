"""Writing files so that no reader, and no crash, ever sees half of one: write beside the target, flush to disk,
rename over the target, then make the rename itself durable."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new entry in `folder` durable."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


@contextmanager
def atomic_path(target: Path, *, scratch: Path | None = None) -> Iterator[Path]:
    """A temporary path to write; on success it is flushed and renamed to `target`, on failure removed.

    The temporary file is a dot file beside the target, or in `scratch` (same file system) where readers of the
    target's folder must not see it, e.g. a landing table's folder."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=scratch or target.parent)
    os.close(handle)
    temporary = Path(name)
    os.chmod(temporary, 0o644)  # as a file written with open() would be, not mkstemp's 0600
    try:
        yield temporary
        fsync_file(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def write_atomic(target: Path, data: bytes | str, *, scratch: Path | None = None) -> None:
    """Replace `target` by `data` (text is written as UTF-8, newlines untranslated)."""
    with atomic_path(target, scratch=scratch) as temporary:
        temporary.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def replace_dir(temporary: Path, target: Path) -> None:
    """Rename a fully written folder into place (`target` must not exist), every byte on disk before the name
    points at it."""
    for path in temporary.rglob("*"):
        if path.is_file():
            fsync_file(path)
        else:
            fsync_dir(path)
    fsync_dir(temporary)
    os.rename(temporary, target)
    fsync_dir(target.parent)
