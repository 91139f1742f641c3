"""``lcreport run``: where executed notebooks go, and that a failed or interrupted run changes nothing.

Every test executes a tiny synthetic notebook (a real kernel, papermill), never a chapter.
"""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from lcreport import cli

PARAMS = 'profile = "cpu"\ndevice = "auto"\nseed = 0'
WRITE_RESULT = textwrap.dedent("""\
    import json, os, pathlib
    out = pathlib.Path(os.environ["LCREPORT_RESULTS"])
    out.mkdir(parents=True, exist_ok=True)
    (out / "toy.json").write_text(json.dumps({"figures": {"profile": {"value": profile}}}))
    print("wrote", profile)""")


def make_notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell(PARAMS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Toy"), params] + [nbformat.v4.new_code_cell(c) for c in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def book(tmp_path):
    """A committed toy book: notebooks/01_toy.ipynb and results/toy.json, in a git repository."""
    repo = tmp_path / "book"
    (repo / "results").mkdir(parents=True)
    (repo / "results" / "toy.json").write_text('{"figures": {"profile": {"value": "published"}}}\n')
    (repo / ".gitignore").write_text(".cache/\n")
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "t@example.org")
    git(repo, "config", "user.name", "t")
    return repo


def commit(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "published")


def run_in_place(repo: Path, nb: Path, **kw):
    return cli.run_chapters(
        [nb],
        out_notebooks=repo / "notebooks",
        out_results=repo / "results",
        profile="smoke",
        stream=False,
        failed_dir=repo / ".cache" / "failed",
        **kw,
    )


def test_output_dir_receives_the_run_and_the_published_book_is_untouched(book, tmp_path):
    nb = make_notebook(book / "notebooks" / "01_toy.ipynb", WRITE_RESULT)
    commit(book)
    out = tmp_path / "gpu-run"
    times = cli.run_chapters(
        [nb], out_notebooks=out / "notebooks", out_results=out / "results", profile="smoke", timeout=120, stream=False
    )
    assert [name for name, _ in times] == ["01_toy"]
    executed = nbformat.read(out / "notebooks" / "01_toy.ipynb", as_version=4)
    assert executed.metadata.papermill.parameters["profile"] == "smoke"
    assert json.loads((out / "results" / "toy.json").read_text())["figures"]["profile"]["value"] == "smoke"
    assert git(book, "status", "--porcelain") == ""


def test_in_place_run_replaces_notebook_and_results_after_success(book):
    nb = make_notebook(book / "notebooks" / "01_toy.ipynb", WRITE_RESULT)
    commit(book)
    run_in_place(book, nb, timeout=120)
    changed = sorted(line[3:] for line in git(book, "status", "--porcelain").splitlines())
    assert changed == ["notebooks/01_toy.ipynb", "results/toy.json"]
    assert not list((book / "notebooks").glob(".*")) and not list((book / "results").glob(".*"))


def test_a_failing_cell_leaves_git_status_clean(book):
    # the result is written before the error: it must not reach results/ either
    nb = make_notebook(book / "notebooks" / "01_toy.ipynb", WRITE_RESULT, "raise RuntimeError('boom')")
    commit(book)
    with pytest.raises(cli.ChapterFailed, match="01_toy.ipynb failed"):
        run_in_place(book, nb, timeout=120)
    assert git(book, "status", "--porcelain") == ""
    failed = nbformat.read(book / ".cache" / "failed" / "01_toy.ipynb", as_version=4)  # kept to read, ignored
    assert any(o.get("ename") == "RuntimeError" for c in failed.cells for o in c.get("outputs", []))


