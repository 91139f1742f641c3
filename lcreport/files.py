"""Files written and checked by the project: one content hash, one atomic writer.

Every checksum in the project (assets, checkpoints, the source hash, cache keys) is a
SHA-256 from here, and every file that another run may read (results, checkpoints) is
written through ``atomic_write`` so that an interrupted run never leaves half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (``hashlib.file_digest`` reads it in blocks)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def content_key(payload, length: int = 16) -> str:
    """A short SHA-256 of bytes, or of a JSON-able payload (sorted keys): cache folders, provenance."""
    text = payload if isinstance(payload, bytes) else json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(text).hexdigest()[:length]


class HashMismatchError(ValueError):
    """A file of a cached folder is missing or no longer has the SHA-256 its manifest recorded."""


def check_hashes(folder: Path, files: dict) -> None:
    """Every ``name → sha256`` of a manifest's ``files`` present in ``folder`` with that hash, else
    ``HashMismatchError`` naming the first that is not (the cache then rebuilds the folder)."""
    for name, digest in files.items():
        path = Path(folder) / name
        if not path.exists() or file_sha256(path) != digest:
            raise HashMismatchError(f"{folder}/{name} is missing or does not match its recorded hash")


def atomic_write(path: Path, write: Callable[[str], None], *, mode: int = 0o644) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it into place.

    Readers see the old file or the new one, never a half-written one; on error the old
    file is untouched and the temporary one removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, mode)  # mkstemp makes it private; results and checkpoints are for readers
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def publish_folder(tmp: Path, folder: Path) -> bool:
    """Move the finished folder ``tmp`` to ``folder`` by renames only, so that a reader sees the old folder, the
    new one or none, never a half-written one. An existing ``folder`` (a damaged copy being replaced) is first
    renamed aside and removed after. If another writer publishes ``folder`` in between (the same cache key, so
    the same content), its copy is kept and ``tmp`` removed. Returns whether ``tmp`` was the one published."""
    import shutil

    tmp, folder = Path(tmp), Path(folder)
    aside = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.old."))
    try:
        try:
            os.replace(folder, aside / folder.name)
        except FileNotFoundError:
            pass  # nothing to replace (or another writer moved it aside first)
        try:
            os.replace(tmp, folder)
            return True
        except OSError:
            if not folder.is_dir():
                raise
            return False  # another writer's copy arrived first
    finally:
        shutil.rmtree(aside, ignore_errors=True)
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
