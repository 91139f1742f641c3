"""The work ledger, cached JSON results, the search cache and the warm / cold run costs built on them."""

import json

import pytest
import torch

from lcreport import cache
from lcreport.claims.summary import chapter_costs
from lcreport.longrope import search as sr
from lcreport.models import llama, lm_data
from lcreport.profiles import PROFILES, SearchSettings

SPEC = PROFILES["smoke"].llama
TINY = SearchSettings(population=4, generations=1, mutations=1, crossovers=1, samples=1)


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LCREPORT_CACHE", str(tmp_path))
    return tmp_path


def test_cached_json_makes_once_then_loads_and_ledgers_both(tmp_cache):
    t0 = cache.time.time()
    calls = []

    def make():
        calls.append(1)
        return {"value": 3, "seconds": 120.0}

    first, cached1 = cache.cached_json("thing", {"a": 1}, make, minutes_of=lambda r: r["seconds"] / 60)
    second, cached2 = cache.cached_json("thing", {"a": 1}, make, minutes_of=lambda r: r["seconds"] / 60)
    other, cached3 = cache.cached_json("thing", {"a": 2}, make, minutes_of=lambda r: r["seconds"] / 60)
    assert (cached1, cached2, cached3) == (False, True, False) and len(calls) == 2
    assert first == second == other == {"value": 3, "seconds": 120.0}
    work = cache.work_since(t0)
    assert [w["loaded"] for w in work] == [False, False]  # the reload of {"a": 1} is the same artifact: counted once
    assert work[0]["minutes"] < 1.0  # made now: the measured time, not the recorded 2 minutes


def test_cached_json_remakes_a_damaged_file(tmp_cache):
    def make():
        return {"v": 1}

    cache.cached_json("thing", {"b": 1}, make, minutes_of=lambda r: 0.0)
    (path,) = (tmp_cache / "thing").glob("*.json")
    path.write_text("{not json")
    logs = []
    result, cached = cache.cached_json("thing", {"b": 1}, make, minutes_of=lambda r: 0.0, log=logs.append)
    assert result == {"v": 1} and not cached and "unreadable" in logs[0]
    assert json.loads(path.read_text())["result"] == {"v": 1}


def test_loaded_work_counts_its_recorded_minutes(tmp_cache):
    cache.cached_json("thing", {"c": 1}, lambda: {"seconds": 90.0}, minutes_of=lambda r: r["seconds"] / 60)
    t0 = cache.time.time()
    cache.cached_json("thing", {"c": 1}, lambda: {"seconds": 0.0}, minutes_of=lambda r: r["seconds"] / 60)
    (w,) = cache.work_since(t0)
    assert w["loaded"] and w["minutes"] == pytest.approx(1.5)


def test_record_work_refuses_negative_minutes():
    with pytest.raises(ValueError, match="≥ 0"):
        cache.record_work("model", "x", -1.0, loaded=True)


def test_tensors_key_follows_the_weights():
    state = llama.build_model(SPEC).state_dict()
    copy = {k: v.clone() for k, v in state.items()}
    assert cache.tensors_key(state) == cache.tensors_key(copy)
    name = next(iter(copy))
    copy[name] = copy[name] + 1e-3
    assert cache.tensors_key(state) != cache.tensors_key(copy)


def test_search_is_cached_and_equals_the_uncached_search(tmp_cache, one_torch_thread):
    torch.manual_seed(0)
    state = llama.build_model(SPEC).state_dict()
    data = lm_data.Data(SPEC)
    plain = sr.search(state, SPEC, data, 2, TINY, seed=0, use_cache=False)
    made = sr.search(state, SPEC, data, 2, TINY, seed=0)
    loaded = sr.search(state, SPEC, data, 2, TINY, seed=0)
    assert not plain.from_cache and not made.from_cache and loaded.from_cache
    for r in (made, loaded):
        assert r.best == plain.best and r.best_fitness == plain.best_fitness and r.history == plain.history
        assert r.initial == plain.initial and r.evaluations == plain.evaluations
    assert loaded.seconds == made.seconds  # the time of the run that made it
    assert not sr.search(state, SPEC, data, 2, TINY, seed=1).from_cache  # another seed: another search
    changed = {k: v.clone() for k, v in state.items()}
    changed["model.norm.weight"] += 0.5
    assert not sr.search(changed, SPEC, data, 2, TINY, seed=0).from_cache  # other weights: another search


