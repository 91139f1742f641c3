"""LongRoPE part 2's section functions: every glue key of the chapter, the paired comparisons, the
small helpers, and the SmolLM2 path at CPU size."""

import dataclasses

import numpy as np
import pytest
import torch

from lcreport import stats
from lcreport.chapters.base_model import BaseModel
from lcreport.chapters.c05_finetuning import arms as fs
from lcreport.chapters.c05_finetuning import readjustment as sf
from lcreport.chapters.c05_finetuning import seeds as fsd
from lcreport.chapters.c05_finetuning import smollm2
from lcreport.chapters.c05_finetuning import windows as wn
from lcreport.data.assets import MissingAssetError, require
from lcreport.longrope import stages as st
from lcreport.models import llama, pretrained
from lcreport.models import rope as rp
from lcreport.profiles import PROFILES, SearchSettings
from lcreport.results import COMPARISON_FIELDS, TRIAL_COLUMNS, Run

SMOKE = PROFILES["smoke"]
SPEC = dataclasses.replace(SMOKE.llama, steps=2, warmup=1, copy_warmup_steps=1)
#: the smoke profile cut further: one step of everything
P = dataclasses.replace(
    SMOKE,
    llama=SPEC,
    ft_steps=1,
    ft_batch=1,
    stage_search=SearchSettings(3, 1, 1, 1, 1),
    stage_chunks=2,
    stage_trials=1,
    passkey_depths=(0.5,),
    eval_chunks=2,
    dw_models=((1, 32), (2, 32)),
    dw_length=16,
    dw_steps=1,
    dw_multiples=(1, 2),
    overfit_lengths=(16, 32),
)
CPU = torch.device("cpu")
#: every figure the chapter glues on a profile that skips SmolLM2 (the claims registry and the prose read them)
GLUE_KEYS = {
    "base_passkey_L",
    "base_ppl_L",
    "bert_depth_times_width",
    "bert_positions",
    "control_passkey_SL",
    "control_ppl_L",
    "control_ppl_SL",
    "dw_base_predicted",
    "dw_base_window",
    "dw_base_window_over_predicted",
    "dw_length",
    "dw_max_window_over_L",
    "dw_predicted_growth",
    "dw_table",
    "dw_window_growth",
    "effective_rows",
    "dw_growth_censored",
    "dw_censored_models",
    "dw_longest_tested",
    "effective_short_of_claimed",
    "effective_table",
    "ft_gain_longrope",
    "ft_minutes_each",
    "ft_scale",
    "ft_share_of_pretraining",
    "ft_steps",
    "ft_tokens",
    "long_at_L_ppl",
    "lr_ft_passkey_SL",
    "lr_ft_ppl_SL",
    "lr_noft_ppl_SL",
    "oneshot_ppl_top",
    "overfit_gap_growth",
    "overfit_gap_long",
    "overfit_gap_short",
    "overfit_growth_by_seed",
    "overfit_model",
    "overfit_seeds",
    "overfit_table",
    "paper_ft_steps",
    "pi_ft_passkey_SL",
    "pi_ft_ppl_SL",
    "pi_ft_vs_base",
    "pi_noft_ppl_SL",
    "prog_ppl_top",
    "prog_top_scale",
    "progressive_effective",
    "progressive_table",
    "progressive_vs_oneshot",
    "short_at_L_ppl",
    "short_factors",
    "short_readjusted_vs_base",
    "short_vs_long_at_L",
    "plain_at_L_ppl",
    "base_at_L_readjust_ppl",
    "short_chosen_start",
    "readjust_eval_windows",
    "readjust_evaluations",
    *{f"short_{k}_distance_from_{d}" for k in sf.FROM_START for d in ("long", "identity")},
    *{f"short_{k}_distance_from_identity_within_L" for k in sf.FROM_START},
    "readjust_dims_within_L",
    "readjust_dims",
    *{
        f"rel_{cid}"
        for cid in (
            "readjusted_vs_long_at_L",
            "readjusted_identity_vs_long_at_L",
            "readjusted_long_vs_long_at_L",
            "readjusted_identity_vs_long_start_at_L",
            "long_vs_base_at_L",
            "readjusted_vs_base_at_L",
            "plain_vs_base_at_L",
            "readjusted_identity_vs_base_at_L",
            "readjusted_long_vs_base_at_L",
        )
    },
    "smollm_status",
    "stage_table",
    "switch_agreement",
    "switch_ppl_cached",
    "switch_ppl_recomputed",
    "switch_readjusted_agreement",
    "switch_recompute_seconds",
    "switch_short_long_distance",
    "train_minutes_all",
    "yarn_ft_passkey_SL",
    "yarn_ft_ppl_SL",
    # quoted in the prose (lcreport.prose: no typed numbers): settings, tolerances, the paper's and SmolLM2's facts
    "ci_level",
    "dw_base_hidden",
    "dw_base_layers",
    "paper_ft_k_first",
    "paper_ft_k_second",
    "paper_ft_steps_first",
    "paper_ft_steps_second",
    "paper_top_k",
    "ppl_tolerance",
    "smollm_asset",
    "smollm_gpu_longest",
    "smollm_gpu_shortest",
    # the effective window's tasks (lcreport.longrope.stages)
    "effective_scores",
    "window_copy_answer",
    "window_threshold",
    "window_trials",
    "window_task_count",
    "window_tasks_judged",
    "window_tasks_judged_names",
    "window_tasks_unjudged_names",
    "window_beyond_L_text",
    "window_disagreement_count",
    "window_disagreements_text",
    "copy_at_L_text",
    "control_copy_at_L_text",
    "copy_cost_text",
    "copy_gained_at_S_text",
    "ft_passkey_at_S_text",
    "extended_fail_text",
    *{f"window_base_{k}_at_L" for k in wn.TASK_KEYS.values()},
    # the seed study (lcreport.chapters.c05_finetuning.seeds)
    "ft_holds_count",
    "ft_comparison_count",
    "ft_seed_count",
    "ft_seed_windows",
    "ft_seed_prompts",
    "ft_seed_base_ppl_L",
    "ft_pi_vs_base_mean",
    "ft_pi_vs_base_worst",
    "ft_seed_ppl_spread_max",
    "ft_seed_table",
    *{name for ids, _, _ in fsd.PAIRS for name in (ids.ppl, ids.passkey)},
    *{f"{ids.ppl}_relation" for ids, _, _ in fsd.PAIRS},
    *{f"{ids.passkey}_relation" for ids, _, _ in fsd.PAIRS},
    *{f"ft_seed_{m}_{k}" for m in ("ppl", "passkey") for k in fsd.KEYS.values()},
    *{f"{ids.ppl}_seed{s}_relation" for ids, _, _ in fsd.PAIRS for s in P.ft_seeds},
    # section 1's pass keys and section 2's arms (lcreport.chapters.c05_finetuning.arms)
    "stage_passkey_n",
    "prog_stretched_ppl_top",
    "prog_windows",
    "prog_scales_text",
    *{
        f"rel_{c}_{tag}"
        for c in ("progressive_vs_oneshot", "progressive_vs_stretched", "stretched_vs_oneshot")
        for tag in ["top", *(str(s) for s in sorted(P.prog_scales)[:-1])]
    },
}


