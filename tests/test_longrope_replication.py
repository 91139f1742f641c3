"""The central no-fine-tune comparison across base models: the agreement rule on both sides, and the
section's pairing (per base model and pooled) on tiny untrained models."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from lcreport import stats
from lcreport.chapters.base_model import BaseModel
from lcreport.chapters.c04_longrope import replication as rep
from lcreport.chapters.c04_longrope import top_scale as ts
from lcreport.chapters.sections import Section
from lcreport.longrope.evolution import Candidate, SearchResult
from lcreport.models import llama, lm_data
from lcreport.models import rope as rp
from lcreport.profiles import PROFILES

SMOKE = PROFILES["smoke"]
SPEC = dataclasses.replace(SMOKE.llama, steps=3, warmup=1)
P = dataclasses.replace(
    SMOKE,
    llama=SPEC,
    scales=(2,),
    eval_chunks=3,
    passkey_trials=2,
    passkey_depths=(0.2, 0.8),
    search=dataclasses.replace(SMOKE.search, seeds=(0,)),
    base_seeds=(0, 4),
)


def cmp(diff, lo, hi, p=None):
    return {"diff": diff, "ci95": [lo, hi], **({} if p is None else {"p": p})}


def test_agreement_holds_only_when_every_base_model_rejects_in_one_direction():
    assert rep.agreement([cmp(-0.1, -0.2, -0.01), cmp(-0.05, -0.09, -0.001)]) == rep.HOLDS
    assert rep.agreement([cmp(-0.1, -0.2, -0.01), cmp(-0.05, -0.09, 0.001)]) == rep.MIXED
    assert rep.agreement([cmp(-0.1, -0.2, -0.01), cmp(0.05, 0.01, 0.09)]) == rep.REVERSES  # opposite directions
    assert rep.agreement([cmp(-0.1, -0.2, -0.01), cmp(0.05, 0.01, 0.09), cmp(0, -1, 1)]) == rep.REVERSES
    assert rep.agreement([cmp(-0.1, -0.2, -0.01), cmp(0, -1, 1), cmp(0, -1, 1)]) == rep.MIXED
    assert rep.agreement([cmp(0.1, 0.01, 0.2)], rep.SEED_WORDS) == rep.SEED_WORDS[0]
    assert rep.agreement([cmp(0.1, 0.01, 0.2), cmp(-0.1, -0.2, -0.01)], rep.SEED_WORDS) == rep.SEED_WORDS[1]
    assert rep.agreement([cmp(-0.1, -0.2, 0.01), cmp(0.05, -0.01, 0.09)]) == rep.NONE
    with pytest.raises(ValueError):
        rep.agreement([])


def test_agreement_reads_mcnemar_p_where_there_is_one():
    # a bootstrap interval that excludes 0 does not count when the exact test does not reject
    assert rep.agreement([cmp(0.1, 0.02, 0.2, p=0.049), cmp(0.1, 0.02, 0.2, p=0.01)]) == rep.HOLDS
    assert rep.agreement([cmp(0.1, 0.02, 0.2, p=0.051), cmp(0.1, 0.02, 0.2, p=0.01)]) == rep.MIXED


def _base(seed):
    spec = dataclasses.replace(SPEC, seed=seed)
    torch.manual_seed(seed)
    model = llama.build_model(spec)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    history = [{"step": 0, "loss": 5.0, "tokens": 512, "seconds": 1.0, "lr": 1e-3}]
    return BaseModel(spec, lm_data.Data(spec), model, state, history, True, torch.device("cpu"))


def _searches(scales):
    dim = SPEC.hidden // SPEC.heads
    out = {
        (s, 0): SearchResult(
            Candidate(tuple(float(x) for x in rp.factors_yarn(s, dim, SPEC.rope_theta, SPEC.train_length)), 0), 10.0
        )
        for s in scales
    }
    return Section(None, {}, results={"searches": out, "chosen": {s: 0 for s in scales}})


@pytest.fixture(scope="module")
def section():
    first = _base(0)
    searches = _searches(P.scales)
    nll, keys = rep.scored_arms(first, P, searches, seed=0)
    trained = []
    patch = pytest.MonkeyPatch()
    patch.setattr(rep, "trained_base", lambda spec, device: trained.append(spec.seed) or _base(spec.seed))
    patch.setattr(rep, "longrope_searches", lambda base, prof, progress=None: _searches(prof.scales))
    try:
        out = rep.replication(first, P, nll, keys, searches, seed=0)
    finally:
        patch.undo()
    return out, nll, trained


def test_first_base_model_is_not_trained_or_scored_again(section):
    out, nll, trained = section
    assert trained == [4]
    for label, values in nll.items():
        np.testing.assert_array_equal(out.results[0][0][label], values)


def test_every_base_model_scores_every_arm_on_the_same_units(section):
    out, _, _ = section
    t = pd.DataFrame(out.trials)
    assert set(t.experiment) == {"replication"} and set(t.seed) == set(P.base_seeds)
    ppl = t[t.metric == "nll_last_L"].groupby(["seed", "arm"]).unit.apply(list)
    assert len(ppl) == len(P.base_seeds) * len(rep.PPL_METHODS)
    assert all(u == list(range(P.eval_chunks)) for u in ppl)
    keys = t[(t.metric == "exact") & (t.scale > 1)].groupby(["seed", "arm"]).unit.apply(list)
    assert len(keys) == len(P.base_seeds) * len(ts.PASSKEY_METHODS)
    # retrieval at L on every base model, so that a failure at the top scale can be told from a failure to learn
    at_L = t[(t.metric == "exact") & (t.arm == rep.AT_L)]
    assert set(at_L.seed) == set(P.base_seeds) and set(at_L.scale) == {1}
    for s in P.base_seeds:
        fig = out.figures[f"rep_passkey_at_L_base{s}"]
        assert fig["n"] == len(at_L[at_L.seed == s]) == P.passkey_trials * len(P.passkey_depths)
        assert fig["value"] == pytest.approx(at_L[at_L.seed == s].value.mean())


def test_pooled_comparison_pairs_windows_across_base_models(section):
    out, _, _ = section
    by = {c["id"]: c for c in out.comparisons}
    yarn, lr = rp.LABELS["yarn"], rp.LABELS["longrope"]
    a = np.mean([out.results[s][0][yarn] for s in P.base_seeds], axis=0)
    b = np.mean([out.results[s][0][lr] for s in P.base_seeds], axis=0)
    pooled = by["rep_ppl_lr_vs_yarn_pooled"]
    assert pooled["n"] == P.eval_chunks and pooled["diff"] == pytest.approx(float((b - a).mean()))
    assert pooled["ci95"] == stats.paired_diff(a, b, seed=0)["ci95"]
    for s in P.base_seeds:
        c = by[f"rep_ppl_lr_vs_yarn_base{s}"]
        assert c["base_seed"] == s and c["diff"] == pytest.approx(
            float((out.results[s][0][lr] - out.results[s][0][yarn]).mean())
        )
        assert out.figures[f"rep_ppl_lr_vs_yarn_base{s}_relation"] == stats.relation(c)
    key = by["rep_passkey_lr_vs_yarn_pooled"]
    assert key["test"] == "exact McNemar" and key["n"] == len(P.base_seeds) * P.passkey_trials * len(P.passkey_depths)
    assert out.figures["rep_ppl_lr_vs_yarn"] == rep.agreement([by[f"rep_ppl_lr_vs_yarn_base{s}"] for s in P.base_seeds])
    assert len(out.table) == out.figures["rep_comparison_count"]
