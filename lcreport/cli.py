"""Command line: ``python -m lcreport {run,build,check,fetch,profiles}``.

``run`` executes chapter notebooks with papermill in ``_toc.yml`` order and writes the
outputs back in place; ``build`` makes the static site with jupyter-book;
``check`` says whether the committed notebooks and results are a clean cpu-profile
run of the current code; ``fetch`` downloads the offline assets.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from .paths import ROOT
from .profiles import PROFILES, get_profile


def toc_docnames(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document of the table of contents in reading order, read by jupyter-book's own parser."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    site = parse_toc_yaml(toc_path)
    order: list[str] = []

    def visit(doc: str) -> None:
        order.append(doc)
        for tree in site[doc].subtrees:
            for item in tree.items:
                if isinstance(item, str):
                    visit(item)

    visit(site.root.docname)
    return order


def toc_notebooks(toc_path: Path = ROOT / "_toc.yml") -> list[Path]:
    """Every ``notebooks/*.ipynb`` named in the table of contents, in reading order."""
    paths = [ROOT / f"{doc}.ipynb" for doc in toc_docnames(toc_path)]
    return [p for p in paths if p.parent.name == "notebooks" and p.exists()]


def chapter_name(path: Path) -> str:
    """``notebooks/01_complexity.ipynb`` → ``complexity``."""
    stem = path.stem
    return stem.split("_", 1)[1] if "_" in stem and stem.split("_", 1)[0].isdigit() else stem


def select_notebooks(chapters: list[str]) -> list[Path]:
    notebooks = toc_notebooks()
    if not chapters:
        return notebooks
    by_name = {chapter_name(p): p for p in notebooks} | {p.stem: p for p in notebooks}
    unknown = [c for c in chapters if c not in by_name]
    if unknown:
        raise SystemExit(f"unknown chapter(s) {unknown}: choose from {sorted(chapter_name(p) for p in notebooks)}")
    return [by_name[c] for c in chapters]


def cmd_run(args) -> int:
    import os

    import papermill as pm

    from .device import resolve_device
    from .profiles import PROFILE_OVERRIDE_VAR

    profile = get_profile(args.profile).name
    resolve_device(args.device)  # fail before executing anything
    os.environ.pop(PROFILE_OVERRIDE_VAR, None)  # the --profile asked for is the one that runs
    for nb in select_notebooks(args.chapters):
        print(f"[lcreport] executing {nb.relative_to(ROOT)} (profile={profile}, device={args.device})", flush=True)
        pm.execute_notebook(str(nb), str(nb), parameters={"profile": profile, "device": args.device, "seed": args.seed},
                            kernel_name="python3", cwd=str(nb.parent), progress_bar=False, log_output=args.verbose)
    return 0


def cmd_build(args) -> int:
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb if jb.exists() else "jupyter-book"), "build", str(ROOT), "--builder", "html",
           "-W", "-n", "--keep-going"]
    if args.all:
        cmd.append("--all")
    print("[lcreport]", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT)


def notebook_problems(nb_path: Path, expected_profile: str = "cpu") -> list[str]:
    nb = json.loads(nb_path.read_text())
    problems = []
    params = nb.get("metadata", {}).get("papermill", {}).get("parameters")
    if params is None:
        problems.append("was not executed by papermill (no papermill metadata)")
    elif params.get("profile") != expected_profile:
        problems.append(f"holds a {params.get('profile')!r}-profile run, not {expected_profile!r}")
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        problems.append(f"has {len(errors)} error output(s)")
    unexecuted = [c for c in nb["cells"] if c["cell_type"] == "code" and c.get("source") and c.get("execution_count") is None]
    if unexecuted:
        problems.append(f"has {len(unexecuted)} unexecuted code cell(s)")
    return problems


def cmd_check(args) -> int:
    from .data.asset_table import ASSETS
    from .data.assets import require
    from .results import load_results, source_hash

    failures, warnings = [], []
    for name in ASSETS:
        try:
            require(name)
        except Exception as e:  # noqa: BLE001 - report every problem, not the first
            failures.append(str(e))
    current = source_hash()
    for nb in toc_notebooks():
        rel = nb.relative_to(ROOT)
        failures += [f"{rel} {p}" for p in notebook_problems(nb)]
        try:
            prov = load_results(chapter_name(nb))["provenance"]
        except Exception as e:  # noqa: BLE001
            failures.append(str(e))
            continue
        if prov.get("profile") != "cpu":
            failures.append(f"results/{chapter_name(nb)}.json comes from profile {prov.get('profile')!r}, not cpu")
        if prov.get("lcreport_source_hash") != current:
            msg = (f"results/{chapter_name(nb)}.json was made by lcreport source {prov.get('lcreport_source_hash')}, "
                   f"the code is now {current}: re-execute with `python -m lcreport run {chapter_name(nb)}` if a result could move")
            (failures if args.strict else warnings).append(msg)
    from .claims import load_figures, problems as claim_problems

    failures += [f"claims registry: {p}" for p in claim_problems(load_figures())]
    for w in warnings:
        print("warning:", w)
    for f in failures:
        print("FAIL:", f)
    print(f"[lcreport] check: {len(failures)} failure(s), {len(warnings)} warning(s)")
    return 1 if failures else 0


def cmd_fetch(args) -> int:
    from .data.asset_table import ASSETS
    from .data.assets import fetch

    for name in args.assets or list(ASSETS):
        path = fetch(name, force=args.force)
        print(f"[lcreport] {name}: ok ({path})")
    return 0


def cmd_profiles(args) -> int:
    for p in PROFILES.values():
        print(f"{p.name:6s} {p.description}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lcreport", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute chapter notebooks with papermill, outputs in place")
    run.add_argument("chapters", nargs="*", help="chapter names (default: all, in _toc.yml order)")
    run.add_argument("--profile", default="cpu", help=f"one of {', '.join(PROFILES)} (default cpu)")
    run.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("-v", "--verbose", action="store_true", help="stream cell output")
    run.set_defaults(func=cmd_run)

    build = sub.add_parser("build", help="build the static site with jupyter-book (warnings are errors)")
    build.add_argument("--all", action="store_true", help="rebuild every page")
    build.set_defaults(func=cmd_build)

    check = sub.add_parser("check", help="are the committed notebooks a clean cpu run of this code?")
    check.add_argument("--strict", action="store_true", help="stale results (older code) fail too")
    check.set_defaults(func=cmd_check)

    fetch = sub.add_parser("fetch", help="fetch and verify the offline assets")
    fetch.add_argument("assets", nargs="*")
    fetch.add_argument("--force", action="store_true")
    fetch.set_defaults(func=cmd_fetch)

    sub.add_parser("profiles", help="list the run profiles").set_defaults(func=cmd_profiles)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, KeyError, FileNotFoundError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