def test_helpers():
    assert fs.halved(12) == 6 and fs.halved(3) == 2 and fs.halved(1) == 2
    assert fs.stage_lengths(64, 2) == [64, 128, 256] and fs.stage_lengths(64, 4) == [64, 128, 256, 512]
    assert wn.progressive_lengths(64, 16) == [64, 128, 256, 512, 1024]
    assert (
        wn.claimed_window("control", "fine-tuned", 64, 4)
        == wn.claimed_window("plain RoPE", "no fine-tuning", 64, 4)
        == 64
    )
    assert (
        wn.claimed_window("PI", "no fine-tuning", 64, 4) == wn.claimed_window("plain RoPE", "fine-tuned", 64, 4) == 256
    )
    s = sf.short_search_settings(PROFILES["cpu"])
    assert s.samples == sf.readjust_windows(PROFILES["cpu"]) == 2 * PROFILES["cpu"].stage_chunks
    assert dataclasses.replace(s, samples=2, seeds=PROFILES["cpu"].search.seeds) == PROFILES["cpu"].search
    assert sf.readjust_eval_windows(PROFILES["cpu"]) >= 100
    assert sum(fs.PAPER_FT_STEPS) == 1000


def test_paired_comparison_pairs_windows_and_filters_experiment_and_scale():
    rows = [
        {"experiment": "e", "arm": arm, "scale": 2.0, "seed": 0, "unit": u, "metric": "nll", "value": v, "length": 128}
        for arm, vals in (("a", [1.0, 2.0, 3.0]), ("b", [0.5, 1.5, 2.0]))
        for u, v in enumerate(vals)
    ]
    rows += [{**r, "experiment": "other", "value": 99.0} for r in rows]  # ignored: another experiment
    rows += [{**r, "scale": 4.0, "value": -99.0} for r in rows[:6]]  # ignored: another scale
    c = fs.paired_comparison(rows, "b_vs_a", "e", 2, "a", "b")
    assert set(COMPARISON_FIELDS) <= set(c)
    assert c["diff"] == pytest.approx(np.mean([-0.5, -0.5, -1.0])) and c["n"] == 3 and c["ci95"][1] < 0
    Run("demo", profile=SMOKE, device=CPU).compare(c)  # the results contract accepts it


