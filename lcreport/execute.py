"""Executing chapters with papermill: the reading order from ``_toc.yml``, one chapter at a time into a
temporary folder, promoted into place only when every cell succeeded, with progress on the terminal.

``cli run`` and ``verify`` both execute through ``run_chapters``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from .paths import ROOT


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


def execute_chapter(
    nb: Path,
    out_nb: Path,
    results_dest: Path,
    *,
    profile: str,
    device: str = "auto",
    seed: int = 0,
    timeout: int | None = None,
    stream: bool = True,
    failed_dir: Path | None = None,
) -> float:
    """Execute one notebook with papermill; only on success do its notebook and results reach their places.

    The notebook runs into a temporary folder, with ``LCREPORT_RESULTS`` pointing at a staged copy of
    ``results_dest`` (so a chapter that reads other chapters' results finds them). If every cell
    succeeds, the executed notebook is moved to ``out_nb`` and the results it wrote into
    ``results_dest``, each file atomically; if a cell fails, times out or the run is interrupted,
    nothing outside the temporary folder changes (the failed notebook is kept in ``failed_dir``, if
    given, to read the error). Returns the wall time in seconds.
    """
    import papermill  # noqa: F401 (missing, it fails the run here, not as the chapter's failure)

    from .files import atomic_write

    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"lcreport-{nb.stem}-") as tmp:
        staged_nb = Path(tmp) / nb.name
        staged_results = _stage_results(results_dest, Path(tmp) / "results")
        with _environment(_kernel_env(staged_results)):
            _execute_or_fail(
                nb,
                staged_nb,
                t0=t0,
                failed_dir=failed_dir,
                profile=profile,
                device=device,
                seed=seed,
                timeout=timeout,
                stream=stream,
            )
        _promote(staged_results, results_dest)
        atomic_write(out_nb, lambda t: shutil.copyfile(staged_nb, t))
    return time.monotonic() - t0


def _stage_results(results_dest: Path, staged: Path) -> Path:
    """A copy of ``results_dest`` (without hidden files) at ``staged``, or an empty folder where it has none."""
    if results_dest.is_dir():
        shutil.copytree(results_dest, staged, ignore=shutil.ignore_patterns(".*"))
    else:
        staged.mkdir()
    return staged


def _kernel_env(staged_results: Path) -> dict[str, str | None]:
    """The environment variables the kernel inherits (None: unset)."""
    from .profiles import PROFILE_OVERRIDE_VAR

    return {
        "LCREPORT_RESULTS": str(staged_results),
        # tqdm.auto (imported by libraries) finds no ipywidgets in a papermill kernel, warns,
        # and falls back to the terminal bars that the run streams anyway
        "PYTHONWARNINGS": ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), "ignore:IProgress not found"])),
        # the profile passed here is the one that runs (nbval's override is not for us)
        PROFILE_OVERRIDE_VAR: None,
    }


def _set_environ(values: dict[str, str | None]) -> None:
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@contextlib.contextmanager
def _environment(changes: dict[str, str | None]):
    """``os.environ`` with ``changes`` (None: unset) inside the block, as it was before once it ends, however it
    ends: the one place the process environment is saved and restored."""
    saved = {k: os.environ.get(k) for k in changes}
    _set_environ(changes)
    try:
        yield
    finally:
        _set_environ(saved)


def _execute_or_fail(nb: Path, staged_nb: Path, *, t0: float, failed_dir: Path | None, **run) -> None:
    """``_papermill`` ``nb`` into ``staged_nb``; on any failure or interruption, keep the failed notebook in
    ``failed_dir`` (if given), and turn an error (not an interruption) into ``ChapterFailed``."""
    try:
        _papermill(nb, staged_nb, t0=t0, **run)
    except BaseException as e:
        if failed_dir is not None and staged_nb.exists():
            failed_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staged_nb, failed_dir / nb.name)
        if isinstance(e, Exception):
            where = f"; the failed notebook is {failed_dir / nb.name}" if failed_dir and staged_nb.exists() else ""
            raise ChapterFailed(
                f"{nb.name} failed after {_fmt_elapsed(time.monotonic() - t0)}: "
                f"{type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"
                f"{where}"
            ) from e
        raise


def _papermill(
    nb: Path, staged_nb: Path, *, t0: float, profile: str, device: str, seed: int, timeout: int | None, stream: bool
) -> None:
    """Run ``nb`` with its parameters into ``staged_nb`` (the kernel in ``nb``'s folder); with ``stream``, the
    chapter's output and each code cell as it starts go to the terminal."""
    import papermill as pm

    pm.execute_notebook(
        str(nb),
        str(staged_nb),
        parameters={"profile": profile, "device": device, "seed": seed},
        engine_name=_papermill_engine(),
        kernel_name="python3",
        cwd=str(nb.parent),
        progress_bar=not stream,
        log_output=False,
        stdout_file=sys.stderr if stream else None,
        stderr_file=sys.stderr if stream else None,
        execution_timeout=timeout,
        on_cell=_cell_announcer(nb.stem, t0) if stream else None,
        config=_kernel_config(),
    )


def _cell_announcer(name: str, t0: float):
    """papermill's ``on_cell``: says which code cell of chapter ``name`` starts, and the time since ``t0``."""

    def on_cell(executing_nb, cell, index):
        if cell.get("cell_type") != "code":
            return
        code = [i for i, c in enumerate(executing_nb.cells) if c.get("cell_type") == "code"]
        _say(
            f"{name} · cell {code.index(index) + 1}/{len(code)} · {_fmt_elapsed(time.monotonic() - t0)} · "
            f"{_cell_title(cell)}"
        )

    return on_cell


@contextlib.contextmanager
def _sigterm_unwinds():
    """SIGTERM (a CI job cancelled, ``timeout``) unwinds like Ctrl-C inside the block: kernels shut down, temp
    files go; the handler it replaced is back once the block ends (off the main thread, where signals cannot be
    handled, nothing changes)."""

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler) if threading.current_thread() is threading.main_thread() else None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def run_chapters(
    notebooks: list[Path],
    *,
    out_notebooks: Path,
    out_results: Path,
    profile: str,
    device: str = "auto",
    seed: int = 0,
    timeout: int | None = None,
    stream: bool = True,
    failed_dir: Path | None = None,
) -> list[tuple[str, float]]:
    """Execute ``notebooks`` in order (see ``execute_chapter``); stop at the first failure."""
    times = []
    with _sigterm_unwinds():
        for i, nb in enumerate(notebooks, 1):
            _say(
                f"chapter {i}/{len(notebooks)}: {nb.name} (profile={profile}, device={device}, "
                f"cell timeout {f'{timeout} s' if timeout else 'none'}) → {out_notebooks / nb.name}"
            )
            seconds = execute_chapter(
                nb,
                out_notebooks / nb.name,
                out_results,
                profile=profile,
                device=device,
                seed=seed,
                timeout=timeout,
                stream=stream,
                failed_dir=failed_dir,
            )
            times.append((nb.stem, seconds))
            _say(f"{nb.name} done in {_fmt_elapsed(seconds)}")
    return times
