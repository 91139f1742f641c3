import json

import numpy as np
import pytest

from lcreport.results import MissingResultError, Run, figure, load_results, source_hash


def test_a_run_writes_figures_with_provenance(tmp_results):
    run = Run("demo", profile="smoke", device="cpu", seed=3)
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
    run = Run("demo", profile="smoke", device="cpu")
    run.record("a", 1)
    run.save()
    with pytest.raises(MissingResultError, match="it has: a"):
        figure("demo", "b")


def test_source_hash_is_stable():
    assert source_hash() == source_hash() and len(source_hash()) == 16
