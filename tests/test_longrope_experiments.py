"""LongRoPE part 1's experiment functions: per-unit rows, paired comparisons, the retrieval bar, the glue."""

import dataclasses

import numpy as np
import pytest
import torch

from lcreport import stats
from lcreport.chapters.base_model import BaseModel
from lcreport.chapters.c04_longrope import no_finetuning as ex
from lcreport.chapters.c04_longrope import top_scale as ts
from lcreport.chapters.sections import Section, record
from lcreport.longrope import evaluation as ev
from lcreport.longrope.evolution import Candidate, SearchResult
from lcreport.models import llama, lm_data
from lcreport.models import rope as rp
from lcreport.profiles import PROFILES
from lcreport.results import COMPARISON_FIELDS, TRIAL_COLUMNS, Run

SMOKE = PROFILES["smoke"]
SPEC = dataclasses.replace(SMOKE.llama, steps=3, warmup=1)
P = dataclasses.replace(
    SMOKE,
    llama=SPEC,
    scales=(2,),
    eval_chunks=3,
    passkey_trials=3,
    passkey_depths=(0.2, 0.8),
    search=dataclasses.replace(SMOKE.search, seeds=(3, 5)),
)


@pytest.fixture(scope="module")
def base():
    data = lm_data.Data(SPEC)
    model = llama.build_model(SPEC)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    history = [{"step": 0, "loss": 5.0, "tokens": 512, "seconds": 1.0, "lr": 1e-3}]
    return BaseModel(SPEC, data, model, state, history, True, torch.device("cpu"))


@pytest.fixture(scope="module")
def searches():
    """Two stand-in search results per scale (searching itself is tested in test_longrope_search.py); seed 5
    (PI's factors, n̂ = 0) stands as the one chosen on validation."""
    dim = SPEC.hidden // SPEC.heads
    out = {}
    for s in P.scales:
        for sd, f in zip(P.search.seeds, (rp.factors_yarn, rp.factors_pi)):
            factors = tuple(float(x) for x in f(s, dim, SPEC.rope_theta, SPEC.train_length))
            out[(s, sd)] = SearchResult(
                Candidate(factors, 4 if sd == 3 else 0), 10.0, initial={"PI": 12.0, "NTK": 11.0, "YaRN": 10.5}
            )
    return Section(None, {}, results={"searches": out, "chosen": {s: 5 for s in P.scales}})


@pytest.fixture(scope="module")
def methods(base, searches):
    return ex.methods_by_scale(base, P, searches, seed=0)


@pytest.fixture(scope="module")
def grid(base, searches, methods):
    return ts.temperature_grid(base, P, searches, methods, seed=0)


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
    """Every method at every scale has one nll row per window; the per-unit rows average back to the
    table's figures; LongRoPE is the search chosen on validation."""
    import pandas as pd

    trials = pd.DataFrame(methods.trials)
    assert set(TRIAL_COLUMNS) <= set(trials.columns)
    table = methods.results["methods"].set_index("method")
    assert list(table.index) == [rp.LABELS[m] for m in ex.FIXED_METHODS] + [ts.LR]
    for label, row in table.iterrows():
        nll = ts.unit_values(trials, "ppl_noft", label, 2, "nll_last_L")
        assert len(nll) == P.eval_chunks
        assert np.exp(nll.mean()) == pytest.approx(row["ppl last L"], rel=1e-5)
        assert nll == pytest.approx(methods.results["scored"][label])
        assert row["last lo"] <= row["ppl last L"] <= row["last hi"]


def test_the_chosen_search_is_the_one_applied(base, searches, methods):
    from lcreport.longrope.extension import extended_model

    kw = ex.chosen_kwargs(searches, 2)
    assert kw["n_hat"] == 0 and kw["long_factor"] == searches.results["searches"][(2, 5)].best.factors
    m = extended_model(base.state, SPEC, "longrope", 2, **kw)
    nll = ev.perplexity(m, ex.evaluation_chunks(base, 2 * SPEC.train_length, P, 0), SPEC.train_length)[
        "nll_last_chunks"
    ]
    assert nll == pytest.approx(methods.results["scored"][ts.LR])


