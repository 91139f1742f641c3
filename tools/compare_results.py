"""What moved between two versions of ``results/``: verdicts, and paired comparisons whose interval changed side.

    python tools/compare_results.py f9aeac4            # that commit's results/ against the working tree's
    python tools/compare_results.py f9aeac4 HEAD       # two commits

Each verdict is recomputed by the current rules from each version's results (``LCREPORT_RESULTS``), so a verdict
that moved did so because a figure moved. A comparison "changes side" when its 95% interval excluded zero on one
side in one version and not in the other.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ("complexity", "tokens", "bert", "longrope", "longrope2")
VERDICTS = (
    "import json; from lcreport.claims.ledger import ledger, load_figures; "
    "t = ledger(load_figures()); print(json.dumps(dict(zip(t['id'], t['verdict']))))"
)


def results_of(rev: str | None, into: Path) -> Path:
    """``results/`` at ``rev`` written to ``into`` (the working tree's folder when ``rev`` is None)."""
    if rev is None:
        return ROOT / "results"
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", rev, "results/"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    for name in names:
        blob = subprocess.run(["git", "show", f"{rev}:{name}"], cwd=ROOT, check=True, capture_output=True).stdout
        (into / Path(name).name).write_bytes(blob)
    return into


def verdicts(results: Path) -> dict:
    env = dict(os.environ, LCREPORT_RESULTS=str(results))
    out = subprocess.run(
        [sys.executable, "-c", VERDICTS], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def side(comparison: dict) -> str:
    lo, hi = comparison["ci95"]
    return "above 0" if lo > 0 else "below 0" if hi < 0 else "includes 0"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="a git revision")
    parser.add_argument("new", nargs="?", help="a git revision (default: the working tree)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        old, new = results_of(args.old, Path(a)), results_of(args.new, Path(b))
        vo, vn = verdicts(old), verdicts(new)
        moved = {k: (vo.get(k), vn.get(k)) for k in sorted(set(vo) | set(vn)) if vo.get(k) != vn.get(k)}
        print(f"verdicts: {len(vn)}, moved: {len(moved)}")
        for k, (a_, b_) in moved.items():
            print(f"  {k}: {a_} -> {b_}")
        for ch in CHAPTERS:
            co = {c["id"]: c for c in json.loads((old / f"{ch}.json").read_text()).get("comparisons", [])}
            cn = {c["id"]: c for c in json.loads((new / f"{ch}.json").read_text()).get("comparisons", [])}
            same = sum(1 for k in co if k in cn and co[k]["diff"] == cn[k]["diff"])
            changed = [k for k in co if k in cn and side(co[k]) != side(cn[k])]
            print(f"{ch}: {len(cn)} comparisons, {same} identical, {len(changed)} changed side")
            for k in changed:
                print(f"  {k}: {side(co[k])} ({co[k]['diff']:+.4g}) -> {side(cn[k])} ({cn[k]['diff']:+.4g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
