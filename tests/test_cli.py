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


def test_committed_notebooks_take_typed_literal_parameters():
    """papermill --help-notebook can type them, and no notebook reads the environment itself: the
    profile override for nbval is resolved in lcreport (profiles.requested_profile)."""
    import ast

    for path in cli.toc_notebooks():
        nb = nbformat.read(path, as_version=4)
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1, path.name
        tree = ast.parse(params[0].source)
        values = {
            t.id: n.value.value
            for n in tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(n.value, ast.Constant)
        }
        values |= {
            n.target.id: n.value.value
            for n in tree.body
            if isinstance(n, ast.AnnAssign) and isinstance(n.value, ast.Constant)
        }
        assert values == {"profile": "cpu", "device": "auto", "seed": 0}, path.name
        for cell in nb.cells:
            assert "os.environ" not in cell.source, f"{path.name} reads the environment"


def test_toc_order_comes_from_jupyter_books_parser():
    docs = cli.toc_docnames()
    assert docs[0] == "book/intro" and docs.index("notebooks/01_complexity") < docs.index("notebooks/06_critique")


def test_papermill_knows_the_parameter_types():
    """`papermill --help-notebook` reads the types from annotations: `profile: str = "cpu"  # …`."""
    import papermill

    for path in cli.toc_notebooks():
        inferred = {name: p["inferred_type_name"] for name, p in papermill.inspect_notebook(str(path)).items()}
        assert inferred == {"profile": "str", "device": "str", "seed": "int"}, f"{path.name}: {inferred}"