def _prov(wall_minutes, work, profile="cpu"):
    return {"wall_time_s": wall_minutes * 60, "profile": profile, "cache_work": work}


def test_chapter_costs_warm_and_cold():
    base = {"kind": "model", "id": "llama/a", "minutes": 14.0}
    search = {"kind": "search", "id": "search/s", "minutes": 0.5}
    cost = chapter_costs(
        {
            "longrope": _prov(10.0, [dict(base, loaded=True), dict(search, loaded=False)]),  # search made in this run
            "longrope2": _prov(
                5.0, [dict(base, loaded=True), {"kind": "model", "id": "llama-ft/f", "minutes": 2.0, "loaded": False}]
            ),
        }
    )
    lr, lr2 = cost.loc["longrope"], cost.loc["longrope2"]
    assert lr["warm cache (minutes)"] == pytest.approx(9.5)  # 10 less the search made now
    assert lr["cold cache (minutes)"] == pytest.approx(9.5 + 14.0 + 0.5)  # the base model and the search, made here
    assert lr2["warm cache (minutes)"] == pytest.approx(3.0)  # 5 less the fine-tune made now
    assert lr2["cold cache (minutes)"] == pytest.approx(3.0 + 2.0)  # the base model is chapter 04's, not counted again
    assert lr["cold: training (minutes)"] == pytest.approx(14.0) and lr["cold: search (minutes)"] == pytest.approx(0.5)
    assert lr2["cold: training (minutes)"] == pytest.approx(2.0) and lr2["cold: search (minutes)"] == 0
    assert not lr["cold measured"] and not lr["warm measured"]  # the base model was loaded, the search made
    assert not lr2["warm measured"]


def test_a_run_that_made_everything_measures_the_cold_time():
    work = [{"kind": "model", "id": "llama/a", "minutes": 14.0, "loaded": False}]
    cost = chapter_costs({"longrope": _prov(20.0, work)})
    assert cost.loc["longrope", "cold measured"] and not cost.loc["longrope", "warm measured"]
    assert cost.loc["longrope", "cold cache (minutes)"] == pytest.approx(20.0)


def test_budget_warnings_name_only_the_budgets_exceeded():
    from lcreport.claims.summary import budget_warnings

    figures = {
        "book_cold_minutes": {"value": 100.0},
        "budget_cold_minutes": {"value": 120},
        "cold_vs_budget": {"value": "within"},
        "book_warm_minutes": {"value": 41.0},
        "budget_warm_minutes": {"value": 35},
        "warm_vs_budget": {"value": "over by 6 minutes"},
        "book_warm_basis": {"value": "estimated from the work ledger"},
    }
    (line,) = budget_warnings(figures)
    assert "warm run, 41 minutes" in line and "over by 6 minutes of its 35-minute budget" in line
    assert budget_warnings(dict(figures, warm_vs_budget={"value": "within"})) == []


def test_chapter_costs_refuses_results_without_the_ledger():
    with pytest.raises(ValueError, match="re-execute"):
        chapter_costs({"bert": {"wall_time_s": 60.0, "profile": "cpu"}})


def test_budget_word_on_both_sides():
    from lcreport.claims.summary import budget_word

    assert budget_word(119.6, 120) == "within" and budget_word(120, 120) == "within"
    assert budget_word(154.2, 120) == "over by 34 minutes"


