"""Do the published numbers come back? ``python -m lcreport verify [chapter …]``.

Re-executes chapters into a temporary folder (papermill, the profile and seed recorded in the
committed results) and compares every number of the fresh ``results/<chapter>.json`` with the
committed one: a figure with a 95% interval (``ci95``) may move within it; any other number
within a relative tolerance, by default ``DEFAULT_REL_TOL`` or as ``tolerances.yaml`` declares for
volatile figures (timings, memory peaks); text, true/false and integers (counts) must come back exactly unless a
rule names them. The table
printed lists every number that is not bit-identical; the exit status is 1 if one moved beyond
what is allowed, or a figure appeared or disappeared.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import tempfile
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

#: the chapters ``make test`` verifies: under a minute each on the cpu profile
DEFAULT_CHAPTERS = ("complexity", "tokens")
#: the declared tolerances, as data
TOLERANCES_FILE = Path(__file__).with_name("tolerances.yaml")
#: a rule's word for "measured on this machine: shown, never judged"
VOLATILE = "volatile"
#: below this absolute difference two numbers are equal (float noise around zero)
ABS_TOL = 1e-12

#: statuses that pass / fail
PASSING = ("same", "within ci95", "within tolerance", VOLATILE)
FAILING = ("MOVED", "gone", "new")


def load_tolerances(path: Path = TOLERANCES_FILE) -> dict:
    """``{"default": rel, "chapters": {chapter: {pattern: rel | "volatile"}}}``, checked."""
    import yaml

    def tolerance(value, where: str):
        if value == VOLATILE and where != "default":
            return value
        try:  # YAML 1.1 reads 1e-6 (no dot) as text
            rel = float(value)
        except (TypeError, ValueError):
            rel = -1.0
        if isinstance(value, bool) or not rel >= 0:
            extra = f" or {VOLATILE!r}" if where != "default" else ""
            raise ValueError(f"{path.name}: {where}: a relative tolerance ≥ 0{extra}, not {value!r}")
        return rel

    table = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    chapters = {
        chapter: {pattern: tolerance(rule, f"{chapter}.{pattern}") for pattern, rule in (rules or {}).items()}
        for chapter, rules in (table.get("chapters") or {}).items()
    }
    return {"default": tolerance(table.get("default"), "default"), "chapters": chapters}


DEFAULT_REL_TOL = load_tolerances()["default"]


# --- flattening: every number of a results file gets a name -------------------------------------


def _record_labels(items: list) -> list[str]:
    """Records (dicts) are named by their text fields, or text and integer fields, when that names
    each one uniquely (so a reordered table still lines up); anything else by its position."""
    if items and all(isinstance(x, dict) for x in items):
        for kinds in ((str,), (str, int)):
            labels = [
                ",".join(f"{k}={v}" for k, v in sorted(x.items()) if isinstance(v, kinds) and not isinstance(v, bool))
                for x in items
            ]
            if all(labels) and len(set(labels)) == len(labels):
                return labels
    return [str(i) for i in range(len(items))]


def flatten(value, name: str) -> dict[str, object]:
    """``{"a": [{"k": "x", "v": 1.0}]}`` under ``f`` → ``{"f.a[k=x].v": 1.0, "f.a[k=x].k": "x"}``."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(flatten(v, f"{name}.{k}"))
        return out
    if isinstance(value, list):
        out = {}
        for label, v in zip(_record_labels(value), value):
            out.update(flatten(v, f"{name}[{label}]"))
        return out
    return {name: value}


@dataclass(frozen=True)
class Entry:
    value: object
    ci95: tuple[float, float] | None = None


def entries(results: dict) -> dict[str, Entry]:
    """Every leaf of ``figures`` and ``comparisons`` by name; a figure's (or a comparison's ``diff``)
    interval goes with it. Provenance is not compared (it says which run, not what it found)."""
    out: dict[str, Entry] = {}
    for name, fig in (results.get("figures") or {}).items():
        ci = tuple(fig["ci95"]) if fig.get("ci95") else None
        for key, leaf in flatten(fig.get("value"), name).items():
            out[key] = Entry(leaf, ci if key == name else None)
        if "n" in fig:
            out[f"{name}.n"] = Entry(fig["n"])
    for comp in results.get("comparisons") or []:
        base = f"comparisons.{comp.get('id')}"
        for field, value in comp.items():
            if field in ("id", "ci95"):
                continue
            ci = tuple(comp["ci95"]) if field == "diff" and comp.get("ci95") else None
            for key, leaf in flatten(value, f"{base}.{field}").items():
                out[key] = Entry(leaf, ci)
    return out


# --- judging one number ---------------------------------------------------------------------------


def rule_for(key: str, rules: dict):
    """The first pattern of the chapter's rules that matches the flattened name (or None)."""
    for pattern, rule in rules.items():
        if fnmatchcase(key, pattern):
            return rule
    return None


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


@dataclass(frozen=True)
class Row:
    key: str
    committed: object
    fresh: object
    allowed: str
    status: str

    @property
    def ok(self) -> bool:
        return self.status in PASSING