def test_evaluate_units_are_the_windows_behind_the_perplexity(data):
    model = llama.build_model(SPEC)
    units = []
    rows = st.evaluate(model, data, SPEC, [64, 128], chunks=3, depths=(0.5,), trials=1, units=units)
    assert rows == st.evaluate(model, data, SPEC, [64, 128], chunks=3, depths=(0.5,), trials=1)
    assert [(u["length"], u["window"]) for u in units] == [(n, i) for n in (64, 128) for i in range(3)]
    for r in rows:
        nll = [u["nll last L"] for u in units if u["length"] == r["length"]]
        assert np.exp(np.mean(nll)) == pytest.approx(r["ppl last L"], rel=1e-5)


@pytest.fixture(scope="module")
def chapter(tmp_path_factory, data):
    """Every section of part 2, in order, on an untrained smoke-size model: (run, context, {section: (table,
    figures)}, depth × width curves). Fine-tuned and small models are trained into a temporary cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("LCREPORT_CACHE", str(tmp_path_factory.mktemp("cache")))
    base = llama.build_model(SPEC)
    dim = SPEC.hidden // SPEC.heads
    run = Run("longrope2", profile=P, device=CPU, seed=0)
    trained = BaseModel(SPEC, data, base, st.state_of(base), [], True, CPU)
    ctx = fs.FinetuneContext(
        run=run,
        trained=trained,
        base_key="test",
        lr_factors=rp.factors_yarn(P.ft_scale, dim, SPEC.rope_theta, SPEC.train_length),
    )
    out = {"fine-tune": fs.fine_tune_arms(ctx), "stages": fs.stage_evaluation(ctx)}
    seed_table, seed_comparisons, seed_figures = fsd.seed_study(ctx)
    out["seeds"] = (seed_table, seed_figures)
    out |= {
        "progressive": fs.progressive_extension(ctx),
        "readjust": sf.readjustment(ctx),
        "switch": sf.switch_study(ctx),
        "effective": wn.effective_windows(ctx),
    }
    dw, curves, figures = wn.depth_width(ctx)
    out["depth-width"] = (dw, figures)
    out["seed comparisons"] = (seed_comparisons, {})
    out["overfit"] = wn.overfit_gap(ctx)
    out["smollm2"] = smollm2.smollm2_extension(P, CPU)
    yield run, ctx, out, curves
    mp.undo()


def test_the_sections_give_every_glue_key_of_the_chapter(chapter):
    run, _, out, _ = chapter
    keys = [k for _, figures in out.values() for k in figures]
    assert len(keys) == len(set(keys))
    assert set(keys) == GLUE_KEYS  # and smollm_table where the section runs
    figures = {k: v for _, f in out.values() for k, v in f.items()}
    assert figures["ft_steps"] == 1 and figures["prog_top_scale"] == max(P.prog_scales)
    assert figures["effective_rows"] == 11 and figures["bert_depth_times_width"] == 12 * 768
    assert figures["train_minutes_all"] > 0 and figures["smollm_status"] == "not run on the smoke profile"


def test_the_sections_record_trials_and_comparisons(chapter, tmp_results):
    run, ctx, out, _ = chapter
    seeded = [
        f"{name}_{u}"
        for ids, _, _ in fsd.PAIRS
        for name in (ids.ppl, ids.passkey)
        for u in [f"seed{s}" for s in P.ft_seeds] + ["pooled"]
    ]
    assert [c["id"] for c in run.comparisons] == [
        "ft_longrope_vs_control_SL",
        "ft_longrope_vs_noft_SL",
        *seeded,
        "progressive_vs_oneshot_top",
        "progressive_vs_stretched_top",
        "stretched_vs_oneshot_top",
        "readjusted_vs_long_at_L",
        "readjusted_identity_vs_long_at_L",
        "readjusted_long_vs_long_at_L",
        "readjusted_identity_vs_long_start_at_L",
        "long_vs_base_at_L",
        "readjusted_vs_base_at_L",
        "plain_vs_base_at_L",
        "readjusted_identity_vs_base_at_L",
        "readjusted_long_vs_base_at_L",
    ]
    by = {c["id"]: c for c in run.comparisons}
    # readjustment's recovery is the difference of the two comparisons with the base model, window by window
    assert by["readjusted_vs_base_at_L"]["diff"] - by["long_vs_base_at_L"]["diff"] == pytest.approx(
        by["readjusted_vs_long_at_L"]["diff"]
    )
    assert by["readjusted_identity_vs_long_at_L"]["diff"] - by["readjusted_long_vs_long_at_L"]["diff"] == pytest.approx(
        by["readjusted_identity_vs_long_start_at_L"]["diff"]
    )
    # the chosen search is one of the two, and the comparison of the chosen one is that search's
    chosen = next(k for k, v in sf.FROM_START.items() if v == out["readjust"][1]["short_chosen_start"])
    assert by["readjusted_vs_long_at_L"]["diff"] == by[f"readjusted_{chosen}_vs_long_at_L"]["diff"]
    assert by["readjusted_vs_long_at_L"]["n"] == sf.readjust_eval_windows(P)
    assert all("detectable" in c for c in run.comparisons if c["test"] != "exact McNemar")
    assert all("p" in c for c in run.comparisons if c["test"] == "exact McNemar")
    assert all(set(TRIAL_COLUMNS) <= set(t) for t in run.trials)
    # the comparison of progressive and one-shot is over the windows behind the table's perplexities
    prog = out["progressive"][0]
    top = max(P.prog_scales)
    nll = {
        arm: [
            t["value"] for t in run.trials if t["experiment"] == "progressive" and t["arm"] == arm and t["scale"] == top
        ]
        for arm in ("progressive", "one-shot")
    }
    assert np.exp(np.mean(nll["progressive"])) == pytest.approx(
        prog.loc[(top, "progressive"), "held-out ppl (last L)"], rel=1e-5
    )
    c = by["progressive_vs_oneshot_top"]
    assert c["diff"] == pytest.approx(np.mean(nll["progressive"]) - np.mean(nll["one-shot"]))
    assert c["n"] == fs.halved(P.stage_chunks)
    stretched = [
        t["value"]
        for t in run.trials
        if t["experiment"] == "progressive" and t["arm"] == fs.PROG_STRETCHED and t["scale"] == top
    ]
    assert by["progressive_vs_stretched_top"]["diff"] == pytest.approx(np.mean(nll["progressive"]) - np.mean(stretched))
    # section 1's pass keys: one trial row per prompt, and the glued share (with its Wilson interval) read from them
    stage_figures = out["stages"][1]
    SL = ctx.S * ctx.L
    keys = [
        t["value"]
        for t in run.trials
        if t["experiment"] == "stages"
        and t["metric"] == "exact"
        and t["arm"] == "LongRoPE (fine-tuned)"
        and t["length"] == SL
    ]
    share = stage_figures["lr_ft_passkey_SL"]
    assert len(keys) == share["n"] == stage_figures["stage_passkey_n"] and share["value"] == pytest.approx(
        np.mean(keys)
    )
    assert share["ci95"][0] <= share["value"] <= share["ci95"][1]
    run.save()  # trials and comparisons are written


def test_overfitting_is_measured_on_every_training_seed(chapter):
    _, _, out, _ = chapter
    overfit, figures = out["overfit"]
    assert figures["overfit_seeds"] == len(P.base_seeds) == len(figures["overfit_growth_by_seed"])
    growth = figures["overfit_gap_growth"]
    assert growth["value"] == pytest.approx(np.mean(figures["overfit_growth_by_seed"])) and growth["n"] == len(
        P.base_seeds
    )
    assert growth["ci95"][0] < growth["value"] < growth["ci95"][1]
    for s, g in zip(P.base_seeds, figures["overfit_growth_by_seed"]):
        assert g == pytest.approx(overfit[f"gap, seed {s}"].iloc[-1] - overfit[f"gap, seed {s}"].iloc[0])
    assert stats.mean_t_interval([0.5]) == 0.5  # one trained model: no interval


def test_the_seed_study_pairs_windows_within_each_seed_and_pools_them(chapter):
    run, _, out, _ = chapter
    table, figures = out["seeds"]
    seeds = list(P.ft_seeds)
    assert list(table.index) == [fsd.NO_FT, *fsd.SEED_ARMS] and figures["ft_seed_count"] == len(seeds)
    rows = [t for t in run.trials if t["experiment"] == "finetune"]
    nll = {(t["arm"], t["seed"]): [] for t in rows if t["metric"] == fs.NLL_LAST}
    for t in rows:
        if t["metric"] == fs.NLL_LAST:
            nll[t["arm"], t["seed"]].append(t["value"])
    # one window set: every arm and seed scored on the same number of windows, the base model at L too
    assert {len(v) for v in nll.values()} == {P.eval_chunks}
    by = {c["id"]: c for c in run.comparisons}
    for ids, a, b in fsd.PAIRS:
        per = [by[f"{ids.ppl}_seed{s}"]["diff"] for s in seeds]
        for s, d in zip(seeds, per):
            assert d == pytest.approx(np.mean(nll[b, s]) - np.mean(nll[a, s]), abs=1e-6)
        # the pooled difference is the mean of the per-seed ones (windows averaged over seeds)
        assert by[ids.ppl_pooled]["diff"] == pytest.approx(np.mean(per), abs=1e-6)
        assert by[ids.passkey_pooled]["n"] == len(seeds) * figures["ft_seed_prompts"]
    # the model without fine-tuning is the same on every seed
    assert len({tuple(np.round(nll[fsd.NO_FT, s], 6)) for s in seeds}) == 1
    assert table.loc["PI", "ppl spread"] >= 0 and figures["ft_pi_vs_base_worst"] >= figures["ft_pi_vs_base_mean"]


def test_the_seed_study_refuses_a_single_seed(chapter):
    _, ctx, _, _ = chapter
    one = dataclasses.replace(ctx, run=Run("longrope2", profile=dataclasses.replace(P, ft_seeds=(0,)), device=CPU))
    with pytest.raises(ValueError, match="at least two fine-tune seeds"):
        fsd.seed_study(one)


def test_the_sections_fill_the_context_and_the_plots_draw(chapter):
    _, ctx, out, curves = chapter
    assert set(ctx.tuned) == set(fs.FT_ARMS) and ctx.short_factors.shape == ctx.lr_factors.shape
    assert list(ctx.effective.index)[-1] == f"LongRoPE progressive ({max(P.prog_scales)}×)"
    assert list(out["switch"][0].index) == [sf.PLAIN_UP_TO_L, sf.READJUSTED]
    assert out["fine-tune"][0].loc["control", "length"] == SPEC.train_length
    for fig in (
        fs.plot_stages(ctx.stages, ctx.L, ctx.S),
        wn.plot_windows(ctx.effective),
        wn.plot_length_profiles(curves),
        wn.plot_overfit(out["overfit"][0]),
        wn.plot_window_scores(out["effective"][1]["effective_scores"]),
    ):
        assert fig.axes


def test_searched_factors_reads_part_one_and_names_the_missing_scale(tmp_results):
    run = Run("longrope", profile=SMOKE, device=CPU)
    run.record("searched_factors", {"2": [1.0, 1.5]})
    run.save()
    assert fs.searched_factors(2).tolist() == [1.0, 1.5]
    with pytest.raises(KeyError, match="scale 4"):
        fs.searched_factors(4)


def test_reconfigured_keeps_the_weights_and_takes_the_new_rope():
    model = llama.build_model(SPEC)
    dim = SPEC.hidden // SPEC.heads
    params, _ = rp.rope_parameters(
        "longrope", 2, SPEC.train_length, long_factor=rp.factors_yarn(2, dim, SPEC.rope_theta, SPEC.train_length)
    )
    new = pretrained.reconfigured(model, params, 2 * SPEC.train_length)
    assert new is not model and new.config.rope_parameters["rope_type"] == "longrope"
    assert new.config.rope_parameters["rope_theta"] == SPEC.rope_theta and new.config.max_position_embeddings == 128
    assert all(torch.equal(a, b) for a, b in zip(new.state_dict().values(), model.state_dict().values()))
    ids = torch.arange(2 * SPEC.train_length)[None] % SPEC.vocab_size
    assert not torch.allclose(new(input_ids=ids).logits, model(input_ids=ids).logits)  # positions past L differ


def test_smollm2_loads_offline_and_the_extension_path_runs_at_cpu_size():
    """The gpu profile's path at CPU size: SmolLM2-135M from the wheel's GGUF, re-configured by every method
    of section 8 for 384 tokens with the native window pretended to be 256, scored on repeated text."""
    try:
        require("smollm2")
    except MissingAssetError:
        pytest.skip("asset smollm2 not fetched (python -m lcreport fetch smollm2)")
    model, tok = pretrained.load_smollm2()
    assert type(model).__name__ == "LlamaForCausalLM" and model.config.max_position_embeddings == 8192
    assert model.config.rope_parameters["rope_theta"] == 100000.0
    ids = np.array(
        tok(
            "It is a truth universally acknowledged, that a single man in possession of a good fortune, "
            "must be in want of a wife. " * 20
        )["input_ids"],
        dtype=np.int64,
    )
    rows = smollm2.extension_perplexities(model, ids, [384], native=256, windows=1)
    assert [r["method"] for r in rows] == list(smollm2.SMOLLM_METHODS)
    assert all(1 < r[smollm2.PPL_COLUMN] < 50 for r in rows)  # repeated text: a real pretrained model predicts it well


def test_the_smollm2_section_runs_end_to_end_at_cpu_size():
    """Section 8 as the gpu profile runs it (held-out books, every method, the table and figures), at lengths a
    CPU affords: a native window pretended to be 256 tokens, extended to 512."""
    try:
        require("smollm2")
    except MissingAssetError:
        pytest.skip("asset smollm2 not fetched (python -m lcreport fetch smollm2)")
    table, figures = smollm2.smollm2_extension(dataclasses.replace(P, smollm_lengths=(256, 512)), CPU, native=256)
    assert figures["smollm_status"] == "run on this profile"
    assert list(table.columns) == [256, 512] and set(table.index) == set(smollm2.SMOLLM_METHODS)
    assert len(figures["smollm_table"]) == 2 * len(smollm2.SMOLLM_METHODS)
    at_native = table[256]
    # at its native length every method is plain RoPE (scale 1), so all four agree
    assert at_native.max() - at_native.min() < 1e-3 * at_native.min() and 1 < at_native.min() < 200
    assert (table[512] > 1).all() and np.isfinite(table.to_numpy()).all()


def test_growth_censoring_reads_which_window_reached_the_longest_length():
    from lcreport.claims import rules_common as rc

    assert wn.growth_censoring(256, 512, 1024) == rc.GROWTH_MEASURED
    assert wn.growth_censoring(256, 1024, 1024) == rc.GROWTH_LOWER_BOUND
    assert wn.growth_censoring(1024, 1024, 1024) == rc.GROWTH_UNMEASURABLE
    assert wn.growth_censoring(1024, 512, 1024) == rc.GROWTH_UPPER_BOUND
