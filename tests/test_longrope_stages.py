"""LongRoPE part 2's building blocks: fine-tuning cache, effective windows, the short/long switch, small models."""

import dataclasses
import types

import pytest
import torch

from lcreport.claims.rules_common import WINDOW_THRESHOLD
from lcreport.longrope import evaluation as ev
from lcreport.longrope import extension as ext
from lcreport.longrope import search as sr
from lcreport.longrope import stages as st
from lcreport.models import llama
from lcreport.models import rope as rp
from lcreport.profiles import PROFILES, SearchSettings
from lcreport.stats import wilson
from lcreport.tasks import effective_window as ew

SPEC = dataclasses.replace(PROFILES["smoke"].llama, steps=2, warmup=1, copy_warmup_steps=1)


@pytest.fixture(scope="module")
def state():
    return st.state_of(llama.build_model(SPEC))


def test_fine_tuned_is_cached_and_the_control_keeps_plain_rope(tmp_path, monkeypatch, data, state):
    monkeypatch.setenv("LCREPORT_CACHE", str(tmp_path))
    kw = dict(steps=1, batch_size=1, lr=1e-3, device=torch.device("cpu"), base_key="test")
    model, hist, cached, _ = st.fine_tuned(state, SPEC, data, "linear", 2, **kw)
    assert not cached and model.config.rope_parameters["rope_type"] == "linear"
    assert hist[-1]["tokens"] == 2 * SPEC.train_length
    _, _, cached, _ = st.fine_tuned(state, SPEC, data, "linear", 2, **kw)
    assert cached
    control, hist, _, _ = st.fine_tuned(state, SPEC, data, "control", 2, **kw)
    assert control.config.rope_parameters["rope_type"] == "default"
    assert hist[-1]["tokens"] == 2 * SPEC.train_length  # same tokens as the extended run, at L


def window_row(length, task, hits, n=50):
    lower, upper = wilson(hits, n)
    return {"length": length, "task": task, "hits": hits, "n": n, "rate": hits / n, "lower": lower, "upper": upper}


def test_a_length_is_effective_from_a_wilson_lower_bound_of_the_threshold():
    assert WINDOW_THRESHOLD == 0.8  # the threshold the prose states, which the claims judge by
    assert ew.passes({"lower": 0.8}) and not ew.passes({"lower": 0.8 - 1e-9})  # the chapter judges by it
    # the smallest share of 50 trials whose Wilson lower bound reaches 0.8, and the one below it (bounds by hand:
    # (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), z = 1.96)
    assert wilson(46, 50)[0] == pytest.approx(0.8116, abs=1e-4) and wilson(45, 50)[0] == pytest.approx(0.7864, abs=1e-4)
    assert ew.passes(window_row(64, ew.COPY, 46)) and not ew.passes(window_row(64, ew.COPY, 45))


def test_effective_window_is_the_longest_length_every_judged_task_passes():
    P, C = ew.PASSKEY_TRAIN, ew.COPY
    rows = [
        window_row(64, P, 50),
        window_row(64, C, 50),
        window_row(128, P, 48),
        window_row(128, C, 30),
        window_row(256, P, 47),
        window_row(256, C, 47),
        window_row(512, P, 10),
        window_row(512, C, 50),
    ]
    assert ew.task_window(rows, P) == 256 and ew.task_window(rows, C) == 512  # the longest passing, as in RULER
    assert ew.effective_window(rows, (P, C)) == 256  # 512 fails the pass key; 128 fails the copy, 256 does not
    assert ew.effective_window(rows, (P,)) == 256 and ew.effective_window(rows, (C,)) == 512
    assert ew.effective_window(rows, ()) == 0  # no task can judge the model
    assert ew.effective_window([window_row(64, P, 40)], (P,)) == 0


def test_only_tasks_the_base_model_passes_at_L_judge_an_extension():
    base = [window_row(64, ew.PASSKEY_TRAIN, 50), window_row(64, ew.PASSKEY_UNSEEN, 0), window_row(64, ew.COPY, 46)]
    assert ew.judged_tasks(base) == (ew.PASSKEY_TRAIN, ew.COPY)
    assert ew.judged_tasks([window_row(64, ew.COPY, 45)]) == ()


class Copier(torch.nn.Module):
    """Predicts the token half a sequence back (a perfect copier of copy sequences), or token 0."""

    def __init__(self, copies: bool):
        super().__init__()
        self.copies, self.w = copies, torch.nn.Parameter(torch.zeros(1))

    def forward(self, input_ids, logits_to_keep):
        b, n = input_ids.shape
        logits = torch.zeros(b, n, SPEC.vocab_size)
        if self.copies:
            nxt = torch.roll(
                input_ids, n // 2 - 1, dims=1
            )  # position t predicts token t + 1, a copy of token t + 1 − n/2
            logits.scatter_(2, nxt[..., None], 1.0)
        return types.SimpleNamespace(logits=logits[:, -logits_to_keep:])


