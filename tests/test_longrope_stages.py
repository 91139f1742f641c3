"""LongRoPE part 2's building blocks: fine-tuning cache, effective windows, the short/long switch, small models."""
import dataclasses

import pytest
import torch

from lcreport.longrope import evaluation as ev, extension as ext, search as sr, stages as st
from lcreport.models import llama, lm_data, rope as rp
from lcreport.profiles import PROFILES, SearchSettings

SPEC = dataclasses.replace(PROFILES["smoke"].llama, steps=2, warmup=1, copy_warmup_steps=1)


@pytest.fixture(scope="module")
def data():
    return lm_data.Data(SPEC)


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


def test_effective_window_needs_both_measures():
    rows = [{"length": 64, "ppl last L": 10, "pass key exact": 1.0},
            {"length": 128, "ppl last L": 11, "pass key exact": 0.9},
            {"length": 256, "ppl last L": 11.5, "pass key exact": 0.5},
            {"length": 512, "ppl last L": 30, "pass key exact": 0.9}]
    assert st.effective_window(rows, 10, 1.0) == 128  # 256 fails the pass key, 512 perplexity
    assert st.effective_window(rows, 10, 0.0) == 256  # perplexity alone
    assert st.effective_window(rows, 30, 0.5) == 512  # the longest length passing both, as in RULER
    assert st.effective_window(rows, 5, 1.0) is None


def test_switch_pitfall_is_zero_when_factors_agree_and_not_otherwise(data, state):
    L, half = SPEC.train_length, SPEC.hidden // SPEC.heads // 2
    ids = ev.eval_chunks(data.heldout, 2 * L, 1)[0]
    same = ext.extended_model(state, SPEC, "longrope", 2, long_factor=[2.0] * half, short_factor=[2.0] * half)
    r = st.switch_pitfall(same, ids, L)
    assert r["max |Δlogit|"] < 1e-3 and r["argmax agreement"] == 1.0 and r["tokens"] == L
    differ = ext.extended_model(state, SPEC, "longrope", 2, long_factor=[2.0] * half)
    assert st.switch_pitfall(differ, ids, L)["max |Δlogit|"] > 1e-3


def test_short_factor_search_keeps_long_factors(data, state):
    half = SPEC.hidden // SPEC.heads // 2
    long = rp.factors_pi(2, 2 * half, SPEC.rope_theta, SPEC.train_length)
    r = sr.search(state, SPEC, data, 2, SearchSettings(4, 1, 1, 1, 1), length=SPEC.train_length, short_of=long)
    assert r.best.n_hat == 0 and len(r.best.factors) == half and set(r.initial) == {"plain", "long", "half-way"}


def test_small_spec_keeps_tokens_per_step_and_trains_text_only():
    s = st.small_spec(PROFILES["cpu"].llama, layers=2, hidden=128, length=64, steps=10)
    cpu = PROFILES["cpu"].llama
    assert s.batch_size * s.train_length == cpu.batch_size * cpu.train_length
    assert s.passkey_share == s.repeat_share == s.copy_share == 0 and s.hidden // s.heads == 32


# SmolLM2-135M (models.pretrained): tests/test_longrope_part2.py, with the section that uses it
