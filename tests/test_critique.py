"""The critique chapter's own experiments: the seed's Transformer code, gradients by length, RULER."""
import pytest

from lcreport.analysis import critique as cr


def test_seed002_code_fails_where_we_say_it_does():
    rows = {r["defect"].split(":")[0]: r["result"] for r in cr.run_seed002_code()}
    results = list(rows.values())
    assert results[0].startswith("AssertionError") and "divisible" in results[0]
    assert results[1].startswith("RuntimeError") and "shapes cannot be multiplied" in results[1]
    assert results[2].startswith("NameError")
    assert results[3].endswith("True")  # order-blind
    assert results[4].endswith("True")  # reads the future
    assert "batch_first = False" in results[5]


def test_gradient_ratios_are_finite_and_positive():
    rows = cr.gradient_ratios((8, 32), hidden=32, layers=2, heads=2, vocab=64, batch=2, repeats=1)
    assert [r["context"] for r in rows] == [8, 32]
    assert all(r["first / last"] > 0 for r in rows)


def test_ruler_lengths_parse():
    assert cr.parse_k("128K") == 131072 and cr.parse_k("1M") == 1048576 and cr.parse_k("<4K") == 4096
    with pytest.raises(ValueError):
        cr.parse_k("lots")
    assert (cr.ruler_rows()["claimed"].map(cr.parse_k) >= cr.ruler_rows()["effective (RULER)"].map(cr.parse_k)).all()


def test_ruler_table_is_one_named_version_with_every_row():
    ours = [{"configuration": "a", "claimed": 1024, "effective": 256}, {"configuration": "b", "claimed": 512, "effective": 512}]
    ruler, _, f = cr.ruler_comparison(ours)
    assert "c3f5e3b4f87f97e048793bb510a3a6b19a46bf3a" in f["ruler_source"]
    assert f["ruler_models"] == len(f["ruler_table"]) == 44  # every model row of that README
    assert {"model", "claimed", "effective"} <= set(f["ruler_table"][0])
    share = f["ruler_below_claim"]
    assert share["n"] + f["ruler_undecided"] == f["ruler_models"]
    assert share["ci95"][0] <= share["value"] == f["ruler_n_below_claim"] / share["n"] <= share["ci95"][1]
    assert (f["ours_reach_claim"], f["ours_models"]) == (1, 2)
    assert f["ruler_gpt4"].startswith("64K of 128K")


def test_short_model_names_stay_unique():
    names = ["Qwen2 (72B)", "Llama3.1 (70B)", "Llama3.1 (8B)", "Gemini-1.5-pro"]
    assert cr.short_model_names(names) == ["Qwen2", "Llama3.1 (70B)", "Llama3.1 (8B)", "Gemini-1.5-pro"]