def test_copy_exact_scores_a_copier_one_and_anything_else_zero():
    assert ev.copy_exact(Copier(True), SPEC.vocab_size, 64, 7, answer=8) == [1] * 7
    assert ev.copy_exact(Copier(False), SPEC.vocab_size, 64, 7, answer=8) == [0] * 7
    with pytest.raises(ValueError, match="copied answer"):
        ev.copy_exact(Copier(True), SPEC.vocab_size, 16, 1, answer=8)


def test_window_scores_count_trials_per_task_and_length(data, state):
    model, units = llama.build_model(SPEC, state), []
    rows = st.window_scores(model, data, SPEC, [64, 128], ew.WINDOW_TASKS, depths=(0.2, 0.8), trials=3, units=units)
    assert [(r["length"], r["task"]) for r in rows] == [(n, t) for n in (64, 128) for t in ew.WINDOW_TASKS]
    assert {r["n"] for r in rows} == {6} and len(units) == 6 * len(rows)
    assert all(r["lower"] <= r["rate"] <= r["upper"] for r in rows)
    with pytest.raises(ValueError, match="unknown task"):
        st.task_trials(model, data, SPEC, 64, "sorting", depths=(0.5,), trials=1)


def test_switch_pitfall_is_zero_when_factors_agree_and_not_otherwise(data, state):
    L, half = SPEC.train_length, SPEC.hidden // SPEC.heads // 2
    ids = ev.eval_chunks(data.heldout, 2 * L, 1)[0]
    same = ext.extended_model(state, SPEC, "longrope", 2, long_factor=[2.0] * half, short_factor=[2.0] * half)
    r = st.switch_pitfall(same, ids, L)
    assert r["max |Δlogit|"] < 1e-3 and r["argmax agreement"] == 1.0 and r["tokens"] == L
    differ = ext.extended_model(state, SPEC, "longrope", 2, long_factor=[2.0] * half)
    assert st.switch_pitfall(differ, ids, L)["max |Δlogit|"] > 1e-3


def test_short_factor_search_keeps_long_factors(tmp_path, monkeypatch, data, state):
    monkeypatch.setenv("LCREPORT_CACHE", str(tmp_path))  # every search runs here (none from the cache)
    half = SPEC.hidden // SPEC.heads // 2
    long = rp.factors_pi(2, 2 * half, SPEC.rope_theta, SPEC.train_length)
    for start in sr.SHORT_STARTS:
        r = sr.search(
            state,
            SPEC,
            data,
            2,
            SearchSettings(4, 1, 1, 1, 1),
            length=SPEC.train_length,
            short_of=long,
            short_start=start,
        )
        assert r.best.n_hat == 0 and len(r.best.factors) == half and set(r.initial) == {start}
    with pytest.raises(ValueError, match="short_start"):
        sr.search(
            state,
            SPEC,
            data,
            2,
            SearchSettings(4, 1, 1, 1, 1),
            length=SPEC.train_length,
            short_of=long,
            short_start="half-way",
        )


def test_small_spec_keeps_tokens_per_step_and_trains_text_only():
    s = st.small_spec(PROFILES["cpu"].llama, layers=2, hidden=128, length=64, steps=10)
    cpu = PROFILES["cpu"].llama
    assert s.batch_size * s.train_length == cpu.batch_size * cpu.train_length
    assert s.passkey_share == s.repeat_share == s.copy_share == 0 and s.hidden // s.heads == 32


# SmolLM2-135M (models.pretrained): tests/test_longrope_part2.py, with the section that uses it


def test_share_and_mean_t_interval_are_the_library_intervals():
    """``stats.share`` is scipy's Wilson interval of the 0/1 outcomes; ``stats.mean_t_interval`` scipy's t interval
    of a few per-seed values, and one value alone has none."""
    import numpy as np
    from scipy import stats as sps

    from lcreport import stats

    s = stats.share([1, 0, 1, 1])
    ci = sps.binomtest(3, 4).proportion_ci(confidence_level=0.95, method="wilson")
    assert s["value"] == 0.75 and s["n"] == 4 and s["ci95"] == [ci.low, ci.high]
    m = stats.mean_t_interval([0.07, 0.09, 0.085])
    lo, hi = sps.t.interval(0.95, 2, loc=np.mean([0.07, 0.09, 0.085]), scale=sps.sem([0.07, 0.09, 0.085]))
    assert m["n"] == 3 and m["ci95"] == [lo, hi] and lo < m["value"] < hi
    assert stats.mean_t_interval([0.5]) == 0.5


# --- section 5's directional sentences, read from the trials ----------------------------------------------------


