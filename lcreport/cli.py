"""Command line: ``python -m lcreport {run,verify,build,check,fetch,profiles}``.

``run`` executes chapter notebooks with papermill in ``_toc.yml`` order, into a separate folder
(``--output-dir``) or, when asked (``--in-place``), over the published notebooks and results;
``verify`` re-executes chapters into a temporary folder and compares their figures with the
committed ``results/``; ``build`` makes the static site with jupyter-book; ``check`` says whether
the committed notebooks and results are a clean cpu-profile run of the current code; ``fetch``
downloads the offline assets.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from .execute import (  # noqa: F401
    CELL_TIMEOUT_S,
    ChapterFailed,
    _fmt_elapsed,
    _say,
    chapter_name,
    run_chapters,
    select_notebooks,
    toc_docnames,
    toc_notebooks,
)
from .paths import ROOT, results_dir
from .profiles import PROFILES, get_profile


def cmd_run(args) -> int:
    from .device import resolve_device
    from .profiles import PROFILE_OVERRIDE_VAR

    profile = get_profile(args.profile).name
    resolve_device(args.device)  # fail before executing anything
    notebooks = select_notebooks(args.chapters)
    if args.in_place:
        out_notebooks, out_results = ROOT / "notebooks", results_dir()
        failed_dir = ROOT / ".cache" / "failed"
    elif args.output_dir:
        out = Path(args.output_dir).resolve()
        out_notebooks, out_results, failed_dir = out / "notebooks", out / "results", out / "failed"
    else:
        raise SystemExit(
            "say where the executed notebooks go: --output-dir DIR (a separate folder), "
            "or --in-place to replace the published notebooks/ and results/ (what `make book` does)"
        )
    os.environ.pop(PROFILE_OVERRIDE_VAR, None)  # the --profile asked for is the one that runs
    timeout = args.timeout if args.timeout is not None else CELL_TIMEOUT_S.get(profile)
    timeout = timeout or None  # 0: no limit
    try:
        times = run_chapters(
            notebooks,
            out_notebooks=out_notebooks,
            out_results=out_results,
            profile=profile,
            device=args.device,
            seed=args.seed,
            timeout=timeout,
            stream=not args.quiet,
            failed_dir=failed_dir,
        )
    except ChapterFailed as e:
        _say(f"FAILED: {e}")
        _say("the notebooks and results of this chapter were left as they were")
        return 1
    except KeyboardInterrupt:
        _say("interrupted: the notebooks and results of the unfinished chapter were left as they were")
        return 130
    width = max(len(n) for n, _ in times)
    print(f"[lcreport] executed {len(times)} chapter(s) on profile {profile}:")
    for n, s in times:
        print(f"  {n:<{width}}  {_fmt_elapsed(s)}")
    print(f"  {'total':<{width}}  {_fmt_elapsed(sum(s for _, s in times))}")
    if any(n.endswith("critique") for n, _ in times):  # the chapter that costs the run: say when it broke a budget
        from .claims.summary import budget_warnings

        for line in budget_warnings(json.loads((out_results / "critique.json").read_text())["figures"]):
            _say(f"WARNING: {line}")
    return 0


def source_date_epoch() -> str | None:
    """The time of the last commit (seconds), or None when the tree holds uncommitted changes to the
    book's content: the site's "last updated" date is then the build's."""
    try:
        dirty = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--",
                "notebooks",
                "results",
                "book",
                "lcreport",
                "_config.yml",
                "_toc.yml",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        if dirty.stdout.strip():
            return None
        return (
            subprocess.run(
                ["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.CalledProcessError):
        return None


def cmd_build(args) -> int:
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [
        str(jb if jb.exists() else "jupyter-book"),
        "build",
        str(ROOT),
        "--builder",
        "html",
        "-W",
        "-n",
        "--keep-going",
    ]
    if args.all:
        cmd.append("--all")
    env = dict(os.environ)
    if "SOURCE_DATE_EPOCH" not in env and (epoch := source_date_epoch()):
        env["SOURCE_DATE_EPOCH"] = epoch  # Sphinx dates the pages by it (html_last_updated_fmt)
    print("[lcreport]", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT, env=env)


def cmd_verify(args) -> int:
    from . import verify

    against = Path(args.against).resolve() if args.against else results_dir()
    notebooks = select_notebooks(args.chapters or list(verify.DEFAULT_CHAPTERS))
    return verify.verify_chapters(
        notebooks,
        against=against,
        profile=args.profile,
        device=args.device,
        timeout=args.timeout,
        keep=Path(args.keep).resolve() if args.keep else None,
        stream=args.verbose,
    )


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
    unexecuted = [
        c for c in nb["cells"] if c["cell_type"] == "code" and c.get("source") and c.get("execution_count") is None
    ]
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
            msg = (
                f"results/{chapter_name(nb)}.json was made by lcreport source {prov.get('lcreport_source_hash')}, "
                f"the code is now {current}: re-execute with "
                f"`python -m lcreport run --in-place {chapter_name(nb)}` if a result could move"
            )
            (failures if args.strict else warnings).append(msg)
    from .claims import load_figures
    from .claims import problems as claim_problems

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

    run = sub.add_parser("run", help="execute chapter notebooks with papermill (into --output-dir, or --in-place)")
    run.add_argument("chapters", nargs="*", help="chapter names (default: all, in _toc.yml order)")
    where = run.add_mutually_exclusive_group()
    where.add_argument(
        "--output-dir",
        metavar="DIR",
        help="write the executed notebooks to DIR/notebooks and the results to DIR/results",
    )
    where.add_argument(
        "--in-place",
        action="store_true",
        help="replace the published notebooks/ and results/ (each chapter only once it succeeded)",
    )
    run.add_argument("--profile", default="cpu", help=f"one of {', '.join(PROFILES)} (default cpu)")
    run.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument(
        "--timeout",
        type=int,
        metavar="SECONDS",
        help="papermill's execution timeout: the longest one cell may run, 0 for none (default per "
        f"profile: {', '.join(f'{k} {v} s' for k, v in CELL_TIMEOUT_S.items())})",
    )
    run.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="papermill's progress bar only, instead of each cell and the chapter's own output",
    )
    run.set_defaults(func=cmd_run)

    ver = sub.add_parser("verify", help="re-execute chapters into a temporary folder and compare with results/")
    ver.add_argument(
        "chapters", nargs="*", help="chapter names (default: the cheap ones, lcreport.verify.DEFAULT_CHAPTERS)"
    )
    ver.add_argument("--against", metavar="DIR", help="the results to compare with (default: results/)")
    ver.add_argument("--profile", help="default: the profile recorded in the results compared with")
    ver.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    ver.add_argument("--timeout", type=int, metavar="SECONDS", help="papermill's cell timeout (default per profile)")
    ver.add_argument("--keep", metavar="DIR", help="keep the re-executed notebooks and results in DIR")
    ver.add_argument("-v", "--verbose", action="store_true", help="show each cell and the chapter's output")
    ver.set_defaults(func=cmd_verify)

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
