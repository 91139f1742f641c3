"""The results store: ``results/<chapter>.json`` and ``results/<chapter>.trials.csv``.

The JSON holds ``figures`` (``{"value": …}``, plus ``"ci95"`` and ``"n"`` for an estimate from
samples), ``comparisons`` (paired tests between two arms) and ``provenance`` (which code, profile,
device and library versions produced them). The CSV holds one row per scored unit, so that a
reader can recompute every comparison. Every number the critique chapter judges comes from here.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from .cache import work_since
from .files import atomic_write, atomic_write_text, content_key
from .paths import PACKAGE_DIR, ROOT, results_dir

#: columns every trials CSV starts with (extra columns may follow)
TRIAL_COLUMNS = ("experiment", "arm", "scale", "seed", "unit", "metric", "value")
#: fields of one entry of ``comparisons``
COMPARISON_FIELDS = ("id", "experiment", "scale", "metric", "a", "b", "diff", "ci95", "n", "test")


#: the files of the package that shape a number: code, and the data it reads (profiles, claims and their
#: rules' inputs, tolerances, the asset table, reference tables, the quoted exhibits)
SOURCE_SUFFIXES = (".py", ".yaml", ".csv", ".txt")


def source_hash() -> str:
    """SHA-256 over lcreport's sources and data files (``SOURCE_SUFFIXES``, sorted by path): which code and
    settings made a number."""
    parts = []
    files = (
        p
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file() and p.suffix in SOURCE_SUFFIXES and "__pycache__" not in p.parts
    )
    for path in sorted(files):
        parts.append(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return content_key(b"".join(parts))


def git_commit() -> str:
    """The HEAD commit, with ``+dirty`` when lcreport/ has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "lcreport"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
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


def cpu_description(cpuinfo: str | None = None) -> str:
    """The processor: its model name, family and model from ``/proc/cpuinfo`` where Linux has one (else what
    ``platform`` knows), and the instruction set torch's CPU kernels dispatch to. Trained weights and so the
    numbers of the LongRoPE chapters depend on it (book/reproduce.md), so every result records it."""
    import torch

    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            cpuinfo = ""
    fields = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    name = fields.get("model name") or platform.processor() or platform.machine() or "unknown processor"
    ids = ", ".join(f"{k} {fields[k]}" for k in ("cpu family", "model") if k in fields)
    capability = torch.backends.cpu.get_cpu_capability()
    return f"{name} ({platform.machine()}{', ' + ids if ids else ''}; torch kernels {capability})"


def machine_description(device) -> str:
    import torch

    if getattr(device, "type", str(device)) == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{cpu_description()}, {os.cpu_count()} CPU cores, {torch.get_num_threads()} torch threads"


def jsonable(value):
    """Plain JSON types only; NaN/inf become null so the file stays valid JSON."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
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
    """One chapter's run: collects figures, comparisons and trials, and writes them with provenance.

    ``profile`` is the resolved, frozen ``Profile`` and ``device`` a ``torch.device``; both are
    decided once, by ``notebook.start_chapter``, and passed down from here.
    """

    chapter: str
    profile: object
    device: object
    seed: int = 0
    started: float = field(default_factory=time.time)
    figures: dict = field(default_factory=dict)
    comparisons: list = field(default_factory=list)
    trials: list = field(default_factory=list)

    def provenance(self) -> dict:
        return {
            "chapter": self.chapter,
            "profile": self.profile.name,
            "device": str(self.device),
            "machine": machine_description(self.device),
            "seed": self.seed,
            "versions": library_versions(),
            "lcreport_source_hash": source_hash(),
            "git_commit": git_commit(),
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "wall_time_s": round(time.time() - self.started, 1),
            # every cached artifact this chapter loaded or made, with its minutes (``lcreport.cache``)
            "cache_work": work_since(self.started),
        }

    def record(self, key: str, value, *, unit: str | None = None, ci95=None, n: int | None = None):
        """Keep one key figure (a number, a list or a small table as records), with its interval if any."""
        entry = {"value": jsonable(value)}
        if unit:
            entry["unit"] = unit
        if ci95 is not None:
            entry["ci95"] = [float(ci95[0]), float(ci95[1])]
        if n is not None:
            entry["n"] = int(n)
        self.figures[key] = entry
        return value

    def compare(self, comparison: dict) -> dict:
        """Keep one paired comparison (see ``stats``); its id must be new."""
        missing = [k for k in COMPARISON_FIELDS if k not in comparison]
        if missing:
            raise ValueError(f"comparison {comparison.get('id')!r} lacks {', '.join(missing)}")
        if any(c["id"] == comparison["id"] for c in self.comparisons):
            raise ValueError(f"comparison {comparison['id']!r} recorded twice")
        self.comparisons.append(jsonable(comparison))
        return comparison

    def add_trials(self, rows) -> None:
        """One row per scored unit (dicts or a DataFrame) with at least ``TRIAL_COLUMNS``."""
        rows = rows.to_dict(orient="records") if hasattr(rows, "to_dict") else list(rows)
        for r in rows:
            missing = [c for c in TRIAL_COLUMNS if c not in r]
            if missing:
                raise ValueError(f"trial row lacks {', '.join(missing)}: {r}")
        self.trials.extend(rows)

    def save(self) -> Path:
        """Write ``results/<chapter>.json`` (and the trials CSV, if any) atomically."""
        out_dir = results_dir()
        payload = {"provenance": self.provenance(), "figures": self.figures, "comparisons": self.comparisons}
        path = atomic_write_text(
            out_dir / f"{self.chapter}.json", json.dumps(payload, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        )
        if self.trials:
            import pandas as pd

            frame = pd.DataFrame(self.trials)
            extra = [c for c in frame.columns if c not in TRIAL_COLUMNS]
            frame = frame[list(TRIAL_COLUMNS) + extra]
            atomic_write(out_dir / f"{self.chapter}.trials.csv", lambda tmp: frame.to_csv(tmp, index=False))
        return path


class MissingResultError(KeyError):
    pass


def load_results(chapter: str) -> dict:
    path = results_dir() / f"{chapter}.json"
    if not path.exists():
        raise MissingResultError(
            f"{path} does not exist: execute the chapter first (`python -m lcreport run {chapter}`)"
        )
    return json.loads(path.read_text())


def figure(chapter: str, key: str):
    """One recorded figure's value, or a clear error naming the chapter and key."""
    figures = load_results(chapter)["figures"]
    if key not in figures:
        raise MissingResultError(
            f"results/{chapter}.json holds no figure {key!r}; it has: {', '.join(sorted(figures))}"
        )
    return figures[key]["value"]