def _window_case(copies: dict, passkeys: dict, L=128, S=4):
    """(scores, table, tasks) for configurations that copy / pass the pass key at the given lengths."""
    import pandas as pd

    from lcreport.chapters.c05_finetuning import windows as wn

    configs = sorted(set(copies) | set(passkeys))
    lengths = [L, 2 * L, S * L]
    scores = []
    for c in configs:
        for n in lengths:
            for task, good in ((ew.COPY, copies.get(c, ())), (ew.PASSKEY_TRAIN, passkeys.get(c, ()))):
                hit = n in good
                scores.append({"configuration": c, "task": task, "length": n, "lower": 0.9 if hit else 0.0})
    tasks = (ew.PASSKEY_TRAIN, ew.COPY)
    rows = []
    for c in configs:
        own = [r for r in scores if r["configuration"] == c]
        rows.append(
            {
                "configuration": c,
                "claimed": L if c == wn.CONTROL else S * L,
                "effective": ew.effective_window(own, tasks),
                **{f"window: {t}": ew.task_window(own, t) for t in tasks},
            }
        )
    return scores, pd.DataFrame(rows).set_index("configuration"), tasks


def test_window_findings_follow_the_trials_on_both_sides():
    from lcreport.chapters.c05_finetuning import windows as wn

    L, S = 128, 4
    # plain RoPE copies at L before fine-tuning only, PI gains copying at S·L, the control keeps copying at L
    scores, table, tasks = _window_case(
        {
            "plain RoPE (no fine-tuning)": (L,),
            "plain RoPE (fine-tuned)": (),
            "PI (fine-tuned)": (S * L,),
            wn.CONTROL: (L,),
        },
        {"plain RoPE (no fine-tuning)": (L,), wn.CONTROL: (L,), "PI (no fine-tuning)": ()},
    )
    f = wn.window_findings(scores, table, tasks, L, S)
    assert f["window_beyond_L_text"] == "no configuration is effective beyond L"
    assert f["window_disagreement_count"] == 1 and f["window_disagreements_text"].startswith("PI (fine-tuned):")
    assert "effective nowhere" in f["window_disagreements_text"]
    assert f["copy_at_L_text"] == (
        "plain RoPE copies at L before fine-tuning and not after; PI copies at L neither before nor after fine-tuning"
    )
    assert f["control_copy_at_L_text"] == "still copies at L"
    assert "cost plain RoPE their copying at L, and fine-tuning as long at L did not" in f["copy_cost_text"]
    assert f["copy_gained_at_S_text"] == "PI"
    assert f["ft_passkey_at_S_text"] == "no fine-tuned configuration passes"
    assert f["extended_fail_text"] == "every extended configuration fails it"

    # the other side: a fine-tuned model that does both tasks at S·L, a control that lost copying too
    scores, table, tasks = _window_case(
        {
            "plain RoPE (no fine-tuning)": (L,),
            "plain RoPE (fine-tuned)": (S * L,),
            "YaRN (no fine-tuning)": (L,),
            "YaRN (fine-tuned)": (L,),
        },
        {
            "plain RoPE (no fine-tuning)": (L,),
            "plain RoPE (fine-tuned)": (S * L,),
            "YaRN (no fine-tuning)": (L,),
            "YaRN (fine-tuned)": (L,),
            wn.CONTROL: (L,),
        },
    )
    f = wn.window_findings(scores, table, tasks, L, S)
    assert f["window_beyond_L_text"] == "plain RoPE (fine-tuned) is effective beyond L"
    assert f["window_disagreement_count"] == 1
    assert f["window_disagreements_text"] == (
        f"{wn.CONTROL}: a window of 128 tokens on {ew.PASSKEY_TRAIN}, no window on "
        f"{ew.COPY}, so it is effective nowhere"
    )
    assert "YaRN copies at L before and after fine-tuning" in f["copy_at_L_text"]
    assert f["control_copy_at_L_text"] == "does not copy at L either"
    assert "so the longer length is not shown to be the cause" in f["copy_cost_text"]
    assert f["copy_gained_at_S_text"] == "plain RoPE"
    assert f["ft_passkey_at_S_text"] == "plain RoPE (fine-tuned) passes"
    assert f["extended_fail_text"] == "3 of 4 extended configurations fail it"


def test_window_findings_say_when_copying_does_not_judge():
    from lcreport.chapters.c05_finetuning import windows as wn

    scores, table, tasks = _window_case({}, {"PI (fine-tuned)": (128,), "PI (no fine-tuning)": (128,)})
    f = wn.window_findings(scores, table, (ew.PASSKEY_TRAIN,), 128, 4)
    assert f["copy_at_L_text"].startswith("not measured")
    assert f["window_disagreement_count"] == 0


def test_names_join_with_and_and_semicolons_when_a_name_has_a_comma():
    from lcreport.chapters.c05_finetuning.windows import _names

    assert _names(["A"]) == "A" and _names(["A", "B"]) == "A and B" and _names(["A", "B", "C"]) == "A, B and C"
    assert _names(["LongRoPE, no search", "PI"]) == "LongRoPE, no search and PI"
    assert _names(["LongRoPE, no search", "PI", "YaRN"]) == "LongRoPE, no search; PI and YaRN"
