"""What the caches hold beyond trained weights, and what they saved: the work ledger and cached JSON results.

Every artifact that is expensive to make and is a pure function of its inputs (a trained model, a
LongRoPE search, a fine-tuned tagger) is cached under ``paths.cache_dir()`` by a hash of those inputs.
A chapter that loads one from the cache runs faster than a cold run would; to say how much faster,
every such artifact is entered in the **work ledger** of the process: what it is (``kind`` and a
stable ``ident``), how many minutes making it costs, and whether it was loaded or made in this run.
``results.Run`` writes the entries made since the chapter started into its provenance
(``cache_work``), and ``claims.summary.run_costs`` turns them into each chapter's warm time (nothing
made) and cold time (everything made, each artifact by the first chapter that needs it).
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .files import HashMismatchError, atomic_write_text, check_hashes, content_key, file_sha256, publish_folder
from .parallel import process_state
from .paths import cache_dir

T = TypeVar("T")

#: the ledger of this process: one dict per artifact loaded or made (see ``record_work``)
_LEDGER: list[dict] = []


def record_work(kind: str, ident: str, minutes: float, *, loaded: bool) -> None:
    """Enter one artifact: ``minutes`` is what making it costs (measured when made now; as recorded with
    it when loaded). ``ident`` names the artifact across chapters (its cache folder or key)."""
    if minutes < 0:
        raise ValueError(f"work minutes must be ≥ 0, got {minutes} for {kind} {ident}")
    _LEDGER.append({"kind": kind, "id": ident, "minutes": float(minutes), "loaded": bool(loaded), "t": time.time()})


def work_since(t0: float) -> list[dict]:
    """The ledger's entries since ``t0`` (a chapter's start), one per artifact (the first entry of each
    ``id``: an artifact loaded twice is counted once), without their timestamps."""
    seen, out = set(), []
    for e in _LEDGER:
        if e["t"] >= t0 and e["id"] not in seen:
            seen.add(e["id"])
            out.append({k: v for k, v in e.items() if k != "t"})
    return out


def source_key(*objects) -> str:
    """A hash of the source code of modules or functions: a cache key that changes when the code that
    makes the artifact does."""
    return content_key("\n".join(inspect.getsource(o) for o in objects).encode())


def tensors_key(state: dict) -> str:
    """A hash of a state dict's names, shapes, dtypes and bytes (a model's identity, however it was made)."""
    import hashlib

    import torch

    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().cpu().contiguous()
        h.update(f"{name}:{tuple(t.shape)}:{t.dtype}\0".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:16]


def cached_json(
    kind: str, payload: dict, make: Callable[[], dict], *, minutes_of: Callable[[dict], float], log=print
) -> tuple[dict, bool]:
    """``make()``'s JSON-able result, cached in ``cache_dir()/kind/<hash of payload>.json``; (result, from_cache).

    ``payload`` must hold everything the result depends on (inputs, settings, a ``source_key`` of the
    code). ``minutes_of(result)`` is the work the result cost, entered in the ledger either way. An
    unreadable file is reported and made again.
    """
    key = content_key(payload)
    path = Path(cache_dir()) / kind / f"{key}.json"
    ident = f"{kind}/{key}"
    if path.exists():
        try:
            stored = json.loads(path.read_text())
            if not isinstance(stored, dict) or stored.get("payload_key") != key or "result" not in stored:
                raise ValueError("the file does not hold this payload's result")
            record_work(kind, ident, minutes_of(stored["result"]), loaded=True)
            return stored["result"], True
        except (ValueError, KeyError, TypeError) as e:
            log(f"[lcreport] {path}: unreadable cached {kind} ({e}); making it again")
    t0 = time.time()
    result = make()
    atomic_write_text(path, json.dumps({"payload_key": key, "payload": payload, "result": result}, default=str))
    record_work(kind, ident, (time.time() - t0) / 60, loaded=False)
    return result, False


class CorruptCacheError(RuntimeError):
    """A cached folder that cannot be trusted: no manifest (an interrupted write), an unreadable one, or a file
    missing or changed since the manifest recorded its hash. The cache reports it and makes the artifact again."""


MANIFEST = "manifest.json"


def read_manifest(folder: Path) -> dict:
    """The manifest of a cached folder, its files checked against their recorded SHA-256, else ``CorruptCacheError``."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise CorruptCacheError(f"{folder}: no manifest (an interrupted or partial write)")
    try:
        manifest = json.loads(path.read_text())
        files = manifest["files"]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise CorruptCacheError(f"{folder}: unreadable manifest ({e})") from e
    try:
        check_hashes(folder, files)
    except HashMismatchError as e:
        raise CorruptCacheError(str(e)) from e
    return manifest


def write_folder(folder: Path, save: Callable[[Path], None], *, minutes: float) -> bool:
    """``save(tmp)`` writes the artifact's files into a fresh folder beside ``folder``; the manifest (every file's
    SHA-256 and the minutes making it took) is written last and the folder published by renames
    (``files.publish_folder``): a reader sees a whole folder or none. Returns whether this copy was published."""
    import os
    import shutil
    import tempfile

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        save(tmp)
        files = {p.name: file_sha256(p) for p in sorted(tmp.iterdir()) if p.is_file()}
        (tmp / MANIFEST).write_text(json.dumps({"files": files, "minutes": float(minutes)}, indent=1))
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache is for readers too
        return publish_folder(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def cached_folder(
    kind: str,
    key: str,
    *,
    make: Callable[[], T],
    save: Callable[[T, Path], None],
    load: Callable[[Path, dict], T],
    minutes_made: Callable[[T, float], float] | None = None,
    work_kind: str | None = None,
    log=print,
) -> tuple[T, bool]:
    """The one cache for artifacts made of files (trained weights): ``cache_dir()/kind/key``.

    ``load(folder, manifest)`` rebuilds the artifact from an intact folder (it may raise ``CorruptCacheError``
    too, e.g. for a tokenizer that does not match); otherwise ``make()`` makes it, ``save(artifact, folder)``
    writes its files (by the main process only, when several run) and the manifest records the work it cost:
    ``minutes_made(artifact, wall_minutes)``, by default the wall time. The work ledger records the artifact
    either way (as ``work_kind``, by default ``kind``), with the recorded minutes when loaded. Returns
    (artifact, from_cache).
    """
    folder = Path(cache_dir()) / kind / key
    ident = f"{kind}/{key}"
    if folder.exists():
        try:
            manifest = read_manifest(folder)
            artifact = load(folder, manifest)
            record_work(work_kind or kind, ident, manifest.get("minutes", 0.0), loaded=True)
            return artifact, True
        except CorruptCacheError as e:
            log(f"[lcreport] {e}; making it again")
    t0 = time.time()
    artifact = make()
    wall = (time.time() - t0) / 60
    minutes = wall if minutes_made is None else minutes_made(artifact, wall)
    process = process_state()
    if process.is_main_process:  # one writer, however many processes made it
        write_folder(folder, lambda tmp: save(artifact, tmp), minutes=minutes)
    process.wait_for_everyone()
    record_work(work_kind or kind, ident, wall, loaded=False)
    return artifact, False