def test_a_cell_over_the_timeout_fails_the_chapter_cleanly(book):
    nb = make_notebook(book / "notebooks" / "01_toy.ipynb", WRITE_RESULT, "import time; time.sleep(60)")
    commit(book)
    t0 = time.monotonic()
    with pytest.raises(cli.ChapterFailed, match="(?i)timeout|timed out"):
        run_in_place(book, nb, timeout=3)
    assert time.monotonic() - t0 < 45
    assert git(book, "status", "--porcelain") == ""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_leaves_git_status_clean_and_no_kernel(book, sig):
    marker = book.parent / "kernel.pid"
    make_notebook(
        book / "notebooks" / "01_toy.ipynb",
        WRITE_RESULT,
        f"import os, pathlib, time\npathlib.Path({str(marker)!r}).write_text(str(os.getpid()))\ntime.sleep(120)",
    )
    commit(book)
    script = (
        "import sys; from pathlib import Path; from lcreport import cli\n"
        f"repo = Path({str(book)!r})\n"
        "try:\n"
        f"    cli.run_chapters([repo / 'notebooks' / '01_toy.ipynb'], out_notebooks=repo / 'notebooks',"
        " out_results=repo / 'results', profile='smoke', stream=False, failed_dir=repo / '.cache' / 'failed')\n"
        "except KeyboardInterrupt:\n"
        "    sys.exit(130)\n"
    )
    # Ctrl-C reaches a run whose SIGINT is at its default. A shell without job control starts background
    # jobs (``make test &`` in a script) with SIGINT ignored, the child inherits that, and by convention
    # the run then ignores it too; reset it so the test does not depend on how pytest itself was started.
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=cli.ROOT, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
    )
    deadline = time.monotonic() + 90
    while not marker.exists():
        assert proc.poll() is None, "the run ended before the cell started"
        assert time.monotonic() < deadline, "the kernel never started"
        time.sleep(0.2)
    kernel_pid = int(marker.read_text())
    proc.send_signal(sig)
    assert proc.wait(timeout=60) == 130
    assert git(book, "status", "--porcelain") == ""
    for _ in range(50):  # the kernel is shut down, not orphaned
        try:
            os.kill(kernel_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.kill(kernel_pid, signal.SIGKILL)
        raise AssertionError("the kernel outlived the interrupted run")


def test_run_asks_where_the_notebooks_go(capsys):
    with pytest.raises(SystemExit, match="--output-dir DIR.*--in-place"):
        cli.main(["run", "--profile", "smoke", "tokens"])


def test_output_dir_and_in_place_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--in-place", "--output-dir", "x", "tokens"])
    assert "not allowed with" in capsys.readouterr().err


def test_default_cell_timeout_exists_for_every_profile():
    from lcreport.profiles import PROFILES

    assert set(cli.CELL_TIMEOUT_S) == set(PROFILES)
    assert all(t >= 600 for t in cli.CELL_TIMEOUT_S.values())


def test_progress_names_chapter_cell_and_time_and_the_kernel_does_not_warn(tmp_path, capfd):
    """What `make book` shows on the terminal: each code cell as it starts with the elapsed time, and
    the chapter's own output (progress bars go to stderr); not ipykernel's "running over TCP" warning."""
    nb = make_notebook(
        tmp_path / "notebooks" / "01_toy.ipynb", WRITE_RESULT, "import sys\nprint('training 50%', file=sys.stderr)"
    )
    cli.run_chapters(
        [nb],
        out_notebooks=tmp_path / "out",
        out_results=tmp_path / "results",
        profile="smoke",
        timeout=120,
        stream=True,
    )
    err = capfd.readouterr().err
    assert re.search(r"\[lcreport\] 01_toy · cell 4/4 · \d+:\d\d:\d\d · import sys", err), err
    assert "chapter 1/1: 01_toy.ipynb" in err and "01_toy.ipynb done in" in err
    assert "training 50%" in err and "wrote smoke" in err
    assert "running over TCP" not in err and "IProgress" not in err


def test_the_profile_asked_for_runs_even_under_nbvals_override(tmp_path, monkeypatch):
    monkeypatch.setenv("LCREPORT_PROFILE", "smoke")
    nb = make_notebook(
        tmp_path / "notebooks" / "01_toy.ipynb",
        "import os\nassert 'LCREPORT_PROFILE' not in os.environ\n" + WRITE_RESULT,
    )
    cli.run_chapters(
        [nb], out_notebooks=tmp_path / "out", out_results=tmp_path / "results", profile="cpu", timeout=120, stream=False
    )
    assert json.loads((tmp_path / "results" / "toy.json").read_text())["figures"]["profile"]["value"] == "cpu"
    assert os.environ["LCREPORT_PROFILE"] == "smoke"  # restored for the caller
