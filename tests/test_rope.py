"""Our per-method factors give exactly the inverse frequencies transformers computes."""

import numpy as np
import pytest
import torch
from transformers import LlamaConfig
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

from lcreport.models import rope

DIM, BASE, L = 32, 10000.0, 256


def transformers_inv_freq(method, s, seq_len, **kw):
    params, max_pos = rope.rope_parameters(method, s, L, **kw)
    config = LlamaConfig(
        hidden_size=DIM * 4,
        num_attention_heads=4,
        max_position_embeddings=max_pos,
        rope_parameters={"rope_theta": BASE, **params},
    )
    if params["rope_type"] == "default":  # transformers keeps plain RoPE out of ROPE_INIT_FUNCTIONS
        inv, attention = LlamaRotaryEmbedding.compute_default_rope_parameters(config)
    else:
        inv, attention = ROPE_INIT_FUNCTIONS[params["rope_type"]](config, torch.device("cpu"), seq_len=seq_len)
    return inv.double().numpy(), attention


@pytest.mark.parametrize("method", rope.FIXED_METHODS)
@pytest.mark.parametrize("s", [2, 4, 8])
def test_factors_match_transformers(method, s):
    ours = rope.inv_freq_from_factors(rope.method_factors(method, s, DIM, BASE, L), DIM, BASE)
    theirs, _ = transformers_inv_freq(method, s, seq_len=s * L)
    np.testing.assert_allclose(ours, theirs, rtol=2e-6)


@pytest.mark.parametrize("s", [2, 8])
def test_longrope_uses_long_factors_past_L_and_short_within(s):
    long = np.linspace(1, 1.2 * s, DIM // 2)
    short = np.linspace(1, 1.1, DIM // 2)
    theirs_long, attention = transformers_inv_freq("longrope", s, s * L, long_factor=long, short_factor=short)
    theirs_short, _ = transformers_inv_freq("longrope", s, L, long_factor=long, short_factor=short)
    np.testing.assert_allclose(rope.inv_freq_from_factors(long, DIM, BASE), theirs_long, rtol=2e-6)
    np.testing.assert_allclose(rope.inv_freq_from_factors(short, DIM, BASE), theirs_short, rtol=2e-6)
    assert attention == pytest.approx(rope.longrope_attention_factor(s, L))


def test_pi_is_uniform_and_yarn_ramps_from_one_to_s():
    assert np.all(rope.factors_pi(4, DIM, BASE, L) == 4)
    y = rope.factors_yarn(4, DIM, BASE, L)
    assert y[0] == pytest.approx(1.0) and y[-1] == pytest.approx(4.0)
    assert np.all(np.diff(y) >= -1e-12)
    n = rope.factors_ntk(4, DIM, BASE, L)
    assert n[0] == 1.0 and n[-1] == pytest.approx(4.0)


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="scale must be"):
        rope.rope_parameters("linear", 0.5, L)
    with pytest.raises(ValueError, match="unknown RoPE method"):
        rope.rope_parameters("alibi", 2, L)
    with pytest.raises(ValueError, match="long_factor"):
        rope.rope_parameters("longrope", 2, L)


def test_attention_temperatures():
    assert rope.yarn_attention_factor(8, L) == pytest.approx(0.1 * np.log(8) + 1)
    assert rope.TEMPERATURES["none"](8, L) == 1.0 and rope.yarn_attention_factor(1, L) == 1.0
    assert rope.TEMPERATURES["LongRoPE's"](8, L) == rope.longrope_attention_factor(8, L)
    params, _ = rope.rope_parameters("longrope", 8, L, long_factor=np.ones(DIM // 2), attention_factor=1.0)
    assert params["attention_factor"] == 1.0
    _, attention = transformers_inv_freq("longrope", 8, 8 * L, long_factor=np.ones(DIM // 2), attention_factor=1.3)
    assert attention == pytest.approx(1.3)
    with pytest.raises(ValueError, match="through the longrope type"):
        rope.rope_parameters("yarn", 8, L, attention_factor=1.0)


def test_every_registered_method_is_complete_and_its_temperature_is_transformers():
    """One record per method: unique id, label, short name and colour; ``rope_parameters`` builds a config that
    transformers accepts; the attention scale transformers applies is the record's temperature policy."""
    for field in ("id", "label", "short", "colour"):
        values = [getattr(m, field) for m in rope.REGISTRY]
        assert len(set(values)) == len(values), field
    assert not rope.BY_ID["rope"].extends and all(m.extends for m in rope.REGISTRY if m.id != "rope")
    for m in rope.REGISTRY:
        kw = {"long_factor": rope.factors_yarn(4, DIM, BASE, L)} if m.factors is None else {}
        _, attention = transformers_inv_freq(m.id, 4, seq_len=4 * L, **kw)
        assert attention == pytest.approx(m.attention_temperature(4, L)), m.id
        assert rope.rope_parameters(m.id, 4, L, **kw)[0]["rope_type"] == ("default" if m.id == "rope" else m.id)


def test_the_views_of_the_registry():
    assert rope.METHODS == ("rope", "linear", "dynamic", "yarn", "longrope")
    assert set(rope.FACTOR_FUNCTIONS) == {"linear", "dynamic", "yarn"}
    assert rope.EXTENDING_METHODS == ("linear", "dynamic", "yarn", "longrope")
    assert list(rope.TEMPERATURES) == ["none", "YaRN's", "LongRoPE's"]
    with pytest.raises(ValueError, match="choose from rope, linear"):
        rope.method("ntk")
    with pytest.raises(ValueError, match="no closed-form factors for 'longrope'"):
        rope.method_factors("longrope", 2, DIM, BASE, L)
