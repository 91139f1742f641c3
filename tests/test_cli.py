import json

import nbformat

from lcreport import cli


def test_toc_lists_the_chapter_notebooks_in_order():
    names = [cli.chapter_name(p) for p in cli.toc_notebooks()]
    assert names[0] == "complexity"


def test_unknown_profile_fails_before_executing_anything(capsys):
    assert cli.main(["run", "--profile", "huge", "complexity"]) == 2
    assert "smoke, cpu, gpu" in capsys.readouterr().err


def test_unknown_chapter_is_rejected():
    try:
        cli.main(["run", "--profile", "smoke", "nonexistent"])
    except SystemExit as e:
        assert "unknown chapter" in str(e)
    else:
        raise AssertionError("an unknown chapter must not run")


def test_check_flags_a_notebook_not_run_by_papermill(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1/0")
    cell.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="", traceback=[])]
    cell.execution_count = 1
    nb.cells = [cell, nbformat.v4.new_code_cell("print(1)")]
    path = tmp_path / "01_x.ipynb"
    nbformat.write(nb, path)
    problems = " ".join(cli.notebook_problems(path))
    assert "not executed by papermill" in problems
    assert "1 error output" in problems
    assert "1 unexecuted code cell" in problems

    nb.metadata["papermill"] = {"parameters": {"profile": "smoke"}}
    nbformat.write(nb, path)
    assert any("'smoke'-profile" in p for p in cli.notebook_problems(path))


def test_committed_notebooks_let_nbval_choose_the_profile():
    # papermill's injected `profile = "cpu"` must not run under nbval, or CI runs the cpu profile
    for path in cli.toc_notebooks():
        nb = nbformat.read(path, as_version=4)
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert injected, f"{path.name} was not executed by papermill"
        assert all("nbval-skip" in c.metadata["tags"] for c in injected), path.name
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert params and "LCREPORT_PROFILE" in params[0].source, path.name