def test_searches_are_chosen_on_the_validation_split(base, tmp_path, monkeypatch):
    """A real (tiny) search per seed; the chosen seed has the lowest validation perplexity, and the
    validation split shares no token position with the search book's fitness part."""
    monkeypatch.setenv("LCREPORT_CACHE", str(tmp_path))  # every search runs (none from the cache)
    tiny = dataclasses.replace(
        P,
        search=dataclasses.replace(
            SMOKE.search, population=3, generations=1, mutations=1, crossovers=1, samples=2, seeds=(0, 1)
        ),
    )
    section = ex.longrope_searches(base, tiny)
    rows = section.table.reset_index()
    best = rows.loc[rows["validation ppl"].idxmin(), "seed"]
    assert section.results["chosen"][2] == best and section.figures["search_chosen_top"] == best
    assert (rows.chosen == "✓").sum() == 1
    assert section.figures["searched_factors"]["2"] == list(section.results["searches"][(2, best)].best.factors)
    d = base.data
    assert len(d.search) + len(d.validation) > 0 and len(d.validation) >= 2 * 2 * SPEC.train_length
    assert len(d.search) == int((len(d.search) + len(d.validation)) * lm_data.SEARCH_SHARE)


def test_top_scale_comparisons_pair_by_window(methods, base):
    plain = ex.plain_rope_by_length(base, P, seed=0)
    found = ts.top_scale_findings(methods, plain, P, seed=0)
    by_id = {c["id"]: c for c in found.comparisons}
    assert list(by_id) == [cid for cid, *_ in ts.COMPARISONS]
    scored = methods.results["scored"]
    for cid, key, a, b in ts.COMPARISONS:
        c = by_id[cid]
        assert set(COMPARISON_FIELDS) <= set(c) and c["n"] == P.eval_chunks and c["detectable"] > 0
        assert c["diff"] == pytest.approx((scored[b] - scored[a]).mean())
        assert found.figures[key] == stats.relation(c)
    assert found.figures["lr_best_ppl"]["value"] == pytest.approx(np.exp(scored[ts.LR].mean()))
    assert found.figures["lr_vs_base_L"] == pytest.approx(
        np.exp(scored[ts.LR].mean()) / plain.table.loc[SPEC.train_length, "ppl (last L tokens)"]
    )


def test_grid_cells_that_are_library_methods_match_them(base, searches, methods):
    """The grid reuses a method's scores for the cells of ``SAME_AS_METHOD``: computed through the longrope
    type with that temperature, each gives the same NLL as the library's own type."""
    from lcreport.longrope.extension import extended_model

    chunks = ex.evaluation_chunks(base, 2 * SPEC.train_length, P, 0)
    dim = SPEC.hidden // SPEC.heads
    for (name, temp), label in ts.SAME_AS_METHOD.items():
        method = ts.FACTOR_SETS[name]
        kw = (
            ex.chosen_kwargs(searches, 2)
            if method is None
            else {"long_factor": rp.FACTOR_FUNCTIONS[method](2, dim, SPEC.rope_theta, SPEC.train_length)}
        )
        m = extended_model(
            base.state, SPEC, "longrope", 2, attention_factor=rp.TEMPERATURES[temp](2, SPEC.train_length), **kw
        )
        nll = ev.perplexity(m, chunks, SPEC.train_length)["nll_last_chunks"]
        assert nll == pytest.approx(methods.results["scored"][label], abs=1e-4), (name, temp)


def test_grid_splits_longrope_minus_yarn_into_factors_and_temperature(grid, methods):
    by_id = {c["id"]: c for c in grid.comparisons}
    scored = methods.results["scored"]
    total = (scored[ts.LR] - scored[rp.LABELS["yarn"]]).mean()
    assert by_id["grid_factors_part"]["diff"] + by_id["grid_temperature_part"]["diff"] == pytest.approx(total, abs=1e-6)
    assert grid.table.shape == (len(ts.FACTOR_SETS), len(rp.TEMPERATURES))
    assert grid.table.loc["PI", "none"] == pytest.approx(np.exp(scored[rp.LABELS["linear"]].mean()))
    assert len(grid.trials) == len(ts.FACTOR_SETS) * len(rp.TEMPERATURES) * P.eval_chunks


def test_temperature_shares():
    scored = {
        ("PI", "none"): np.array([3.0]),
        ("YaRN", "none"): np.array([2.5]),
        ("YaRN", "YaRN's"): np.array([2.0]),
        ("searched", "none"): np.array([2.2]),
        ("searched", "LongRoPE's"): np.array([2.0]),
    }
    shares = ts.temperature_shares(scored)
    assert shares["yarn_gain_over_pi"] == pytest.approx(1.0) and shares["yarn_temperature_share"] == pytest.approx(0.5)
    assert shares["lr_temperature_share"] == pytest.approx(0.2)


