"""The results store: ``results/<chapter>.json`` = key figures + provenance.

Every number the critique chapter judges comes from one of these files, and each file
says which code, profile, device and library versions produced it.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .paths import PACKAGE_DIR, ROOT, results_dir


def source_hash() -> str:
    """SHA-256 over lcreport's Python sources (sorted by path): which code made a number."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        h.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def git_commit() -> str:
    """The HEAD commit, with ``+dirty`` when lcreport/ has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "lcreport"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def library_versions() -> dict[str, str]:
    import numpy
    import torch
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "numpy": numpy.__version__,
    }


def machine_description(device) -> str:
    import torch

    if getattr(device, "type", str(device)) == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, {torch.get_num_threads()} torch threads"


def _jsonable(value):
    """Plain JSON types only; NaN/inf become null so the file stays valid JSON."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass
class Run:
    """One chapter's run: collects figures and writes them with provenance."""

    chapter: str
    profile: str
    device: str
    seed: int = 0
    started: float = field(default_factory=time.time)
    figures: dict = field(default_factory=dict)

    def provenance(self) -> dict:
        import torch

        return {
            "chapter": self.chapter,
            "profile": self.profile,
            "device": self.device,
            "machine": machine_description(torch.device(self.device)),
            "seed": self.seed,
            "versions": library_versions(),
            "lcreport_source_hash": source_hash(),
            "git_commit": git_commit(),
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "wall_time_s": round(time.time() - self.started, 1),
        }

    def record(self, key: str, value, *, unit: str | None = None, note: str | None = None):
        """Keep one key figure (a number, a list or a small table as records)."""
        entry = {"value": _jsonable(value)}
        if unit:
            entry["unit"] = unit
        if note:
            entry["note"] = note
        self.figures[key] = entry
        return value

    def save(self) -> Path:
        """Write ``results/<chapter>.json`` atomically (never a half-written file)."""
        out_dir = results_dir()
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{self.chapter}.json"
        payload = {"provenance": self.provenance(), "figures": self.figures}
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{self.chapter}.", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(payload, f, indent=1, ensure_ascii=False, sort_keys=True)
            f.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are for readers
        os.replace(tmp, path)
        return path


class MissingResultError(KeyError):
    pass


def load_results(chapter: str) -> dict:
    path = results_dir() / f"{chapter}.json"
    if not path.exists():
        raise MissingResultError(
            f"{path} does not exist: execute the chapter first "
            f"(`python -m lcreport run {chapter}`)"
        )
    return json.loads(path.read_text())


def figure(chapter: str, key: str):
    """One recorded figure's value, or a clear error naming the chapter and key."""
    figures = load_results(chapter)["figures"]
    if key not in figures:
        raise MissingResultError(f"results/{chapter}.json holds no figure {key!r}; "
                                 f"it has: {', '.join(sorted(figures))}")
    return figures[key]["value"]
