"""LongRoPE part 1's experiment functions: per-unit rows, paired comparisons, the retrieval bar, the glue."""
import dataclasses

import numpy as np
import pytest
import torch

from lcreport.analysis import stats
from lcreport.longrope import evaluation as ev, experiments as ex, top_scale as ts
from lcreport.longrope.evolution import Candidate, SearchResult
from lcreport.models import llama, lm_data, rope as rp
from lcreport.profiles import PROFILES
from lcreport.results import COMPARISON_FIELDS, TRIAL_COLUMNS, Run

SMOKE = PROFILES["smoke"]
SPEC = dataclasses.replace(SMOKE.llama, steps=3, warmup=1)
P = dataclasses.replace(SMOKE, llama=SPEC, scales=(2,), eval_chunks=3, passkey_trials=3, passkey_depths=(0.2, 0.8),
                        search=dataclasses.replace(SMOKE.search, seeds=(3, 5)))


@pytest.fixture(scope="module")
def base():
    data = lm_data.Data(SPEC)
    model = llama.build_model(SPEC)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    history = [{"step": 0, "loss": 5.0, "tokens": 512, "seconds": 1.0, "lr": 1e-3}]
    return ex.BaseModel(SPEC, data, model, state, history, True, torch.device("cpu"))


@pytest.fixture(scope="module")
def searches():
    """Two stand-in search results per scale (searching itself is tested in test_longrope_search.py)."""
    dim = SPEC.hidden // SPEC.heads
    out = {}
    for s in P.scales:
        for sd, f in zip(P.search.seeds, (rp.factors_yarn, rp.factors_pi)):
            factors = tuple(float(x) for x in f(s, dim, SPEC.rope_theta, SPEC.train_length))
            out[(s, sd)] = SearchResult(Candidate(factors, 4 if sd == 3 else 0), 10.0)
    return out


@pytest.fixture(scope="module")
def methods(base, searches):
    return ex.methods_by_scale(base, P, searches, seed=0)


def test_retrieval_bar_decides_the_sentence():
    assert ex.retrieval_readiness(ex.RETRIEVAL_BAR)[0] == "meets"
    assert ex.retrieval_readiness(ex.RETRIEVAL_BAR - 0.01)[0] == "does not meet"
    assert ex.retrieval_readiness(1.0)[1] != ex.retrieval_readiness(0.0)[1]


def test_paper_evaluations_are_the_papers_search_budget():
    assert ex.paper_evaluations() == 64 + 40 * (16 + 16)


def test_per_trial_pass_keys_leave_the_aggregates_unchanged(base):
    args = (base.model, base.data, 64, (0.2, 0.8), 5)
    rows = ev.passkey_scores(*args, seed=4, source=base.data.heldout)
    again, trials = ev.passkey_scores(*args, seed=4, source=base.data.heldout, per_trial=True)
    assert again == rows
    assert [t["unit"] for t in trials] == list(range(10))
    for r in rows:
        mine = [t for t in trials if t["depth"] == r["depth"]]
        assert np.mean([t["exact"] for t in mine]) == pytest.approx(r["exact"])
        assert np.mean([t["per_digit"] for t in mine]) == pytest.approx(r["per_digit"])


def test_method_trials_reproduce_the_table(methods):
    """Every method at every scale has one nll row per chunk and one pass-key row per trial; the
    per-unit rows average back to the table's figures; LongRoPE rows carry their search seed."""
    import pandas as pd
    trials = pd.DataFrame(methods.trials)
    assert set(TRIAL_COLUMNS) <= set(trials.columns)
    table = methods.results["methods"].set_index("method")
    assert list(table.index) == [rp.LABELS[m] for m in ex.FIXED_METHODS] + ["LongRoPE (seed 3)", "LongRoPE (seed 5)"]
    for label, row in table.iterrows():
        nll = ts.unit_values(trials, "ppl_noft", label, 2, "nll_last_L")
        assert len(nll) == P.eval_chunks
        assert np.exp(nll.mean()) == pytest.approx(row["ppl last L"], rel=1e-5)
        exact = ts.unit_values(trials, "passkey_noft", label, 2, "exact")
        assert len(exact) == P.passkey_trials * len(P.passkey_depths) and set(exact) <= {0.0, 1.0}
        assert exact.mean() == pytest.approx(row["pass key exact"])
        assert row["last lo"] <= row["ppl last L"] <= row["last hi"]
    seeds = trials[trials.arm == "LongRoPE (seed 5)"].seed.unique()
    assert list(seeds) == [5] and set(trials[trials.arm == "YaRN"].seed) == {0}
    assert "depth" in trials[trials.experiment == "passkey_noft"].columns