def test_search_heldout_sets_each_seed_against_its_best_start(base, searches, grid):
    section = ts.search_heldout(base, P, searches, grid, seed=0)
    assert [c["id"] for c in section.comparisons] == ["search_gain_seed3", "search_gain_seed5"]
    start = section.table["starting point"].iloc[0]
    assert start == "YaRN"  # the lowest initial search fitness of the stand-ins
    c = section.comparisons[1]  # the chosen seed reuses the grid's scores
    expected = grid.results["scored"][("searched", "LongRoPE's")] - grid.results["scored"][("YaRN", "LongRoPE's")]
    assert c["diff"] == pytest.approx(expected.mean()) and c["a"] == ts.grid_arm("YaRN", "LongRoPE's")
    assert section.figures["search_gain_chosen"]["value"] == pytest.approx(c["diff"])
    assert section.figures["search_gain_is_factors_part"]  # chosen search from YaRN: the grid's factors part
    assert "same comparison" in section.figures["search_gain_what"]
    worse = sum(x["ci95"][0] > 0 for x in section.comparisons)
    assert section.figures["search_losses_excluding_zero"] == worse


def test_pass_keys_at_the_top_scale_pair_the_same_prompts(base, searches):
    section = ts.passkeys_top(base, P, searches, seed=0)
    import pandas as pd

    trials = pd.DataFrame(section.trials)
    per_arm = P.passkey_trials * len(P.passkey_depths)
    for experiment in ("passkey_noft", "passkey_ood"):
        units = trials[(trials.experiment == experiment) & (trials.metric == "exact")].groupby("arm").unit.apply(list)
        assert len(units) == len(ts.PASSKEY_METHODS) and all(u == list(range(per_arm)) for u in units)
    ids = [c["id"] for c in section.comparisons]
    assert ids == ["passkey_lr_vs_yarn", "passkey_lr_vs_pi", "passkey_ood_lr_vs_yarn", "passkey_ood_lr_vs_pi"]
    assert all(c["test"] == "exact McNemar" and c["n"] == per_arm for c in section.comparisons)
    lo, hi = section.figures["lr_passkey_top"]["ci95"]
    assert lo <= section.figures["lr_passkey_top"]["value"] <= hi


def test_retrieval_relation_reads_the_mcnemar_test():
    assert ts.retrieval_relation({"p": 0.01, "diff": 0.2}) == "more often than"
    assert ts.retrieval_relation({"p": 0.01, "diff": -0.2}) == "less often than"
    assert ts.retrieval_relation({"p": 0.2, "diff": 0.2}) == "not detectably more or less often than"


def test_n_hat_of_zero_needs_no_second_arm(base, searches, methods):
    section = ts.n_hat_ablation(base, P, searches, methods, seed=0)
    c = section.comparisons[0]
    assert section.figures["nhat_value"] == 0 and c["diff"] == 0 and c["ci95"] == [0.0, 0.0]


def test_retrieval_at_L_scores_both_templates(base):
    section = ex.retrieval_at_L(base, P, seed=0)
    experiments = {r["experiment"] for r in section.trials}
    assert experiments == {"passkey_at_L", "passkey_ood"}
    assert section.figures["passkey_ood_exact_at_L"]["n"] == P.passkey_trials * len(P.passkey_depths)
    assert "-" in section.figures["unseen_key_example"]


def test_record_glues_figures_and_keeps_trials_and_comparisons(tmp_results):
    run = Run(chapter="t", profile=SMOKE, device=torch.device("cpu"))
    row = {"experiment": "e", "arm": "a", "scale": 2, "seed": 0, "unit": 0, "metric": "m", "value": 1.0}
    comp = {
        "id": "c",
        "experiment": "e",
        "scale": 2,
        "metric": "m",
        "a": "a",
        "b": "b",
        "diff": 0.0,
        "ci95": [0, 0],
        "n": 1,
        "test": "t",
    }
    table = record(run, Section("T", {"x": 1.5, "y": {"value": 2.0, "ci95": (1, 3), "n": 4}}, [row], [comp]))
    assert table == "T" and run.figures["y"]["ci95"] == [1.0, 3.0] and run.figures["x"]["value"] == 1.5
    assert run.trials == [row] and run.comparisons[0]["id"] == "c"


def test_training_summary_reports_the_cache_and_the_raw_loss_curve(base):
    section = ex.training_summary(base)
    assert section.figures["from_cache"] == "loaded from the cache"
    assert section.figures["loss_curve"] is base.history and section.figures["final_loss"] == 5.0
    assert section.table.loc["training length L", "value"] == SPEC.train_length


