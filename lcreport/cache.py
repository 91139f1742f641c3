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
from pathlib import Path
from typing import Callable

from .files import atomic_write_text, content_key
from .paths import cache_dir

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


def cached_json(kind: str, payload: dict, make: Callable[[], dict], *, minutes_of: Callable[[dict], float],
                log=print) -> tuple[dict, bool]:
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