def test_comparisons_use_the_first_search_seed_and_pair_by_chunk(methods):
    comps = ts.top_scale_comparisons(methods.trials, 2, P.search.seeds[0], seed=0)
    assert [c["id"] for c in comps] == ["ppl_lr_vs_pi", "ppl_lr_vs_yarn", "ppl_pi_vs_plain"]
    for c in comps:
        assert set(COMPARISON_FIELDS) <= set(c) and c["n"] == P.eval_chunks
    lr = ts.unit_values(methods.trials, "ppl_noft", "LongRoPE (seed 3)", 2, "nll_last_L")
    pi = ts.unit_values(methods.trials, "ppl_noft", rp.LABELS["linear"], 2, "nll_last_L")
    assert comps[0]["b"] == "LongRoPE (seed 3)" and comps[0]["diff"] == pytest.approx((lr - pi).mean())
    with pytest.raises(KeyError, match="no nll_last_L trials"):
        ts.unit_values(methods.trials, "ppl_noft", "LongRoPE (seed 9)", 2, "nll_last_L")


def test_top_scale_findings_glue_the_words_of_the_comparisons(base, methods):
    plain = ex.plain_rope_by_length(base, P, seed=0)
    found = ts.top_scale_findings(methods, plain, P, seed=0)
    by_id = {c["id"]: c for c in found.comparisons}
    assert found.figures["lr_vs_pi"] == stats.relation(by_id["ppl_lr_vs_pi"])
    assert found.figures["pi_vs_plain"] == stats.relation(by_id["ppl_pi_vs_plain"])
    lr = methods.results["methods"].query("kind == 'longrope'")["ppl last L"]
    assert found.figures["lr_best_ppl"] == pytest.approx(lr.min())
    assert found.figures["lr_vs_base_L"] == pytest.approx(lr.min() / plain.table.loc[SPEC.train_length,
                                                                                       "ppl (last L tokens)"])


def test_record_glues_figures_and_keeps_trials_and_comparisons(tmp_results):
    run = Run(chapter="t", profile=SMOKE, device=torch.device("cpu"))
    row = {"experiment": "e", "arm": "a", "scale": 2, "seed": 0, "unit": 0, "metric": "m", "value": 1.0}
    comp = {"id": "c", "experiment": "e", "scale": 2, "metric": "m", "a": "a", "b": "b", "diff": 0.0,
            "ci95": [0, 0], "n": 1, "test": "t"}
    table = ex.record(run, ex.Section("T", {"x": 1.5, "y": {"value": 2.0, "ci95": (1, 3), "n": 4}}, [row], [comp]))
    assert table == "T" and run.figures["y"]["ci95"] == [1.0, 3.0] and run.figures["x"]["value"] == 1.5
    assert run.trials == [row] and run.comparisons[0]["id"] == "c"


def test_training_summary_reports_the_cache_and_the_raw_loss_curve(base):
    section = ex.training_summary(base)
    assert section.figures["from_cache"] == "loaded from the cache"
    assert section.figures["loss_curve"] is base.history and section.figures["final_loss"] == 5.0
    assert section.table.loc["training length L", "value"] == SPEC.train_length


def test_methods_plot_fades_only_the_other_search_seeds(methods):
    from lcreport.longrope import experiment_plots as plots
    fig = plots.plot_methods(methods.results["methods"], SPEC.train_length, "LongRoPE (seed 3)")
    assert len(fig.axes) == 2
    alphas = {c.get_label(): c.lines[0].get_alpha() for c in fig.axes[1].containers}
    assert alphas["LongRoPE (seed 5)"] == 0.5 and alphas["LongRoPE (seed 3)"] == alphas["YaRN"] == 0.9