def test_methods_plot_draws_every_method(methods):
    from lcreport.chapters.c04_longrope import plots as plots

    fig = plots.plot_methods(methods.results["methods"], SPEC.train_length, ts.LR)
    assert len(fig.axes) == 2
    labels = {c.get_label() for c in fig.axes[1].containers}
    assert labels == {rp.LABELS[m] for m in ex.FIXED_METHODS} | {ts.LR}


def test_the_n_hat_sweep_reads_each_model_its_own_way_and_pairs_every_value_with_zero(base):
    from lcreport.chapters.c04_longrope import start_tokens as stt

    bos_spec = dataclasses.replace(SPEC, bos=True)
    bos_model = llama.build_model(bos_spec)
    torch.manual_seed(1)
    with torch.no_grad():  # a different model, so that the two halves of the sweep differ
        for p in bos_model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    state = {k: v.detach().clone() for k, v in bos_model.state_dict().items()}
    start_base = BaseModel(bos_spec, base.data, bos_model, state, base.history, False, torch.device("cpu"))
    sweep = dataclasses.replace(P, nhat_values=(0, 1, 4))
    section = stt.nhat_sweep(base, start_base, sweep, seed=0)
    ids = [c["id"] for c in section.comparisons]
    assert ids == ["nhat_nostart_1_vs_0", "nhat_nostart_4_vs_0", "nhat_start_1_vs_0", "nhat_start_4_vs_0"]
    assert all(c["n"] == P.eval_chunks for c in section.comparisons)
    # the comparison is the difference of the recorded per-window NLLs
    for tag, label in (("nostart", "no start token"), ("start", "start token")):
        zero = ts.unit_values(section.trials, "nhat", f"{label}, n̂ = 0", 2, "nll_last_L")
        four = ts.unit_values(section.trials, "nhat", f"{label}, n̂ = 4", 2, "nll_last_L")
        c = next(c for c in section.comparisons if c["id"] == f"nhat_{tag}_4_vs_0")
        assert c["diff"] == pytest.approx(float(np.mean(four - zero)))
        assert section.figures[f"nhat_{tag}_chosen"] in (0, 1, 4)
    assert section.figures["nhat_start_model_from_cache"] == "trained in this run"
    assert stt.reading(start_base)(torch.ones(2, 5, dtype=torch.long))[:, 0].tolist() == [base.data.start_id] * 2
    with pytest.raises(ValueError, match="nhat_values"):
        stt.nhat_sweep(base, start_base, dataclasses.replace(P, nhat_values=(1, 4)), seed=0)
    with pytest.raises(ValueError, match="below|lie in"):
        stt.check_sweep((0, SPEC.train_length), SPEC.train_length)


def test_retrieval_decomposition_changes_one_thing_per_step_on_the_same_prompts(base, searches):
    """n̂, then the factors, then the temperature, each an exact McNemar on the prompts of ``passkeys_top``; with
    n̂ = 0 chosen the first step compares an arm with itself."""
    keys = ts.passkeys_top(base, P, searches, seed=0)
    section = ts.retrieval_decomposition(base, P, searches, keys, seed=0)
    by = {c["id"]: c for c in section.comparisons}
    assert list(by) == ["nhat_passkey_searched_vs_zero", "passkey_factors_part", "passkey_temperature_part"]
    per_arm = P.passkey_trials * len(P.passkey_depths)
    assert all(c["test"] == "exact McNemar" and c["n"] == per_arm for c in by.values())
    assert by["nhat_passkey_searched_vs_zero"]["diff"] == 0 and by["nhat_passkey_searched_vs_zero"]["p"] == 1.0
    # the steps chain: each step's b is the next step's a (LongRoPE ← n̂ = 0 ← YaRN factors ← YaRN)
    assert by["passkey_temperature_part"]["b"] == by["passkey_factors_part"]["a"]
    assert by["passkey_factors_part"]["b"] == by["nhat_passkey_searched_vs_zero"]["a"]
    total = sum(c["diff"] for c in by.values())
    assert total == pytest.approx(section.table["pass key exact"].iloc[-1] - section.table["pass key exact"].iloc[0])
    # chosen n̂ = 4 (search seed 3): n̂ = 0 is a second arm on the same prompts
    four = Section(None, {}, results={**searches.results, "chosen": {s: 3 for s in P.scales}})
    section = ts.retrieval_decomposition(base, P, four, ts.passkeys_top(base, P, four, seed=0), seed=0)
    c = section.comparisons[0]
    assert c["b"].endswith("n̂ = 4") and section.figures["nhat_zero_passkey_top"]["n"] == per_arm
    assert sum(r["metric"] == "exact" for r in section.trials) == 2 * per_arm