def judge(key: str, old: Entry | None, new: Entry | None, rule=None, default_rel: float = DEFAULT_REL_TOL) -> Row:
    """One number: the same, within its ci95, within its tolerance, volatile, or moved."""
    if new is None:
        return Row(key, old.value, None, "", "gone")
    if old is None:
        return Row(key, None, new.value, "", "new")
    a, b = old.value, new.value
    if rule == VOLATILE:
        return Row(key, a, b, VOLATILE, "same" if a == b else VOLATILE)
    rel = default_rel if rule is None else float(rule)
    allowed = f"ci95 [{old.ci95[0]:.4g}, {old.ci95[1]:.4g}] or ±{rel:.0e}" if old.ci95 else f"±{rel:.0e}"
    if a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)):
        return Row(key, a, b, allowed, "same")
    if _is_number(a) and _is_number(b) and isinstance(a, int) and isinstance(b, int) and rule is None and not old.ci95:
        return Row(key, a, b, "exact (a count)", "MOVED")
    if _is_number(a) and _is_number(b):
        if old.ci95 and old.ci95[0] <= b <= old.ci95[1]:
            return Row(key, a, b, allowed, "within ci95")
        if math.isclose(a, b, rel_tol=rel, abs_tol=ABS_TOL):
            return Row(key, a, b, allowed, "within tolerance")
    return Row(key, a, b, allowed if _is_number(a) and _is_number(b) else "exact", "MOVED")


def compare(committed: dict, fresh: dict, rules: dict | None = None, default_rel: float = DEFAULT_REL_TOL) -> list[Row]:
    """Every number of two results files of one chapter, judged (see ``judge``), in the committed order."""
    rules = rules or {}
    old, new = entries(committed), entries(fresh)
    keys = list(old) + [k for k in new if k not in old]
    return [judge(k, old.get(k), new.get(k), rule_for(k, rules), default_rel) for k in keys]


def _fmt(x) -> str:
    if _is_number(x):
        return f"{x:.6g}"
    text = "—" if x is None else str(x)
    return text if len(text) <= 40 else text[:39] + "…"


def table(rows: list[Row]) -> str:
    """What moved (every row that is not bit-identical), as a plain-text table."""
    from tabulate import tabulate

    shown = [r for r in rows if r.status != "same"]
    if not shown:
        return "(every number came back bit-identical)"
    shown.sort(key=lambda r: (r.ok, r.key))  # failures first
    rel = []
    for r in shown:
        moved = ""
        if _is_number(r.committed) and _is_number(r.fresh) and r.committed:
            moved = f"{(r.fresh - r.committed) / abs(r.committed):+.2e}"
        rel.append(moved)
    return tabulate(
        [[r.key, _fmt(r.committed), _fmt(r.fresh), m, r.allowed, r.status] for r, m in zip(shown, rel)],
        headers=["figure", "committed", "re-executed", "relative change", "allowed", "status"],
        disable_numparse=True,
    )


def summary(rows: list[Row]) -> str:
    counts = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    order = PASSING + FAILING
    return ", ".join(f"{counts[s]} {s}" for s in order if s in counts) or "no numbers"


# --- the command --------------------------------------------------------------------------------


def verify_chapters(
    notebooks: list[Path],
    *,
    against: Path,
    profile: str | None = None,
    device: str = "cpu",
    timeout: int | None = None,
    keep: Path | None = None,
    stream: bool = False,
    tolerances: dict | None = None,
    out=None,
) -> int:
    """Re-execute ``notebooks`` (each on the profile and seed of its committed results, unless
    ``profile`` is given) into a temporary folder, or ``keep``, and compare. Returns the exit status."""
    from .execute import CELL_TIMEOUT_S, ChapterFailed, chapter_name, run_chapters

    out = out or sys.stdout
    tolerances = tolerances or load_tolerances()
    chapters = [chapter_name(nb) for nb in notebooks]
    committed = {}
    for ch in chapters:
        path = against / f"{ch}.json"
        if not path.exists():
            print(f"error: {path} does not exist: nothing to verify {ch} against", file=sys.stderr)
            return 2
        committed[ch] = json.loads(path.read_text(encoding="utf-8"))

    failed = False
    with tempfile.TemporaryDirectory(prefix="lcreport-verify-") as tmp:
        work = keep or Path(tmp)
        results = work / "results"
        results.mkdir(parents=True, exist_ok=True)
        # the other chapters' committed results, for a chapter that reads them (the critique);
        # never the verified chapters' own, so a chapter that writes nothing cannot pass
        for src in against.glob("*"):
            if src.is_file() and not src.name.startswith(".") and src.name.split(".")[0] not in chapters:
                shutil.copyfile(src, results / src.name)
        for nb, ch in zip(notebooks, chapters):
            prov = committed[ch].get("provenance", {})
            prof = profile or prov.get("profile", "cpu")
            print(
                f"[lcreport] verify {ch}: re-executing on profile {prof}, device {device}, seed "
                f"{prov.get('seed', 0)}, against {against / (ch + '.json')}",
                file=out,
                flush=True,
            )
            try:
                run_chapters(
                    [nb],
                    out_notebooks=work / "notebooks",
                    out_results=results,
                    profile=prof,
                    device=device,
                    seed=int(prov.get("seed", 0)),
                    timeout=timeout if timeout is not None else CELL_TIMEOUT_S.get(prof),
                    stream=stream,
                    failed_dir=work / "failed",
                )
            except ChapterFailed as e:
                print(f"FAIL {ch}: {e}", file=out)
                failed = True
                continue
            fresh_path = results / f"{ch}.json"
            if not fresh_path.exists():
                print(f"FAIL {ch}: the re-executed chapter wrote no {fresh_path.name}", file=out)
                failed = True
                continue
            rows = compare(
                committed[ch],
                json.loads(fresh_path.read_text(encoding="utf-8")),
                tolerances["chapters"].get(ch, {}),
                tolerances["default"],
            )
            bad = [r for r in rows if not r.ok]
            print(f"\n{ch}: {len(rows)} numbers: {summary(rows)}", file=out)
            print(table(rows), file=out)
            print(f"{ch}: {'MOVED beyond tolerance' if bad else 'reproduced within tolerance'}\n", file=out, flush=True)
            failed |= bool(bad)
    print(f"[lcreport] verify: {'FAILED' if failed else 'ok'} ({', '.join(chapters)})", file=out)
    return 1 if failed else 0
