"""Two processes over gloo on the CPU (torchrun), against one: the loops of the gpu profile scale out
through accelerate without changing what they compute."""

import dataclasses

import numpy as np
import pytest

from lcreport.parallel import run_job


def test_two_processes_train_like_one(tmp_path):
    one, two = run_job("train", tmp_path / "one.json", 1), run_job("train", tmp_path / "two.json", 2)
    assert one["processes"] == 1 and two["processes"] == 2
    np.testing.assert_allclose(two["result"]["losses"], one["result"]["losses"], rtol=1e-4)


def test_two_processes_search_like_one(tmp_path):
    """Each candidate scored once, on one of the processes, gathered in order: the same factors."""
    one, two = run_job("search", tmp_path / "one.json", 1), run_job("search", tmp_path / "two.json", 2)
    assert two["processes"] == 2
    assert two["result"]["factors"] == one["result"]["factors"] and two["result"]["n_hat"] == one["result"]["n_hat"]
    assert two["result"]["evaluations"] == one["result"]["evaluations"]
    assert two["result"]["fitness"] == pytest.approx(one["result"]["fitness"], rel=1e-6)


def test_a_failing_job_says_what_failed(tmp_path):
    with pytest.raises(RuntimeError, match="failed"):
        run_job("no-such-job", tmp_path / "x.json", 1)


def test_prepare_trains_what_the_chapters_load(tmp_path, monkeypatch):
    """`python -m lcreport.prepare` fills the cache under the keys the notebooks look up."""
    from lcreport import prepare
    from lcreport.models.checkpoints import checkpoint_key
    from lcreport.profiles import PROFILES

    monkeypatch.setenv("LCREPORT_CACHE", str(tmp_path))
    keys = prepare.prepare("smoke", "cpu")
    smoke = PROFILES["smoke"].llama
    assert keys[:2] == [
        checkpoint_key(smoke),
        checkpoint_key(dataclasses.replace(smoke, bos=True)),
    ]  # base, start-token twin
    others = [
        checkpoint_key(dataclasses.replace(smoke, seed=s)) for s in PROFILES["smoke"].base_seeds if s != smoke.seed
    ]
    assert others and keys[2 : 2 + len(others)] == others  # the replication's other base models
    assert len(keys) == 2 + len(others) + len(PROFILES["smoke"].dw_models)
    assert all((tmp_path / "llama" / k / "manifest.json").exists() for k in keys)
