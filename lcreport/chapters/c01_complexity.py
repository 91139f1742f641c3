"""The complexity chapter's tables, figures and key numbers, one function per section.

Each ``..._section`` returns ``(table, figures)``: the table the chapter shows and the
figures it records and glues, under the names its prose and the claims registry use.
A figure with a unit is ``{"value": …, "unit": …}`` (what ``lcreport.notebook.glue_all`` reads).
Each ``plot_…`` draws one chart and returns its matplotlib Figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import attention_timing as at
from ..analysis import complexity as cx
from ..plotting import COLORS, log_x, log_y, subplots

#: the model whose Q, K and V shapes the chapter shows, and the lengths it shows them at
QKV_MODEL = "Llama-3-8B (GQA)"
QKV_LENGTHS = (512, 8192, 131072)
#: seed 004's comparison: one sequence of 4,096 tokens against one of 512
SHORT, LONG = 512, 4096
#: context lengths of the KV-cache table
KV_LENGTHS = (4096, 32768, 131072, 1048576)
#: context lengths of the parameter table, after each model's native one
PARAM_LENGTHS = (4096, 32768)
#: the lengths the prose quotes: the KV cache at 128k tokens, BERT's position table stretched to 4,096
KV_QUOTED, POSITIONS_QUOTED = 131072, 4096
#: glue name → (row of ``complexity.seed_arithmetic``, by its expression; column)
SEED_FIGURES = {
    "seed001_base_recomputed": ("1024 · 512 · (1024 + 512)", "recomputed"),
    "seed001_base_overstated": ("1024 · 512 · (1024 + 512)", "claimed / recomputed"),
    "seed001_added_recomputed": ("100 · 512 · (1024 + 512)", "recomputed"),
    "seed001_total_recomputed": ("sum of the two", "recomputed"),
    "seed000_ratio_2x": ("(2000/1000)²", "recomputed"),
    "seed000_ratio_10x": ("(10000/1000)²", "recomputed"),
    "seed004_ratio_scores": ("(4096/512)²", "recomputed"),
}
#: the share-of-FLOPs curve: 200 lengths, log-spaced from 128 to 2M tokens
SHARE_CURVE_LENGTHS = np.unique(np.logspace(np.log10(128), np.log10(2**21), 200).astype(int))

GIB, KIB, MIB = 2**30, 2**10, 2**20


def _with_unit(value, unit: str) -> dict:
    return {"value": value, "unit": unit}


def quadratic_share(n: int, s: cx.ModelShape, convention: str = "full") -> float:
    """Share of one sequence's forward FLOPs spent in the n² terms."""
    f = cx.forward_flops(n, s, convention)
    return f["quadratic"] / f["total"]


# --- 1. the seeds' arithmetic and the shapes of Q, K, V --------------------------------------


def seed_arithmetic_section() -> tuple[pd.DataFrame, dict]:
    """Every number the seeds compute about attention cost, recomputed, and the ones the prose quotes."""
    rows = cx.seed_arithmetic()
    by_expression = {r["expression"]: r for r in rows}
    figures = {key: by_expression[expr][column] for key, (expr, column) in SEED_FIGURES.items()}
    return pd.DataFrame(rows), figures


def qkv_section(model: str = QKV_MODEL, lengths=QKV_LENGTHS) -> tuple[pd.DataFrame, dict]:
    """Shapes of Q, K, V and the scores at each length, and whether every head dimension stays the same."""
    shapes = {n: cx.qkv_shapes(n, cx.MODEL_SHAPES[model]) for n in lengths}
    head_dims = {v["Q"][-1] for v in shapes.values()} | {v["K"][-1] for v in shapes.values()}
    table = pd.DataFrame({f"n = {n:,}": v for n, v in shapes.items()}).rename_axis("tensor (batch, heads, n, head_dim)")
    return table, {"qkv_head_dim_constant": len(head_dims) == 1}


# --- 2. the whole model ----------------------------------------------------------------------


