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
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .paths import ROOT, results_dir
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


#: papermill's ``execution_timeout``: the seconds one cell may run before the chapter fails, per profile.
#: The longest cell of a cpu run trains the base Llama from a cold cache (about 25 minutes on 2 cores).
CELL_TIMEOUT_S = {"smoke": 15 * 60, "cpu": 3 * 3600, "gpu": 3 * 3600}


def _fmt_elapsed(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _say(message: str) -> None:
    """Progress goes to stderr: the terminal sees it, redirected results (stdout) do not."""
    print(f"[lcreport] {message}", file=sys.stderr, flush=True)


def _cell_title(cell) -> str:
    """The first line of a cell that says something (a comment or code, not an nbval marker)."""
    for line in cell.get("source", "").splitlines():
        line = line.strip()
        if line and not line.startswith("# NBVAL"):
            return line[:70]
    return ""


def _papermill_engine():
    """papermill's nbclient engine, announcing each code cell (chapter, cell i/n, elapsed time)."""
    from papermill.engines import NBClientEngine, papermill_engines

    class ChapterEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, on_cell=None, **kwargs):
            if on_cell is not None:
                start = nb_man.cell_start

                def cell_start(cell, cell_index=None, **kw):
                    on_cell(nb_man.nb, cell, cell_index)
                    return start(cell, cell_index, **kw)

                nb_man.cell_start = cell_start
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register("lcreport", ChapterEngine)
    return "lcreport"


def _kernel_config():
    """Kernel transport: CurveZMQ-encrypted where the kernel supports it, else IPC (no TCP at all).

    ipykernel warns "Kernel is running over TCP without encryption" otherwise, once per chapter.
    """
    import zmq
    from traitlets.config import Config

    if zmq.has("curve"):
        return Config({"KernelManager": {"transport_encryption": "auto"}})
    return Config({"KernelManager": {"transport": "ipc"}})


def _promote(staged: Path, dest: Path) -> list[Path]:
    """Move every file of ``staged`` that is new or changed into ``dest``, each atomically."""
    from .files import atomic_write

    moved = []
    for src in sorted(p for p in staged.rglob("*") if p.is_file() and not p.name.startswith(".")):
        target = dest / src.relative_to(staged)
        if target.exists() and target.read_bytes() == src.read_bytes():
            continue
        atomic_write(target, lambda tmp, src=src: shutil.copyfile(src, tmp))
        moved.append(target)
    return moved


class ChapterFailed(RuntimeError):
    pass


def execute_chapter(nb: Path, out_nb: Path, results_dest: Path, *, profile: str, device: str = "auto",
                    seed: int = 0, timeout: int | None = None, stream: bool = True,
                    failed_dir: Path | None = None) -> float:
    """Execute one notebook with papermill; only on success do its notebook and results reach their places.

    The notebook runs into a temporary folder, with ``LCREPORT_RESULTS`` pointing at a staged copy of
    ``results_dest`` (so a chapter that reads other chapters' results finds them). If every cell
    succeeds, the executed notebook is moved to ``out_nb`` and the results it wrote into
    ``results_dest``, each file atomically; if a cell fails, times out or the run is interrupted,
    nothing outside the temporary folder changes (the failed notebook is kept in ``failed_dir``, if
    given, to read the error). Returns the wall time in seconds.
    """
    import papermill as pm

    from .files import atomic_write
    from .profiles import PROFILE_OVERRIDE_VAR

    t0 = time.monotonic()
    name = nb.stem

    def on_cell(executing_nb, cell, index):
        if cell.get("cell_type") != "code":
            return
        code = [i for i, c in enumerate(executing_nb.cells) if c.get("cell_type") == "code"]
        _say(f"{name} · cell {code.index(index) + 1}/{len(code)} · {_fmt_elapsed(time.monotonic() - t0)} · "
             f"{_cell_title(cell)}")

    with tempfile.TemporaryDirectory(prefix=f"lcreport-{name}-") as tmp:
        staged_nb = Path(tmp) / nb.name
        staged_results = Path(tmp) / "results"
        if results_dest.is_dir():
            shutil.copytree(results_dest, staged_results, ignore=shutil.ignore_patterns(".*"))
        else:
            staged_results.mkdir()
        kernel_env = {"LCREPORT_RESULTS": str(staged_results),
                      # tqdm.auto (imported by libraries) finds no ipywidgets in a papermill kernel, warns,
                      # and falls back to the terminal bars that the run streams anyway
                      "PYTHONWARNINGS": ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"),
                                                               "ignore:IProgress not found"])),
                      # the profile passed here is the one that runs (nbval's override is not for us)
                      PROFILE_OVERRIDE_VAR: None}
        saved = {k: os.environ.get(k) for k in kernel_env}
        for k, v in kernel_env.items():  # the kernel inherits them
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        try:
            pm.execute_notebook(
                str(nb), str(staged_nb), parameters={"profile": profile, "device": device, "seed": seed},
                engine_name=_papermill_engine(), kernel_name="python3", cwd=str(nb.parent),
                progress_bar=not stream, log_output=False,
                stdout_file=sys.stderr if stream else None, stderr_file=sys.stderr if stream else None,
                execution_timeout=timeout, on_cell=on_cell if stream else None, config=_kernel_config())
        except BaseException as e:
            if failed_dir is not None and staged_nb.exists():
                failed_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(staged_nb, failed_dir / nb.name)
            if isinstance(e, Exception):
                where = f"; the failed notebook is {failed_dir / nb.name}" if failed_dir and staged_nb.exists() else ""
                raise ChapterFailed(f"{nb.name} failed after {_fmt_elapsed(time.monotonic() - t0)}: "
                                    f"{type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"
                                    f"{where}") from e
            raise
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        _promote(staged_results, results_dest)
        atomic_write(out_nb, lambda t: shutil.copyfile(staged_nb, t))
    return time.monotonic() - t0


