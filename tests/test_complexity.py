"""The analytic cost model, held to published model sizes, transformers and torch's FLOP counter."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode
from transformers import BertConfig, BertModel, LlamaConfig, LlamaForCausalLM

from lcreport.analysis import complexity as cx

SHAPES = cx.MODEL_SHAPES


def test_llama2_7b_kv_cache_is_512_kib_per_token_in_fp16():
    assert cx.kv_cache_bytes(SHAPES["Llama-2-7B"]) == 512 * 1024
    assert cx.kv_cache_bytes(SHAPES["Llama-2-7B"], 4096) == 2 * 2**30  # 2 GiB at 4k


def test_gqa_shrinks_the_kv_cache_by_the_head_ratio():
    assert cx.kv_cache_bytes(SHAPES["Llama-3-8B (GQA)"]) == cx.kv_cache_bytes(SHAPES["Llama-2-7B"]) // 4


@pytest.mark.parametrize(
    "name, published",
    [
        ("BERT-base", 109_482_240),  # BertModel('bert-base-uncased').num_parameters()
        ("Llama-2-7B", 6_738_415_616),
        ("Llama-3-8B (GQA)", 8_030_261_248),
        ("Llama-2-70B (GQA)", 68_976_648_192),
    ],
)
def test_parameter_counts_match_the_published_models(name, published):
    assert cx.parameter_count(SHAPES[name]) == published


def _tiny_llama_shape(kv_heads):
    return cx.ModelShape(
        "tiny", n_layers=2, d_model=64, n_heads=4, n_kv_heads=kv_heads, d_ff=96, vocab_size=101, max_positions=256
    )


def _tiny_llama(shape):
    config = LlamaConfig(
        vocab_size=shape.vocab_size,
        hidden_size=shape.d_model,
        intermediate_size=shape.d_ff,
        num_hidden_layers=shape.n_layers,
        num_attention_heads=shape.n_heads,
        num_key_value_heads=shape.n_kv_heads,
        max_position_embeddings=shape.max_positions,
        tie_word_embeddings=False,
        attn_implementation="eager",
    )
    return LlamaForCausalLM(config).eval()


@pytest.mark.parametrize("kv_heads", [4, 2])
def test_parameter_count_equals_transformers_llama(kv_heads):
    shape = _tiny_llama_shape(kv_heads)
    assert cx.parameter_count(shape) == _tiny_llama(shape).num_parameters()


@pytest.mark.parametrize("positions", [512, 2048])
def test_parameter_count_equals_transformers_bert_and_grows_with_learned_positions(positions):
    shape = cx.ModelShape(
        "tiny-bert",
        2,
        64,
        4,
        4,
        128,
        100,
        mlp="standard",
        positions="learned",
        max_positions=positions,
        lm_head=False,
        bias=True,
        encoder=True,
    )
    config = BertConfig(
        vocab_size=100,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=positions,
    )
    assert cx.parameter_count(shape) == BertModel(config).num_parameters()


def test_rope_adds_no_parameters_with_context():
    s = SHAPES["Llama-2-7B"]
    assert cx.parameter_count(s, 4096) == cx.parameter_count(s, 1_000_000)
    assert cx.position_parameters(SHAPES["BERT-base"], 4096) == 4096 * 768


@pytest.mark.parametrize("kv_heads, n", [(4, 48), (2, 96)])
def test_matmul_flops_equal_torch_flop_counter_on_a_real_llama(kv_heads, n):
    shape = _tiny_llama_shape(kv_heads)
    model = _tiny_llama(shape)
    ids = torch.randint(0, shape.vocab_size, (1, n))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(ids)
    assert cx.forward_flops(n, shape)["matmul"] == counter.get_total_flops()


def test_attention_is_the_only_quadratic_term():
    s = SHAPES["Llama-2-7B"]
    f1, f2 = cx.forward_flops(1000, s), cx.forward_flops(2000, s)
    assert f2["linear"] == 2 * f1["linear"]
    assert f2["quadratic"] == 4 * f1["quadratic"]
    assert cx.cost_ratio(1000, 2000) == 4 and cx.cost_ratio(1000, 10_000) == 100


def test_at_the_crossover_quadratic_equals_linear():
    s = SHAPES["Llama-2-7B"]
    n_star = cx.quadratic_crossover_length(s)
    lin = cx.forward_flops(1, s)["linear"] * n_star
    quad = (cx.forward_flops(2, s)["quadratic"] / 4) * n_star**2
    assert quad == pytest.approx(lin, rel=1e-12)
    assert 20_000 < n_star < 30_000


def test_whole_model_ratio_512_to_4096_is_far_below_64():
    ratio = cx.cost_ratio(512, 4096, SHAPES["Llama-2-7B"])
    assert 8 < ratio < 10  # eight times the tokens, a little more per token
    assert cx.cost_ratio(512, 4096) == 64


def test_seed_001_arithmetic_is_recomputed():
    rows = {r["expression"]: r for r in cx.seed_arithmetic()}
    assert rows["1024 · 512 · (1024 + 512)"]["recomputed"] == 805_306_368
    assert rows["100 · 512 · (1024 + 512)"]["recomputed"] == 78_643_200
    assert rows["1024 · 512 · (1024 + 512)"]["claimed / recomputed"] > 600
    assert rows["1000² · 512"]["claimed / recomputed"] == 1  # seed 000 gets this one right


def test_qkv_keep_their_width_as_context_grows():
    s = SHAPES["Llama-3-8B (GQA)"]
    short, long = cx.qkv_shapes(512, s), cx.qkv_shapes(131072, s)
    assert short["Q"][-1] == long["Q"][-1] == 128
    assert long["Q"][2] == 131072 and long["K"][1] == 8
    assert long["QKᵀ"][-2:] == (131072, 131072)


def test_gpt3_has_its_published_size():
    assert cx.parameter_count(cx.MODEL_SHAPES["GPT-3 175B"]) == pytest.approx(175e9, rel=0.01)


def test_kaplan_counts_half_the_attention_and_doubles_the_crossover():
    s = cx.MODEL_SHAPES["Llama-2-7B"]
    full, kaplan = cx.forward_flops(4096, s), cx.forward_flops(4096, s, "kaplan")
    assert kaplan["linear"] == full["linear"]
    assert kaplan["attention_scores"] * 2 == full["attention_scores"] and kaplan["softmax"] == 0
    ratio = cx.quadratic_crossover_length(s, "kaplan") / cx.quadratic_crossover_length(s)
    assert 2.0 < ratio < 2.1  # twice, and a little more: the full count also has the softmax
    # Kaplan et al. (2020), Table 1: C_forward ≈ 2N + 2·n_layer·n_ctx·d_attn per token
    g = cx.MODEL_SHAPES["GPT-3 175B"]
    n_ctx = 2048
    non_embedding = cx.forward_flops(1, g)["linear"] - cx.lm_head_flops(1, g)
    assert cx.flops_per_token(n_ctx, g, "kaplan") - cx.lm_head_flops(1, g) == pytest.approx(
        non_embedding + 2 * g.n_layers * n_ctx * g.d_model
    )
    with pytest.raises(ValueError, match="convention"):
        cx.forward_flops(10, s, "causal")