def model_cost_row(s: cx.ModelShape) -> dict:
    """One model's size, crossover length, attention share and the cost of 4,096 against 512 tokens."""
    ratio = cx.cost_ratio(SHORT, LONG, s)
    return {
        "layers": s.n_layers,
        "d_model": s.d_model,
        "heads / kv heads": f"{s.n_heads} / {s.n_kv_heads}",
        "parameters (B)": cx.parameter_count(s) / 1e9,
        "crossover n*": round(cx.quadratic_crossover_length(s)),
        f"attention share at {SHORT}": quadratic_share(SHORT, s),
        f"attention share at {LONG}": quadratic_share(LONG, s),
        f"cost {LONG} / {SHORT} (sequence)": ratio,
        f"cost {LONG} / {SHORT} (per token)": ratio / (LONG // SHORT),
        "scores only (n² ratio)": cx.cost_ratio(SHORT, LONG),
    }


def whole_model_section() -> tuple[pd.DataFrame, dict]:
    """The cost table of the four real models, and the Llama-2-7B, Llama-2-70B and BERT figures."""
    table = pd.DataFrame({name: model_cost_row(s) for name, s in cx.MODEL_SHAPES.items()}).T
    llama7 = cx.MODEL_SHAPES["Llama-2-7B"]
    figures = {
        "llama7_crossover": _with_unit(cx.quadratic_crossover_length(llama7), "tokens"),
        "llama70_crossover": _with_unit(cx.quadratic_crossover_length(cx.MODEL_SHAPES["Llama-2-70B (GQA)"]), "tokens"),
        "bert_crossover": _with_unit(cx.quadratic_crossover_length(cx.MODEL_SHAPES["BERT-base"]), "tokens"),
        "llama7_ratio_4096_512": cx.cost_ratio(SHORT, LONG, llama7),
        "llama7_per_token_ratio_4096_512": cx.cost_ratio(SHORT, LONG, llama7) / (LONG // SHORT),
        "llama7_share_4096": quadratic_share(LONG, llama7),
        "llama7_training_flops_4096": _with_unit(cx.training_flops(LONG, llama7), "FLOPs per sequence"),
        "seed004_short_n": _with_unit(SHORT, "tokens"),
        "seed004_long_n": _with_unit(LONG, "tokens"),
    }
    return table, figures


#: the models whose per-token cost the conventions table gives, each at its own context
CONVENTION_MODELS = {"GPT-3 175B": 2048, "Llama-2-7B": 4096}


def conventions_section() -> tuple[pd.DataFrame, dict]:
    """Per-token forward FLOPs, the attention share and the crossover under both counting conventions,
    for GPT-3 at its 2,048-token context and Llama-2-7B at its 4,096."""
    rows, figures = [], {}
    for name, n in CONVENTION_MODELS.items():
        shape = cx.MODEL_SHAPES[name]
        key = "gpt3" if name.startswith("GPT-3") else "llama7"
        for convention in cx.CONVENTIONS:
            per_token = cx.flops_per_token(n, shape, convention)
            crossover = cx.quadratic_crossover_length(shape, convention)
            share = quadratic_share(n, shape, convention)
            rows.append(
                {
                    "model": name,
                    "convention": convention,
                    "context n": n,
                    "forward GFLOPs per token": per_token / 1e9,
                    "attention share": share,
                    "crossover n*": round(crossover),
                }
            )
            figures[f"{key}_gflops_per_token_{convention}"] = _with_unit(per_token / 1e9, "GFLOPs")
            figures[f"{key}_share_{convention}"] = share
            figures[f"{key}_crossover_{convention}"] = _with_unit(crossover, "tokens")
    gpt3 = cx.MODEL_SHAPES["GPT-3 175B"]
    figures["gpt3_params_b"] = _with_unit(cx.parameter_count(gpt3) / 1e9, "billion")
    figures["gpt3_two_n_gflops"] = _with_unit(2 * cx.parameter_count(gpt3) / 1e9, "GFLOPs")
    figures["crossover_kaplan_over_full"] = (
        figures["llama7_crossover_kaplan"]["value"] / figures["llama7_crossover_full"]["value"]
    )
    return pd.DataFrame(rows), figures


def plot_quadratic_share(lengths=SHARE_CURVE_LENGTHS):
    """Share of forward FLOPs in the n² terms against context length, one line per model."""
    fig, ax = subplots()
    for name, s in cx.MODEL_SHAPES.items():
        ax.plot(lengths, [quadratic_share(int(n), s) for n in lengths], label=name)
    ax.axhline(0.5, color="k", lw=0.8, ls=":")
    log_x(ax)
    ax.set_xlabel("context length n (tokens, log scale)")
    ax.set_ylabel("share of forward FLOPs in the n² terms")
    ax.set_title("Attention's quadratic terms take over\nonly at long contexts")
    ax.legend()
    return fig


# --- 3. memory and parameters ----------------------------------------------------------------


def kv_cache_section(lengths=KV_LENGTHS) -> tuple[pd.DataFrame, dict]:
    """KV cache per token and at each length, beside the fp16 weights; the figures the prose quotes."""
    table = pd.DataFrame(
        {
            name: {
                "KiB per token (fp16)": cx.kv_cache_bytes(s) / KIB,
                **{f"GiB at {n // 1024}k": cx.kv_cache_bytes(s, n) / GIB for n in lengths},
                "weights (GiB, fp16)": cx.parameter_count(s) * 2 / GIB,
            }
            for name, s in cx.MODEL_SHAPES.items()
        }
    ).T
    llama7, llama3 = cx.MODEL_SHAPES["Llama-2-7B"], cx.MODEL_SHAPES["Llama-3-8B (GQA)"]
    figures = {
        "llama7_kv_kib_per_token": _with_unit(cx.kv_cache_bytes(llama7) / KIB, "KiB"),
        "llama7_kv_gib_128k": _with_unit(cx.kv_cache_bytes(llama7, KV_QUOTED) / GIB, "GiB"),
        "llama7_weights_gib": _with_unit(cx.parameter_count(llama7) * 2 / GIB, "GiB"),
        "llama7_kv_128k_over_weights": cx.kv_cache_bytes(llama7, KV_QUOTED) / (cx.parameter_count(llama7) * 2),
        "llama3_kv_kib_per_token": _with_unit(cx.kv_cache_bytes(llama3) / KIB, "KiB"),
        "llama3_kv_gib_1m": _with_unit(cx.kv_cache_bytes(llama3, 1048576) / GIB, "GiB"),
        "kv_tokens_128k": _with_unit(KV_QUOTED, "tokens"),
        "llama3_q_heads": llama3.n_heads,
        "llama3_kv_heads": llama3.n_kv_heads,
    }
    return table, figures


def parameter_section(lengths=PARAM_LENGTHS) -> tuple[pd.DataFrame, dict]:
    """Parameters of BERT-base (learned positions) and Llama-2-7B (RoPE) as the context grows."""
    bert, llama7 = cx.MODEL_SHAPES["BERT-base"], cx.MODEL_SHAPES["Llama-2-7B"]
    table = pd.DataFrame(
        [
            {
                "model": name,
                "positions": s.positions,
                "context": n,
                "position parameters": cx.position_parameters(s, n),
                "total parameters": cx.parameter_count(s, n),
                "growth vs. native": cx.parameter_count(s, n) / cx.parameter_count(s) - 1,
            }
            for name, s in [("BERT-base", bert), ("Llama-2-7B", llama7)]
            for n in (s.max_positions, *lengths)
        ]
    ).set_index(["model", "context"])
    figures = {
        "llama_param_growth": cx.parameter_count(llama7, 32768) - cx.parameter_count(llama7, 4096),
        "bert_params_512": cx.parameter_count(bert),
        "bert_growth_4096": cx.parameter_count(bert, POSITIONS_QUOTED) / cx.parameter_count(bert) - 1,
        "bert_position_params_4096": cx.position_parameters(bert, POSITIONS_QUOTED),
        "bert_positions_4096": _with_unit(POSITIONS_QUOTED, "positions"),
    }
    return table, figures


# --- 4. measured on this machine -------------------------------------------------------------


def timing_section(profile, device, seed: int = 0) -> tuple[pd.DataFrame, dict, dict]:
    """Time both attention implementations and a dense matmul at the profile's sizes.

    Returns the timings (one row per method and length), the matmul throughput, and the
    figures: fitted and predicted exponents, the rates at the largest length, the speed-up.
    """
    p = profile
    timings = at.attention_timings(
        p.attention_lengths,
        heads=p.attention_heads,
        head_dim=p.attention_head_dim,
        device=device,
        repeats=p.timing_repeats,
        warmup=p.timing_warmup,
        seed=seed,
    )
    matmul = at.matmul_flops_per_second(p.matmul_size, device=device)
    slopes, predicted, fit_from = timing_slopes(timings, p)
    intervals = slope_intervals(timings, fit_from, seed=seed)
    largest = timings[timings.n == max(p.attention_lengths)].set_index("method")
    interleaved = at.interleaved_fractions(
        max(p.attention_lengths),
        heads=p.attention_heads,
        head_dim=p.attention_head_dim,
        matmul_size=p.matmul_size,
        device=device,
        rounds=p.timing_repeats,
        warmup=p.timing_warmup,
        seed=seed,
    )

    def fitted(method):  # the fitted time exponent of one implementation, with its bootstrap interval
        return {"value": slopes[method], "ci95": list(intervals[method]), "n": p.timing_repeats}

    figures = {
        "timing_slope_naive": fitted("naive"),
        "timing_slope_sdpa": fitted("sdpa"),
        "timing_slope_predicted": predicted,
        "timing_slope_fit_from_n": _with_unit(fit_from, "tokens"),
        "timings": timings.to_dict(orient="records"),
        "matmul_gflops": _with_unit(matmul["gflop_per_s"], "GFLOP/s"),
        "matmul_size": matmul["size"],
        "naive_gflops_largest": _with_unit(largest.loc["naive", "gflop_per_s"], "GFLOP/s"),
        "sdpa_gflops_largest": _with_unit(largest.loc["sdpa", "gflop_per_s"], "GFLOP/s"),
        **interleaved_figures(interleaved),
        "largest_n": _with_unit(int(max(p.attention_lengths)), "tokens"),
        "sdpa_speedup_largest": largest.loc["naive", "median_s"] / largest.loc["sdpa", "median_s"],
    }
    return timings, matmul, figures


def interleaved_figures(interleaved: pd.DataFrame) -> dict:
    """Each kernel's fraction of the matmul rate (median over interleaved rounds) with its interquartile
    range (``<method>_fraction_of_matmul``, ``…_q25``, ``…_q75``) and the rounds, per unit."""
    figures = {
        "interleaved_rounds": int(interleaved["round"].nunique()),
        "interleaved": interleaved.to_dict(orient="records"),
    }
    for method, g in interleaved.groupby("method"):
        sp = at.spread(g.fraction_of_matmul)
        figures[f"{method}_fraction_of_matmul"] = sp["value"]
        figures[f"{method}_fraction_q25"], figures[f"{method}_fraction_q75"] = sp["q25"], sp["q75"]
    return figures


def timing_slopes(timings: pd.DataFrame, profile) -> tuple[dict, float, int]:
    """Fitted time exponent per method, the FLOP count's exponent, and the length the fit starts at.

    The fit uses the upper half of the lengths, where the n² work dominates fixed per-call overheads.
    """
    lengths = profile.attention_lengths
    upper = timings[timings.n >= sorted(lengths)[len(lengths) // 2]]
    slopes = {m: at.loglog_slope(g.n, g.median_s) for m, g in upper.groupby("method")}
    flops = [at.attention_flops(n, profile.attention_heads, profile.attention_head_dim) for n in lengths]
    return slopes, at.loglog_slope(lengths, flops), int(upper.n.min())


def slope_intervals(timings: pd.DataFrame, fit_from: int, *, seed: int = 0) -> dict:
    """Per method, the 95% bootstrap interval of the fitted exponent over the lengths from ``fit_from`` on
    (``attention_timing.slope_interval``: the timing repeats resampled at each length)."""
    upper = timings[timings.n >= fit_from]
    return {m: at.slope_interval(list(g.n), list(g.times_s), seed=seed) for m, g in upper.groupby("method")}


def timing_table(timings: pd.DataFrame) -> pd.DataFrame:
    """Median time and FLOP rate by length (rows) and method (columns)."""
    return timings.pivot(index="n", columns="method", values=["median_s", "gflop_per_s"]).rename(
        columns={"median_s": "median time (s)", "gflop_per_s": "GFLOP/s"}
    )


def plot_timings(timings: pd.DataFrame, profile, device):
    """Time per attention call against length (log–log, IQR bars), with fitted and predicted slopes."""
    slopes, predicted, fit_from = timing_slopes(timings, profile)
    fig, ax = subplots()
    for method, g in timings.groupby("method"):
        ax.errorbar(
            g.n,
            g.median_s,
            yerr=[g.median_s - g.q25_s, g.q75_s - g.median_s],
            marker="o",
            capsize=3,
            color=COLORS[method],
            label=f"{method}: fitted slope {slopes[method]:.2f}",
        )
    ref = timings[timings.method == "naive"].iloc[-1]
    upper_n = timings[timings.n >= fit_from].n.unique()
    ax.plot(
        upper_n,
        ref.median_s * (upper_n / ref.n) ** predicted,
        ls="--",
        color=COLORS["model"],
        label=f"model: slope {predicted:.0f} (FLOPs ∝ n²)",
    )
    log_x(ax)
    log_y(ax)
    ax.set_xlabel("sequence length n (tokens, log scale)")
    ax.set_ylabel("time per attention call (s, log scale)")
    ax.set_title(
        f"Attention time vs. length\n({profile.attention_heads} heads × {profile.attention_head_dim}, {device})"
    )
    ax.legend()
    return fig


def throughput_table(timings: pd.DataFrame, matmul: dict) -> pd.DataFrame:
    """GFLOP/s of the dense matmul beside both attention implementations at the largest length."""
    n = timings.n.max()
    largest = timings[timings.n == n].set_index("method")
    return pd.DataFrame(
        {
            "GFLOP/s": {
                f"dense {matmul['size']}×{matmul['size']} matmul": matmul["gflop_per_s"],
                f"naive attention, n = {n}": largest.loc["naive", "gflop_per_s"],
                f"SDPA, n = {n}": largest.loc["sdpa", "gflop_per_s"],
            }
        }
    )


#: measured peaks below this (MiB) are drawn and fitted at this floor, so a log scale can show them
MEMORY_FLOOR_MIB = 1e-2


def memory_section(profile, device) -> tuple[pd.DataFrame, dict]:
    """Extra peak memory of one call of each implementation at the profile's lengths, and its figures."""
    p = profile
    memory = at.attention_memory_table(
        p.memory_lengths, heads=p.attention_heads, head_dim=p.attention_head_dim, device=device
    )
    naive = memory[memory.method == "naive"]
    big = memory[memory.n == max(p.memory_lengths)].set_index("method")
    figures = {
        "mem_largest_n": _with_unit(int(max(p.memory_lengths)), "tokens"),
        "mem_naive_largest_mib": _with_unit(big.loc["naive", "extra_peak_MiB"], "MiB"),
        "mem_sdpa_largest_mib": _with_unit(big.loc["sdpa", "extra_peak_MiB"], "MiB"),
        "mem_score_matrix_largest_mib": _with_unit(big.loc["naive", "score_matrix_MiB"], "MiB"),
        "mem_naive_over_matrix": big.loc["naive", "extra_peak_MiB"] / big.loc["naive", "score_matrix_MiB"],
        "mem_naive_slope": at.loglog_slope(naive.n, naive.extra_peak_MiB.clip(lower=MEMORY_FLOOR_MIB)),
        "memory": memory.to_dict(orient="records"),
    }
    return memory, figures


def plot_memory(memory: pd.DataFrame):
    """Measured extra peak memory of each implementation beside one h×n×n score matrix (log–log)."""
    fig, ax = subplots()
    for method, g in memory.groupby("method"):
        ax.plot(
            g.n,
            g.extra_peak_MiB.clip(lower=MEMORY_FLOOR_MIB),
            marker="o",
            color=COLORS[method],
            label=f"{method} (measured)",
        )
    g = memory[memory.method == "naive"]
    ax.plot(g.n, g.score_matrix_MiB, ls="--", color=COLORS["model"], label="one h×n×n fp32 score matrix (model)")
    log_x(ax)
    log_y(ax)
    ax.set_xlabel("sequence length n (tokens, log scale)")
    ax.set_ylabel("extra peak memory (MiB, log scale)")
    ax.set_title("Memory of one attention call:\nmaterialised vs. fused")
    ax.legend()
    return fig