def test_search_key_follows_the_text_the_settings_and_the_code(monkeypatch):
    import dataclasses

    state = llama.build_model(SPEC).state_dict()
    data = lm_data.Data(SPEC)
    kw = dict(seed=0, length=None, extra_seeds=None, short_of=None, short_start="identity", device="cpu")

    def key(*a, **k):
        return cache.content_key(sr.search_payload(*a, **(kw | k)))

    ref = key(state, SPEC, data, 2, TINY)
    assert (
        key(state, SPEC, data, 2, dataclasses.replace(TINY, seeds=(0, 1, 2))) == ref
    )  # the seed list is not this search's
    assert key(state, SPEC, data, 2, dataclasses.replace(TINY, samples=2)) != ref
    assert key(state, SPEC, data, 4, TINY) != ref
    assert key(state, SPEC, data, 2, TINY, extra_seeds={"a": [1.0, 2.0], "b": [1.0, 3.0]}) != key(
        state, SPEC, data, 2, TINY, extra_seeds={"b": [1.0, 3.0], "a": [1.0, 2.0]}
    )  # the population's order
    assert key(state, SPEC, data, 2, TINY, short_of=[1.0, 1.0000001]) != key(
        state, SPEC, data, 2, TINY, short_of=[1.0, 1.0]
    )
    saved = data.search
    data.search = saved[1:]  # other search text
    try:
        assert key(state, SPEC, data, 2, TINY) != ref
    finally:
        data.search = saved
    assert key(state, SPEC, data, 2, TINY) == ref
    monkeypatch.setattr(cache, "source_key", lambda *objects: "edited code")
    assert key(state, SPEC, data, 2, TINY) != ref


def test_checkpoints_enter_the_ledger_made_then_loaded(tmp_cache):
    from lcreport.models import checkpoints

    data = lm_data.Data(SPEC)
    history = [{"step": 0, "seconds": 0.0, "loss": 1.0}, {"step": 9, "seconds": 60.0, "loss": 0.5}]

    def make():
        return (llama.build_model(SPEC), history)

    def build(state):
        return llama.build_model(SPEC, state)

    t0 = cache.time.time()
    assert checkpoints.cached_weights("llama", "k", data, make, build)[2] is False
    t1 = cache.time.time()
    assert checkpoints.cached_weights("llama", "k", data, make, build)[2] is True
    (made,), (loaded,) = cache.work_since(t0)[:1], cache.work_since(t1)
    assert made == {"kind": "model", "id": "llama/k", "minutes": made["minutes"], "loaded": False}
    assert (
        loaded["loaded"] and loaded["id"] == "llama/k" and loaded["minutes"] == pytest.approx(10 * 60 / 9 / 60)
    )  # steps 0…9 at 60/9 s each


def test_a_chapter_records_its_cache_work(tmp_cache, tmp_results):
    from types import SimpleNamespace

    from lcreport.results import Run

    run = Run("toy", SimpleNamespace(name="smoke"), torch.device("cpu"))
    cache.cached_json("thing", {"toy": 1}, lambda: {"seconds": 6.0}, minutes_of=lambda r: r["seconds"] / 60)
    work = run.provenance()["cache_work"]
    assert [(w["kind"], w["loaded"]) for w in work] == [("thing", False)]
    assert json.loads(run.save().read_text())["provenance"]["cache_work"] == work


def test_publish_folder_replaces_by_renames_and_keeps_a_copy_published_meanwhile(tmp_path):
    """A finished folder moves into place; a damaged one is replaced; when another writer's copy arrives
    first (simulated by a folder already present that the rename cannot replace), it is kept and ours removed."""
    from lcreport.files import publish_folder

    def finished(name, text):
        d = tmp_path / name
        d.mkdir()
        (d / "weights").write_text(text)
        return d

    target = tmp_path / "key"
    assert publish_folder(finished(".new1", "one"), target)
    assert (target / "weights").read_text() == "one"
    assert publish_folder(finished(".new2", "two"), target)  # an existing (say damaged) copy is replaced
    assert (target / "weights").read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key"]  # nothing left aside

    import os

    real_replace, calls = os.replace, []

    def racing_replace(src, dst):  # another writer publishes right after ours moved the old copy aside
        calls.append(dst)
        if len(calls) == 2:
            finished(".theirs", "theirs").rename(dst)
        return real_replace(src, dst)

    os.replace = racing_replace
    try:
        assert not publish_folder(finished(".new3", "three"), target)
    finally:
        os.replace = real_replace
    assert (target / "weights").read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key"]
