"""The complexity chapter's sections: the figures its prose and the claims registry read, and its charts."""

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from matplotlib.figure import Figure

from lcreport.analysis import attention_timing as at
from lcreport.analysis import complexity as cx
from lcreport.chapters import c01_complexity as ch

TINY = SimpleNamespace(
    attention_lengths=(16, 32, 64, 128),
    attention_heads=1,
    attention_head_dim=8,
    timing_repeats=2,
    timing_warmup=0,
    matmul_size=32,
    memory_lengths=(256, 512, 1024),
)


def _value(figure):
    return figure["value"] if isinstance(figure, dict) else figure


def test_seed_arithmetic_figures_are_rows_of_the_table():
    table, figures = ch.seed_arithmetic_section()
    assert set(figures) == set(ch.SEED_FIGURES)
    assert figures["seed001_base_recomputed"] == 805_306_368
    assert figures["seed000_ratio_2x"] == 4 and figures["seed000_ratio_10x"] == 100
    assert figures["seed004_ratio_scores"] == 64
    row = table.set_index("expression").loc["sum of the two"]
    assert figures["seed001_total_recomputed"] == row["recomputed"] == 805_306_368 + 78_643_200


def test_qkv_section_shows_every_length_and_a_constant_head_dimension():
    table, figures = ch.qkv_section()
    assert list(table.columns) == ["n = 512", "n = 8,192", "n = 131,072"]
    assert table.loc["Q", "n = 131,072"] == (1, 32, 131072, 128)
    assert figures == {"qkv_head_dim_constant": True}


def test_whole_model_figures_agree_with_the_table_and_carry_units():
    table, figures = ch.whole_model_section()
    assert list(table.index) == list(cx.MODEL_SHAPES)
    llama7 = table.loc["Llama-2-7B"]
    assert figures["llama7_share_4096"] == pytest.approx(llama7["attention share at 4096"])
    assert figures["llama7_ratio_4096_512"] == pytest.approx(llama7["cost 4096 / 512 (sequence)"])
    assert figures["llama7_per_token_ratio_4096_512"] * 8 == pytest.approx(figures["llama7_ratio_4096_512"])
    assert figures["llama7_crossover"]["unit"] == "tokens"
    assert round(_value(figures["llama7_crossover"])) == llama7["crossover n*"]
    assert (
        figures["llama7_training_flops_4096"]["value"]
        == 3 * cx.forward_flops(4096, cx.MODEL_SHAPES["Llama-2-7B"])["total"]
    )


def test_quadratic_share_grows_with_length_and_crosses_one_half_at_the_crossover():
    s = cx.MODEL_SHAPES["Llama-2-7B"]
    n_star = cx.quadratic_crossover_length(s)
    assert ch.quadratic_share(1024, s) < ch.quadratic_share(8192, s) < 0.5 < ch.quadratic_share(int(2 * n_star), s)


def test_kv_cache_and_parameter_figures():
    kv, figures = ch.kv_cache_section()
    assert figures["llama7_kv_kib_per_token"] == {"value": 512.0, "unit": "KiB"}
    assert figures["llama3_kv_gib_1m"]["value"] == 128.0
    assert kv.loc["Llama-2-7B", "GiB at 128k"] == figures["llama7_kv_gib_128k"]["value"] == 64.0
    params, figures = ch.parameter_section()
    assert figures["llama_param_growth"] == 0
    assert figures["bert_params_512"] == 109_482_240
    assert figures["bert_position_params_4096"] == 4096 * 768
    assert params.loc[("BERT-base", 4096), "growth vs. native"] == pytest.approx(figures["bert_growth_4096"])
    assert list(params.loc["Llama-2-7B"].index) == [4096, 4096, 32768]


def _synthetic_timings():
    rows = []
    for n in TINY.attention_lengths:
        for method, t in (("naive", 1e-9 * n**2), ("sdpa", 1e-6 * n)):
            rows.append(
                {
                    "method": method,
                    "n": n,
                    "median_s": t,
                    "q25_s": 0.9 * t,
                    "q75_s": 1.1 * t,
                    "gflop_per_s": at.attention_flops(n, 1, 8) / t / 1e9,
                }
            )
    return pd.DataFrame(rows)


def test_timing_slopes_fit_the_upper_half_of_the_lengths():
    slopes, predicted, fit_from = ch.timing_slopes(_synthetic_timings(), TINY)
    assert slopes["naive"] == pytest.approx(2.0) and slopes["sdpa"] == pytest.approx(1.0)
    assert predicted == pytest.approx(2.0)
    assert fit_from == 64


def test_throughput_table_and_timing_plot():
    timings = _synthetic_timings()
    table = ch.throughput_table(timings, {"size": 32, "gflop_per_s": 10.0})
    assert list(table.index) == ["dense 32×32 matmul", "naive attention, n = 128", "SDPA, n = 128"]
    fig = ch.plot_timings(timings, TINY, "cpu")
    assert isinstance(fig, Figure)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert {"naive: fitted slope 2.00", "sdpa: fitted slope 1.00", "model: slope 2 (FLOPs ∝ n²)"} == set(labels)


def test_timing_section_on_tiny_sizes_returns_every_figure():
    timings, matmul, figures = ch.timing_section(TINY, "cpu", seed=0)
    assert len(timings) == 2 * len(TINY.attention_lengths)
    assert matmul["size"] == 32 and figures["matmul_size"] == 32
    assert figures["largest_n"] == {"value": 128, "unit": "tokens"}
    assert figures["timing_slope_fit_from_n"]["value"] == 64
    assert figures["timing_slope_predicted"] == pytest.approx(2.0)
    assert len(figures["timings"]) == len(timings)
    assert ch.timing_table(timings).shape == (len(TINY.attention_lengths), 4)


def test_memory_section_figures_and_plot(monkeypatch):
    def fake_table(lengths, *, heads, head_dim, device, methods=("naive", "sdpa")):
        return pd.DataFrame(
            [
                {
                    "method": m,
                    "n": n,
                    "extra_peak_MiB": 2 * (n / 256) ** 2 if m == "naive" else 0.0,
                    "score_matrix_MiB": (n / 256) ** 2,
                }
                for n in lengths
                for m in methods
            ]
        )

    monkeypatch.setattr(at, "attention_memory_table", fake_table)
    memory, figures = ch.memory_section(TINY, "cpu")
    assert figures["mem_naive_slope"] == pytest.approx(2.0)
    assert figures["mem_naive_over_matrix"] == pytest.approx(2.0)
    assert figures["mem_sdpa_largest_mib"] == {"value": 0.0, "unit": "MiB"}
    assert figures["mem_largest_n"]["value"] == 1024
    fig = ch.plot_memory(memory)
    assert isinstance(fig, Figure)
    assert min(fig.axes[0].lines[1].get_ydata()) == ch.MEMORY_FLOOR_MIB  # sdpa's zero drawn at the floor


def test_share_plot_is_a_figure_with_one_line_per_model():
    fig = ch.plot_quadratic_share(ch.SHARE_CURVE_LENGTHS[::20])
    assert isinstance(fig, Figure)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == list(cx.MODEL_SHAPES)
