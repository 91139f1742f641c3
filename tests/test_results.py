import json

import numpy as np
import pytest
import torch

from lcreport import results
from lcreport.profiles import PROFILES
from lcreport.results import MissingResultError, Run, figure, load_results, source_hash

SMOKE, CPU = PROFILES["smoke"], torch.device("cpu")


def test_a_run_writes_figures_with_provenance(tmp_results):
    run = Run("demo", profile=SMOKE, device=CPU, seed=3)
    run.record("slope", np.float64(1.97), unit="1")
    run.record("bad", float("nan"))
    path = run.save()
    data = json.loads(path.read_text())
    prov = data["provenance"]
    for key in ("profile", "device", "versions", "lcreport_source_hash", "git_commit", "wall_time_s", "seed"):
        assert key in prov
    assert prov["versions"]["torch"].startswith("2.13")
    assert data["figures"]["slope"] == {"value": 1.97, "unit": "1"}
    assert data["figures"]["bad"]["value"] is None  # NaN is not valid JSON
    assert figure("demo", "slope") == 1.97
    assert not list(tmp_results.glob(".*"))  # no temporary file left behind


def test_missing_results_say_which_command_makes_them(tmp_results):
    with pytest.raises(MissingResultError, match="python -m lcreport run nothing"):
        load_results("nothing")


def test_missing_figure_lists_the_figures_there_are(tmp_results):
    run = Run("demo", profile=SMOKE, device=CPU)
    run.record("a", 1)
    run.save()
    with pytest.raises(MissingResultError, match="it has: a"):
        figure("demo", "b")


def test_source_hash_changes_when_any_source_changes(tmp_path, monkeypatch):
    import shutil

    copy = tmp_path / "lcreport"
    shutil.copytree(results.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(results, "PACKAGE_DIR", copy)
    before = source_hash()
    assert len(before) == 16 and source_hash() == before
    target = copy / "longrope" / "search.py"
    target.write_text(target.read_text() + "\n# one more line\n")
    assert source_hash() != before
    target.rename(copy / "longrope" / "search_renamed.py")  # the path counts, not only the bytes
    changed = source_hash()
    (copy / "longrope" / "search_renamed.py").rename(target)
    assert changed != source_hash()
    restored = source_hash()
    settings = copy / "profiles.yaml"  # the settings count too, not only the code
    settings.write_text(settings.read_text() + "\n# a comment\n")
    assert source_hash() != restored


def test_comparisons_and_trials_follow_the_contract(tmp_results):
    run = Run("demo", profile=SMOKE, device=CPU)
    run.add_trials(
        [
            {
                "experiment": "ppl_noft",
                "arm": a,
                "scale": 8,
                "seed": 0,
                "unit": u,
                "metric": "nll",
                "value": v,
                "length": 2048,
            }
            for a, u, v in [("yarn", 0, 1.0), ("yarn", 1, 2.0), ("pi", 0, 1.5)]
        ]
    )
    cmp = {
        "id": "yarn_vs_pi",
        "experiment": "ppl_noft",
        "scale": 8,
        "metric": "nll",
        "a": "yarn",
        "b": "pi",
        "diff": 0.5,
        "ci95": [0.1, 0.9],
        "n": 1,
        "test": "paired bootstrap",
    }
    run.compare(cmp)
    with pytest.raises(ValueError, match="twice"):
        run.compare(cmp)
    with pytest.raises(ValueError, match="lacks"):
        run.compare({"id": "x"})
    with pytest.raises(ValueError, match="lacks"):
        run.add_trials([{"experiment": "x"}])
    run.save()
    data = load_results("demo")
    assert data["comparisons"] == [cmp]
    header = (tmp_results / "demo.trials.csv").read_text().splitlines()[0]
    assert header == "experiment,arm,scale,seed,unit,metric,value,length"


def test_the_processor_is_recorded_with_its_family_model_and_kernels():
    """Weights trained on two processors differ (book/reproduce.md), so the provenance names the processor."""
    import torch

    from lcreport.results import cpu_description

    info = (
        "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\n\n"
        "processor\t: 1\ncpu family\t: 99\nmodel name\t: Other\n"
    )
    text = cpu_description(info)
    assert text.startswith("AMD EPYC (") and "cpu family 26, model 2" in text and "Other" not in text
    assert f"torch kernels {torch.backends.cpu.get_cpu_capability()}" in text
    # no /proc/cpuinfo (another system): what platform knows, never an empty name
    assert cpu_description("").split(" (")[0]
