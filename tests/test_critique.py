"""The critique chapter's own experiments: the seed's Transformer code, gradients by length, RULER."""

import numpy as np
import pytest
import torch

from lcreport.chapters import c06_critique as cr


def test_seed002_code_fails_where_we_say_it_does():
    rows = {r["defect"].split(":")[0]: r["result"] for r in cr.run_seed002_code()}
    results = list(rows.values())
    assert results[0].startswith("AssertionError") and "divisible" in results[0]
    assert results[1].startswith("RuntimeError") and "shapes cannot be multiplied" in results[1]
    assert results[2].startswith("NameError")
    assert results[3].endswith("True")  # order-blind
    assert results[4].endswith("True")  # reads the future
    assert "batch_first = False" in results[5]


def tiny_llama(seed: int = 0):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
    )
    return LlamaForCausalLM(cfg)


def test_embedding_gradients_reach_every_context_position_and_none_beyond():
    model = tiny_llama()
    ids = torch.randint(0, 64, (3, 9))
    norms = cr.embedding_gradient_norms(model, ids)
    assert norms.shape == (3, 8) and (norms > 0).all()
    assert all(p.grad is None for p in model.parameters())  # only the inputs' gradient is taken


def test_gradient_reach_compares_the_same_tokens_at_the_same_distances():
    model = tiny_llama()
    stream = np.random.default_rng(0).integers(0, 64, 400)
    rows, change = cr.gradient_reach(model, stream, (8, 16, 32), windows=6)
    assert [r["context"] for r in rows] == [8, 16, 32]
    assert change["n"] == 6 and change["ci95"][0] <= change["value"] <= change["ci95"][1]
    far = [v for k, v in rows[0].items() if k.startswith("far tokens")][0]
    assert far > 0 and "distance 7–8" in [k for k in rows[0] if k.startswith("far")][0]
    # the same context on both sides changes nothing: the factor is exactly 1
    _, same = cr.gradient_reach(model, stream, (8, 8), windows=4)
    assert same["value"] == pytest.approx(1.0) and same["ci95"] == pytest.approx([1.0, 1.0])


def test_gradient_table_spans_a_quarter_to_the_whole_training_length():
    model = tiny_llama()
    stream = np.random.default_rng(1).integers(0, 64, 300)
    table, figures = cr.gradient_table(model, stream, 32, windows=4)
    assert list(table.index) == [8, 16, 32]
    assert (figures["grad_context_short"], figures["grad_context_long"]) == (8, 32)
    assert set(figures["grad_far_change"]) == {"value", "ci95", "n"}


def test_ruler_lengths_parse():
    assert cr.parse_k("128K") == 131072 and cr.parse_k("1M") == 1048576 and cr.parse_k("<4K") == 4096
    with pytest.raises(ValueError):
        cr.parse_k("lots")
    assert (cr.ruler_rows()["claimed"].map(cr.parse_k) >= cr.ruler_rows()["effective (RULER)"].map(cr.parse_k)).all()


def test_ruler_table_is_one_named_version_with_every_row():
    ours = [
        {"configuration": "a", "claimed": 1024, "effective": 256},
        {"configuration": "b", "claimed": 512, "effective": 512},
    ]
    ruler, _, f = cr.ruler_comparison(ours)
    assert "c3f5e3b4f87f97e048793bb510a3a6b19a46bf3a" in f["ruler_source"]
    assert f["ruler_models"] == len(f["ruler_table"]) == 44  # every model row of that README
    assert {"model", "claimed", "effective"} <= set(f["ruler_table"][0])
    share = f["ruler_below_claim"]
    assert share["n"] + f["ruler_undecided"] == f["ruler_models"]
    assert share["ci95"][0] <= share["value"] == f["ruler_n_below_claim"] / share["n"] <= share["ci95"][1]
    assert (f["ours_reach_claim"], f["ours_models"]) == (1, 2)
    assert f["ruler_gpt4"].startswith("64K of 128K")
    # the quoted rows as numbers, for the vendor rule
    gpt4 = f["ruler_lengths"]["ruler_gpt4"]
    assert (gpt4["claimed"], gpt4["effective"], gpt4["lower_bound"]) == (131072, 65536, False)
    assert f["ruler_lengths"]["ruler_gemini"]["lower_bound"]


def test_short_model_names_stay_unique():
    names = ["Qwen2 (72B)", "Llama3.1 (70B)", "Llama3.1 (8B)", "Gemini-1.5-pro"]
    assert cr.short_model_names(names) == ["Qwen2", "Llama3.1 (70B)", "Llama3.1 (8B)", "Gemini-1.5-pro"]