def _terminate_gracefully():
    """SIGTERM (a CI job cancelled, ``timeout``) unwinds like Ctrl-C: kernels shut down, temp files go.
    Returns the handler it replaced (None off the main thread, where signals cannot be handled)."""
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    if threading.current_thread() is threading.main_thread():
        return signal.signal(signal.SIGTERM, handler)
    return None


def run_chapters(notebooks: list[Path], *, out_notebooks: Path, out_results: Path, profile: str,
                 device: str = "auto", seed: int = 0, timeout: int | None = None, stream: bool = True,
                 failed_dir: Path | None = None) -> list[tuple[str, float]]:
    """Execute ``notebooks`` in order (see ``execute_chapter``); stop at the first failure."""
    previous = _terminate_gracefully()
    times = []
    try:
        for i, nb in enumerate(notebooks, 1):
            _say(f"chapter {i}/{len(notebooks)}: {nb.name} (profile={profile}, device={device}, "
                 f"cell timeout {f'{timeout} s' if timeout else 'none'}) → {out_notebooks / nb.name}")
            seconds = execute_chapter(nb, out_notebooks / nb.name, out_results, profile=profile, device=device,
                                      seed=seed, timeout=timeout, stream=stream, failed_dir=failed_dir)
            times.append((nb.stem, seconds))
            _say(f"{nb.name} done in {_fmt_elapsed(seconds)}")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return times


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
        raise SystemExit("say where the executed notebooks go: --output-dir DIR (a separate folder), "
                         "or --in-place to replace the published notebooks/ and results/ (what `make book` does)")
    os.environ.pop(PROFILE_OVERRIDE_VAR, None)  # the --profile asked for is the one that runs
    timeout = args.timeout if args.timeout is not None else CELL_TIMEOUT_S.get(profile)
    timeout = timeout or None  # 0: no limit
    try:
        times = run_chapters(notebooks, out_notebooks=out_notebooks, out_results=out_results, profile=profile,
                             device=args.device, seed=args.seed, timeout=timeout, stream=not args.quiet,
                             failed_dir=failed_dir)
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
    return 0


def source_date_epoch() -> str | None:
    """The time of the last commit (seconds), or None when the tree holds uncommitted changes to the
    book's content: the site's "last updated" date is then the build's."""
    try:
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "notebooks", "results", "book", "lcreport",
                                "_config.yml", "_toc.yml"], cwd=ROOT, capture_output=True, text=True, check=True)
        if dirty.stdout.strip():
            return None
        return subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


def cmd_build(args) -> int:
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb if jb.exists() else "jupyter-book"), "build", str(ROOT), "--builder", "html",
           "-W", "-n", "--keep-going"]
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
    return verify.verify_chapters(notebooks, against=against, profile=args.profile, device=args.device,
                                  timeout=args.timeout, keep=Path(args.keep).resolve() if args.keep else None,
                                  stream=args.verbose)


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
                   f"the code is now {current}: re-execute with `python -m lcreport run --in-place {chapter_name(nb)}` if a result could move")
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

    run = sub.add_parser("run", help="execute chapter notebooks with papermill (into --output-dir, or --in-place)")
    run.add_argument("chapters", nargs="*", help="chapter names (default: all, in _toc.yml order)")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--output-dir", metavar="DIR",
                       help="write the executed notebooks to DIR/notebooks and the results to DIR/results")
    where.add_argument("--in-place", action="store_true",
                       help="replace the published notebooks/ and results/ (each chapter only once it succeeded)")
    run.add_argument("--profile", default="cpu", help=f"one of {', '.join(PROFILES)} (default cpu)")
    run.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--timeout", type=int, metavar="SECONDS",
                     help="papermill's execution timeout: the longest one cell may run, 0 for none (default per "
                          f"profile: {', '.join(f'{k} {v} s' for k, v in CELL_TIMEOUT_S.items())})")
    run.add_argument("-q", "--quiet", action="store_true",
                     help="papermill's progress bar only, instead of each cell and the chapter's own output")
    run.set_defaults(func=cmd_run)

    ver = sub.add_parser("verify", help="re-execute chapters into a temporary folder and compare with results/")
    ver.add_argument("chapters", nargs="*", help="chapter names (default: the cheap ones, "
                     "lcreport.verify.DEFAULT_CHAPTERS)")
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
