"""Every verdict rule on both sides of its threshold: move one figure across the line, the verdict moves.

The figures are synthetic, shaped as ``claims.load_figures`` gives them from ``results/``: a figure
with an interval is ``{"value", "ci95", "n"}``, a comparison ``{"a", "b", "diff", "ci95", "n", "test", "p"}``.
"""

import math

import pytest

from lcreport.claims import rules as R


def cmp(diff, lo, hi, n=100, p=None, a="a", b="b"):
    out = {"a": a, "b": b, "diff": diff, "ci95": [lo, hi], "n": n, "test": "paired bootstrap (percentile)"}
    if p is not None:
        out["p"] = p
    return out


def fig(value, lo, hi, n=20):
    return {"value": value, "ci95": [lo, hi], "n": n}


CMP_LOWER = cmp(-0.2, -0.3, -0.1)
CMP_NONE = cmp(-0.05, -0.12, 0.02)
CMP_HIGHER = cmp(0.2, 0.1, 0.3)


def effective(progressive=256, pi_ft=0, lr_noft=256):
    """Chapter 05's effective-window table: claimed vs measured effective window per configuration."""
    return [
        {"configuration": "LongRoPE (no fine-tuning)", "claimed": 1024, "effective": lr_noft},
        {"configuration": "PI (fine-tuned)", "claimed": 1024, "effective": pi_ft},
        {"configuration": "YaRN (fine-tuned)", "claimed": 1024, "effective": 1024},
        {"configuration": "LongRoPE progressive (32×)", "claimed": 8192, "effective": progressive},
    ]


def conversions(gpt4_own=128000.0):
    """Chapter 02's vendor conversion rows (tokens low/high over the tokenizers, own tokenizer where loaded)."""
    nan = float("nan")
    return [
        {
            "claim": "C000-1",
            "tokens (low)": 1.26e6,
            "tokens (high)": 4.36e6,
            "tokens (own)": None,
            "own tokenizer": "not public",
        },
        {
            "claim": "C000-2",
            "tokens (low)": 128000.0,
            "tokens (high)": 128000.0,
            "tokens (own)": gpt4_own,
            "own tokenizer": "cl100k_base",
        },
        {
            "claim": "C000-3",
            "tokens (low)": 32768.0,
            "tokens (high)": 32768.0,
            "tokens (own)": nan,
            "own tokenizer": "not public",
        },
        {
            "claim": "C003-1",
            "tokens (low)": 1e6,
            "tokens (high)": 1e6,
            "tokens (own)": nan,
            "own tokenizer": "not public",
        },
    ]


def ruler_lengths(gpt4_effective=65536, gpt4_lower=False, glm_claimed=131072):
    return {
        "ruler_gpt4": {
            "model": "GPT-4-1106-preview",
            "claimed": 131072,
            "effective": gpt4_effective,
            "lower_bound": gpt4_lower,
        },
        "ruler_chatglm": {"model": "GLM3 (6B)", "claimed": glm_claimed, "effective": 4096, "lower_bound": False},
        "ruler_gemini": {"model": "Gemini-1.5-pro", "claimed": 1048576, "effective": 131072, "lower_bound": True},
    }


def per_tokenizer(*values):
    return {f"t{i}": fig(v, v * 0.98, v * 1.02) for i, v in enumerate(values)}


COMPLEXITY = {
    "complexity.seed000_ratio_2x": 4,
    "complexity.seed000_ratio_10x": 100,
    "complexity.timing_slope_sdpa": fig(2.1, 1.9, 2.3, 7),
    "complexity.timing_slope_predicted": 2.0,
    "complexity.llama7_share_4096": 0.3,
    "complexity.llama7_crossover": 25000,
    "complexity.seed004_ratio_scores": 64,
    "complexity.llama7_ratio_4096_512": 9.1,
    "complexity.mem_naive_slope": 2.0,
    "complexity.mem_sdpa_largest_mib": 2.0,
    "complexity.mem_naive_largest_mib": 1024.0,
    "complexity.llama7_kv_kib_per_token": 512,
    "complexity.llama_param_growth": 0,
    "complexity.bert_position_params_4096": 3145728,
    "complexity.bert_growth_4096": 0.02,
    "complexity.seed001_base_recomputed": 8.05e8,
    "complexity.qkv_head_dim_constant": True,
    "complexity.gpt3_params_b": 174.6,
    "complexity.bert_params_512": 109482240,
}
TOKENS = {
    "tokens.en_chars_per_token_min": 3.9,
    "tokens.en_chars_per_token_max": 4.6,
    "tokens.zh_chars_per_token_min": 0.7,
    "tokens.zh_chars_per_token_max": 1.6,
    "tokens.zh_chars_per_token_ci": per_tokenizer(0.46, 1.0, 1.59, 1.51),
    "tokens.han_per_token_ci": per_tokenizer(0.39, 0.85, 1.36, 1.28),
    "tokens.qwen_over_kimi": 5.0,
    "tokens.qwen_over_kimi_claimed": 5,
    "tokens.qwen_tokens_own": 6.64e6,
    "tokens.kimi_tokens_low": 1.26e6,
    "tokens.kimi_tokens_high": 4.36e6,
    "tokens.gpt2_words_in_1024": 770,
    "tokens.vendor_conversions": conversions(),
    "tokens.novel_tokens_longest": 236433,
    "tokens.novel_window_tokens": 2_000_000,
    "tokens.seed003_novel_tokens_max": fig(872775.0, 869000.0, 893000.0),
}
LONGROPE = {
    "longrope.plain_last_ratio": 3.0,
    "longrope.top_scale": 8,
    "longrope.lr_vs_base_L": 1.05,
    "longrope.ppl_lr_vs_pi": CMP_LOWER,
    "longrope.ppl_lr_vs_yarn": cmp(-0.1, -0.15, -0.06),
    "longrope.rep_ppl_lr_vs_yarn_pooled": cmp(-0.1, -0.15, -0.06),
    "longrope.rep_ppl_lr_vs_yarn": R.HOLDS_ACROSS,
    "longrope.replication_base_seeds": 3,
    "longrope.lr_passkey_top": 0.9,
    "longrope.transformers_has_longrope": True,
    "longrope.grid_factors_part": cmp(-0.05, -0.08, -0.02),
    "longrope.search_gain_chosen": fig(-0.01, -0.02, 0.0, 100),
    "longrope.search_gain_is_factors_part": False,
    "longrope.search_evaluations": 1000,
    "longrope.search_samples": 2,
    "longrope.pi_ppl_top": fig(150.0, 129.0, 175.0, 24),
    "longrope2.short_readjusted_vs_base": 1.04,
    "longrope2.effective_table": effective(progressive=8192, lr_noft=1024),
    "longrope2.progressive_vs_oneshot_top": CMP_LOWER,
    "longrope2.prog_top_scale": 32,
    "longrope2.readjusted_vs_long_at_L": cmp(0.003, 0.001, 0.005, 24),
    "longrope2.ft_ppl_lr_vs_noft_pooled": cmp(-0.17, -0.26, -0.08, 100),
    "longrope2.ft_ppl_lr_vs_noft": R.HOLDS_ACROSS_SEEDS,
    "longrope2.ft_seed_count": 3,
    "longrope2.ft_steps": 100,
    "longrope2.paper_ft_steps": 1000,
    "longrope2.ft_pi_vs_base_worst": 0.99,
    "longrope2.ft_pi_vs_base_mean": 0.97,
}
ARCH = {
    "longrope2.bert_depth_times_width": 9216,
    "longrope2.bert_positions": 512,
    "longrope2.dw_base_window_over_predicted": 0.25,
    "longrope2.dw_window_growth": 1.0,
    "longrope2.dw_predicted_growth": 8,
    "longrope2.dw_growth_censored": "measured",
    "critique.grad_far_change": fig(0.47, 0.45, 0.5, 48),
    "critique.grad_context_short": 64,
    "critique.grad_context_long": 256,
    "critique.seed002_errors": ["x"],
    "longrope2.overfit_gap_growth": fig(0.02, -0.01, 0.05, 3),
    "longrope2.effective_short_of_claimed": 3,
    "longrope2.effective_rows": 9,
    "critique.ruler_lengths": ruler_lengths(),
    "bert.seed001_syntax_error": True,
    "bert.tokf1_gain": {"value": 0.05, "ci95": [0.02, 0.08], "n": 40, "p": 0.001},
    "bert.tokf1_gain_sliding": {"value": 0.01, "ci95": [-0.01, 0.03], "n": 40, "p": 0.3},
    "bert.truncation_steps": [
        cmp(0.2, 0.1, 0.3, 96, 0.001, "truncate 128", "truncate 256"),
        cmp(0.03, -0.01, 0.07, 96, 0.2, "truncate 256", "truncate 512"),
    ],
    "bert.needle_window_comparison": cmp(0.3, 0.2, 0.4, 80, None, "sliding 512/128", "sliding 128/64"),
}
REFS = {
    "critique.references": {
        "real": {"cited": "A (2017)", "exists": True, "supports": True, "finding": "says it"},
        "off": {"cited": "B (2019)", "exists": True, "supports": False, "finding": "about something else"},
        "ghost": {"cited": "C (2016)", "exists": False, "supports": False, "finding": "not found"},
    }
}
STEP_GAIN = cmp(0.03, 0.01, 0.06, 96, 0.04, "truncate 256", "truncate 512")
STEP_WORSE = cmp(-0.05, -0.09, -0.01, 96, 0.03, "truncate 256", "truncate 512")
NEEDLE_NONE = cmp(0.02, -0.01, 0.05, 80, None, "sliding 512/128", "sliding 128/64")
BASE = {**COMPLEXITY, **TOKENS, **LONGROPE, **ARCH, **REFS}

# (rule, figure changes on one side, its verdict, changes on the other side, its verdict)
CASES = [
    # the timing corroborates the count while its interval reaches within 0.3 of 2 (from either side)
    (
        R.seed000_quadratic,
        {"complexity.timing_slope_sdpa": fig(2.5, 2.29, 2.7, 7)},
        "supported",
        {"complexity.timing_slope_sdpa": fig(2.5, 2.31, 2.7, 7)},
        "supported with caveat",
    ),
    (
        R.seed000_quadratic,
        {"complexity.timing_slope_sdpa": fig(1.5, 1.4, 1.71, 7)},
        "supported",
        {"complexity.timing_slope_sdpa": fig(1.5, 1.4, 1.69, 7)},
        "supported with caveat",
    ),
    (
        R.seed000_quadratic,
        {"complexity.timing_slope_predicted": 2.0},
        "supported",
        {"complexity.timing_slope_predicted": 1.0},
        "wrong",
    ),
    (R.seed000_quadratic, {}, "supported", {"complexity.seed000_ratio_2x": 3}, "wrong"),
    (
        R.attention_square,
        {"complexity.llama7_share_4096": 0.49},
        "supported with caveat",
        {"complexity.llama7_share_4096": 0.51},
        "supported",
    ),
    (
        R.attention_square,
        {"complexity.llama7_share_4096": 0.6, "complexity.timing_slope_sdpa": fig(2.5, 2.29, 2.7, 7)},
        "supported",
        {"complexity.llama7_share_4096": 0.6, "complexity.timing_slope_sdpa": fig(2.5, 2.31, 2.7, 7)},
        "supported with caveat",
    ),
    (
        R.attention_square,
        {"complexity.timing_slope_predicted": 2.29},
        "supported with caveat",
        {"complexity.timing_slope_predicted": 2.31},
        "wrong",
    ),
    (
        R.seed004_64x,
        {"complexity.llama7_ratio_4096_512": 31.9},
        "misleading",
        {"complexity.llama7_ratio_4096_512": 32.1},
        "supported",
    ),
    (
        R.seed001_arithmetic,
        {"complexity.seed001_base_recomputed": 5.1e11 * 1.049},
        "supported",
        {"complexity.seed001_base_recomputed": 5.1e11 * 1.051},
        "wrong",
    ),
    (
        R.qkv_longer,
        {"complexity.qkv_head_dim_constant": True},
        "wrong",
        {"complexity.qkv_head_dim_constant": False},
        "supported",
    ),
    (
        R.memory,
        {"complexity.mem_naive_slope": 2.29},
        "supported with caveat",
        {"complexity.mem_naive_slope": 2.31},
        "misleading",
    ),
    (
        R.memory,
        {"complexity.mem_sdpa_largest_mib": 10.0},
        "supported with caveat",
        {"complexity.mem_sdpa_largest_mib": 10.5},
        "supported",
    ),
    (
        R.params_grow,
        {"complexity.bert_growth_4096": 0.049},
        "misleading",
        {"complexity.bert_growth_4096": 0.051},
        "supported with caveat",
    ),
    (
        R.params_grow,
        {"complexity.bert_position_params_4096": 1},
        "misleading",
        {"complexity.bert_position_params_4096": 0},
        "wrong",
    ),
    (R.param_range, {"complexity.gpt3_params_b": 9.9}, "supported", {"complexity.gpt3_params_b": 10.1}, "wrong"),
    (
        R.param_range,
        {"complexity.gpt3_params_b": 9.9, "complexity.bert_params_512": 1.01e6},
        "supported",
        {"complexity.gpt3_params_b": 9.9, "complexity.bert_params_512": 0.99e6},
        "wrong",
    ),
    (
        R.chars_unit,
        {},
        "wrong",
        {
            "tokens.en_chars_per_token_min": 1.0,
            "tokens.en_chars_per_token_max": 1.04,
            "tokens.zh_chars_per_token_min": 0.96,
            "tokens.zh_chars_per_token_max": 1.0,
        },
        "supported",
    ),
    # C003-7 counts every character: 2 of 4 within ±15% of 1.75 → with caveat; 1 of 4 → misleading
    (
        R.han_per_token,
        {"tokens.zh_chars_per_token_ci": per_tokenizer(0.46, 1.0, 1.59, 1.75 * 0.86)},
        "supported with caveat",
        {"tokens.zh_chars_per_token_ci": per_tokenizer(0.46, 1.0, 1.59, 1.75 * 0.84)},
        "misleading",
    ),
    (
        R.han_per_token,
        {"tokens.zh_chars_per_token_ci": per_tokenizer(0.46, 1.75 * 1.16)},
        "wrong",
        {"tokens.zh_chars_per_token_ci": per_tokenizer(0.46, 1.75 * 1.14)},
        "supported with caveat",
    ),
    (
        R.han_per_token,
        {"tokens.zh_chars_per_token_ci": per_tokenizer(1.75 * 1.14, 1.75 * 0.86)},
        "supported",
        {"tokens.zh_chars_per_token_ci": per_tokenizer(1.75 * 1.14, 1.75 * 0.84)},
        "supported with caveat",
    ),
    (
        R.qwen_5x,
        {"tokens.qwen_tokens_own": 5 * 1.26e6},
        "supported with caveat",
        {"tokens.qwen_tokens_own": 4.7 * 1.26e6},
        "misleading",
    ),  # 5× just outside 4.7× (+5%)
    (R.qwen_5x, {"tokens.qwen_over_kimi": 5.2}, "supported with caveat", {"tokens.qwen_over_kimi": 5.3}, "wrong"),
    (
        R.words,
        {"tokens.gpt2_words_in_1024": 1024 * 0.96},
        "supported",
        {"tokens.gpt2_words_in_1024": 1024 * 0.94},
        "wrong",
    ),
    (
        R.novel_fits,
        {"tokens.novel_tokens_longest": 1_999_999},
        "supported",
        {"tokens.novel_tokens_longest": 2_000_000},
        "wrong",
    ),
    (
        R.novel_fits,
        {"tokens.seed003_novel_tokens_max": fig(1.99e6, 1.9e6, 2.1e6)},
        "supported",
        {"tokens.seed003_novel_tokens_max": fig(2.01e6, 1.9e6, 2.1e6)},
        "wrong",
    ),
    (
        R.depth_width,
        {"longrope2.dw_base_window_over_predicted": 0.49, "longrope2.dw_window_growth": 8},
        "wrong",
        {"longrope2.dw_base_window_over_predicted": 0.51, "longrope2.dw_window_growth": 8},
        "supported",
    ),
    (
        R.depth_width,
        {"longrope2.dw_base_window_over_predicted": 1.0, "longrope2.dw_window_growth": 3.9},
        "wrong",
        {"longrope2.dw_base_window_over_predicted": 1.0, "longrope2.dw_window_growth": 4.1},
        "supported",
    ),
    # censored windows: the growth cannot refute; the base model's window still can
    (
        R.depth_width,
        {
            "longrope2.dw_base_window_over_predicted": 1.0,
            "longrope2.dw_window_growth": 1.0,
            "longrope2.dw_growth_censored": R.GROWTH_UNMEASURABLE,
        },
        "supported with caveat",
        {
            "longrope2.dw_base_window_over_predicted": 0.49,
            "longrope2.dw_window_growth": 1.0,
            "longrope2.dw_growth_censored": R.GROWTH_UNMEASURABLE,
        },
        "wrong",
    ),
    (R.widen_deepen, {"longrope2.dw_window_growth": 1.0}, "wrong", {"longrope2.dw_window_growth": 1.5}, "supported"),
    (
        R.widen_deepen,
        {"longrope2.dw_window_growth": 1.0, "longrope2.dw_growth_censored": R.GROWTH_LOWER_BOUND},
        "unverifiable here",
        {"longrope2.dw_window_growth": 2.0, "longrope2.dw_growth_censored": R.GROWTH_LOWER_BOUND},
        "supported",
    ),
    (
        R.widen_deepen,
        {"longrope2.dw_window_growth": 0.5, "longrope2.dw_growth_censored": R.GROWTH_UPPER_BOUND},
        "wrong",
        {"longrope2.dw_window_growth": 2.0, "longrope2.dw_growth_censored": R.GROWTH_UPPER_BOUND},
        "unverifiable here",
    ),
    (
        R.widen_deepen,
        {"longrope2.dw_window_growth": 8.0, "longrope2.dw_growth_censored": R.GROWTH_UNMEASURABLE},
        "unverifiable here",
        {"longrope2.dw_window_growth": 8.0, "longrope2.dw_growth_censored": R.GROWTH_MEASURED},
        "supported",
    ),
    (
        R.depth_width,
        {
            "longrope2.dw_base_window_over_predicted": 1.0,
            "longrope2.dw_window_growth": 3.9,
            "longrope2.dw_growth_censored": R.GROWTH_UPPER_BOUND,
        },
        "wrong",
        {
            "longrope2.dw_base_window_over_predicted": 1.0,
            "longrope2.dw_window_growth": 4.1,
            "longrope2.dw_growth_censored": R.GROWTH_UPPER_BOUND,
        },
        "supported with caveat",
    ),
    (
        R.gradients,
        {"critique.grad_far_change": fig(1.2, 0.99, 1.4, 48)},
        "wrong",
        {"critique.grad_far_change": fig(1.2, 1.01, 1.4, 48)},
        "supported with caveat",
    ),
    (R.seed002_code, {"critique.seed002_errors": ["x"]}, "wrong", {"critique.seed002_errors": []}, "supported"),
    # C001-2: a merely non-significant step decides nothing; a significantly worse one does
    (
        R.monotone,
        {"bert.needle_window_comparison": NEEDLE_NONE},
        "supported with caveat",
        {"bert.needle_window_comparison": cmp(0.02, 0.001, 0.05, 80)},
        "misleading",
    ),
    (
        R.monotone,
        {"bert.needle_window_comparison": NEEDLE_NONE, "bert.truncation_steps": [STEP_GAIN]},
        "supported with caveat",
        {"bert.needle_window_comparison": NEEDLE_NONE, "bert.truncation_steps": [STEP_WORSE]},
        "misleading",
    ),
    (
        R.monotone,
        {"bert.needle_window_comparison": NEEDLE_NONE, "bert.truncation_steps": [{**STEP_GAIN, "p": 0.049}]},
        "supported with caveat",
        {"bert.needle_window_comparison": NEEDLE_NONE, "bert.truncation_steps": [{**STEP_GAIN, "p": 0.051}]},
        "misleading",
    ),
    (
        R.overfit,
        {"longrope2.overfit_gap_growth": fig(0.05, 0.0, 0.099, 3)},
        "wrong",
        {"longrope2.overfit_gap_growth": fig(0.05, 0.0, 0.101, 3)},
        "unverifiable here",
    ),
    (
        R.overfit,
        {"longrope2.overfit_gap_growth": fig(0.2, 0.101, 0.3, 3)},
        "supported with caveat",
        {"longrope2.overfit_gap_growth": fig(0.2, 0.099, 0.3, 3)},
        "unverifiable here",
    ),
    (
        R.overfit,
        {"longrope2.overfit_gap_growth": fig(0.05, 0.0, 0.099, 3)},
        "wrong",
        {"longrope2.overfit_gap_growth": 0.05},
        "unverifiable here",
    ),  # one model per window: no interval
    (
        R.marketing,
        {"longrope2.effective_short_of_claimed": 0},
        "wrong",
        {"longrope2.effective_short_of_claimed": 1},
        "misleading",
    ),
    (
        R.marketing,
        {"longrope2.effective_short_of_claimed": 1},
        "misleading",
        {"longrope2.effective_short_of_claimed": 0, "longrope2.effective_rows": 0},
        "unverifiable here",
    ),
    (
        R.seed001_snippet,
        {"bert.seed001_syntax_error": True},
        "wrong",
        {"bert.seed001_syntax_error": False},
        "supported",
    ),
    (
        R.ner_proof,
        {"bert.tokf1_gain": {"value": 0.03, "ci95": [0.001, 0.06], "n": 40, "p": 0.04}},
        "supported with caveat",
        {"bert.tokf1_gain": {"value": 0.03, "ci95": [-0.001, 0.06], "n": 40, "p": 0.06}},
        "misleading",
    ),
    (
        R.ner_proof,
        {"bert.tokf1_gain": {"value": -0.03, "ci95": [-0.06, 0.001], "n": 40, "p": 0.06}},
        "misleading",
        {"bert.tokf1_gain": {"value": -0.03, "ci95": [-0.06, -0.001], "n": 40, "p": 0.04}},
        "wrong",
    ),
    (R.plain_rope, {"longrope.plain_last_ratio": 1.49}, "misleading", {"longrope.plain_last_ratio": 1.51}, "supported"),
    # C003-3, read strictly: quality kept (< 1.1×), window delivered, YaRN beaten by more than 0.05 nats
    (R.eight_x, {"longrope.lr_vs_base_L": 1.09}, "supported", {"longrope.lr_vs_base_L": 1.11}, "misleading"),
    (
        R.eight_x,
        {"longrope.rep_ppl_lr_vs_yarn_pooled": cmp(-0.1, -0.15, -0.051)},
        "supported",
        {"longrope.rep_ppl_lr_vs_yarn_pooled": cmp(-0.1, -0.15, -0.049)},
        "supported with caveat",
    ),
    # ... and the ranking must hold on every base model, not only pooled
    (
        R.eight_x,
        {"longrope.rep_ppl_lr_vs_yarn": R.HOLDS_ACROSS},
        "supported",
        {"longrope.rep_ppl_lr_vs_yarn": "differs between base models"},
        "supported with caveat",
    ),
    (
        R.eight_x,
        {"longrope2.effective_table": effective(progressive=8192, lr_noft=512)},
        "supported",
        {"longrope2.effective_table": effective(lr_noft=256)},
        "misleading",
    ),
    (
        R.eight_x,
        {"longrope.ppl_lr_vs_pi": CMP_HIGHER, "longrope.lr_vs_base_L": 1.5},
        "misleading",
        {"longrope.ppl_lr_vs_pi": CMP_LOWER, "longrope.lr_vs_base_L": 1.5},
        "misleading",
    ),  # beating PI is not enough
    (
        R.short_kept,
        {"longrope2.short_readjusted_vs_base": 1.049},
        "supported",
        {"longrope2.short_readjusted_vs_base": 1.051},
        "supported with caveat",
    ),
    (
        R.short_kept,
        {"longrope2.short_readjusted_vs_base": 1.19},
        "supported with caveat",
        {"longrope2.short_readjusted_vs_base": 1.21},
        "misleading",
    ),
    (
        R.short_kept,
        {"longrope2.effective_table": effective(progressive=4096)},
        "supported",
        {"longrope2.effective_table": effective(progressive=4095)},
        "misleading",
    ),
    (
        R.progressive,
        {"longrope2.effective_table": effective(progressive=8192)},
        "supported",
        {"longrope2.effective_table": effective(progressive=4096)},
        "supported with caveat",
    ),
    (
        R.progressive,
        {"longrope2.effective_table": effective(progressive=4096)},
        "supported with caveat",
        {"longrope2.effective_table": effective(progressive=4095)},
        "misleading",
    ),
    (R.progressive, {}, "supported", {"longrope2.progressive_vs_oneshot_top": CMP_NONE}, "misleading"),
    (
        R.readjust,
        {"longrope2.readjusted_vs_long_at_L": cmp(-0.1, -0.2, -0.051)},
        "supported",
        {"longrope2.readjusted_vs_long_at_L": cmp(-0.04, -0.049, -0.03)},
        "supported with caveat",
    ),
    (
        R.readjust,
        {"longrope2.readjusted_vs_long_at_L": cmp(-0.02, -0.04, -0.001)},
        "supported with caveat",
        {"longrope2.readjusted_vs_long_at_L": cmp(-0.02, -0.04, 0.001)},
        "misleading",
    ),
    (
        R.readjust,
        {"longrope2.readjusted_vs_long_at_L": cmp(0.04, 0.03, 0.049)},
        "misleading",
        {"longrope2.readjusted_vs_long_at_L": cmp(0.1, 0.051, 0.2)},
        "wrong",
    ),
    (
        R.no_training,
        {"longrope2.ft_ppl_lr_vs_noft_pooled": cmp(-math.log(1.1) + 0.001, -0.2, -0.01)},
        "supported with caveat",
        {"longrope2.ft_ppl_lr_vs_noft_pooled": cmp(-math.log(1.1) - 0.001, -0.2, -0.01)},
        "misleading",
    ),
    (
        R.no_training,
        {"longrope2.ft_ppl_lr_vs_noft_pooled": cmp(-0.2, -0.3, 0.01)},
        "supported with caveat",
        {"longrope2.ft_ppl_lr_vs_noft_pooled": cmp(-0.2, -0.3, -0.01)},
        "misleading",
    ),
    (
        R.no_training,
        {"longrope2.ft_ppl_lr_vs_noft": "differs between fine-tune seeds"},
        "supported with caveat",
        {"longrope2.ft_ppl_lr_vs_noft": R.HOLDS_ACROSS_SEEDS},
        "misleading",
    ),
    (
        R.in_use,
        {"longrope.transformers_has_longrope": True},
        "wrong",
        {"longrope.transformers_has_longrope": False},
        "supported",
    ),
    (
        R.linear,
        {"longrope2.effective_table": effective(pi_ft=512)},
        "supported with caveat",
        {"longrope2.effective_table": effective(pi_ft=256)},
        "misleading",
    ),
    (
        R.linear,
        {"longrope2.effective_table": effective(pi_ft=1024), "longrope2.ft_pi_vs_base_worst": 1.19},
        "supported with caveat",
        {"longrope2.effective_table": effective(pi_ft=1024), "longrope2.ft_pi_vs_base_worst": 1.21},
        "misleading",
    ),
]

# the rules made by a factory (rule_args in claims.yaml), each with its own cases
VENDOR_GPT4, VENDOR_GLM, VENDOR_KIMI = (
    R.vendor("C000-2", "ruler_gpt4"),
    R.vendor("C000-3", "ruler_chatglm"),
    R.vendor("C000-1", "ruler_kimi"),
)
FACTORY_CASES = [
    (
        "vendor GPT-4: effective ≥ half of the claim",
        VENDOR_GPT4,
        {"critique.ruler_lengths": ruler_lengths(64000)},
        "supported with caveat",
        {"critique.ruler_lengths": ruler_lengths(63999)},
        "misleading",
    ),
    (
        "vendor GPT-4: reaching the claim",
        VENDOR_GPT4,
        {"critique.ruler_lengths": ruler_lengths(131072)},
        "supported",
        {"critique.ruler_lengths": ruler_lengths(65536)},
        "supported with caveat",
    ),
    (
        "vendor GPT-4: a lower bound short of the claim",
        VENDOR_GPT4,
        {"critique.ruler_lengths": ruler_lengths(65536, gpt4_lower=False)},
        "supported with caveat",
        {"critique.ruler_lengths": ruler_lengths(65536, gpt4_lower=True)},
        "unverifiable here",
    ),
    (
        "vendor ChatGLM: the same stated window or a variant",
        VENDOR_GLM,
        {"critique.ruler_lengths": ruler_lengths(glm_claimed=32768)},
        "misleading",
        {"critique.ruler_lengths": ruler_lengths(glm_claimed=131072)},
        "unverifiable here",
    ),
    (
        "vendor Kimi: no measurement of the product",
        VENDOR_KIMI,
        {},
        "unverifiable here",
        {
            "critique.ruler_lengths": {
                **ruler_lengths(),
                "ruler_kimi": {"model": "Kimi", "claimed": 2e6, "effective": 2e6, "lower_bound": False},
            }
        },
        "unverifiable here",
    ),
    (
        "vendor Kimi: measured, and its tokenizer known",
        VENDOR_KIMI,
        {
            "critique.ruler_lengths": {
                **ruler_lengths(),
                "ruler_kimi": {"model": "Kimi", "claimed": 2e6, "effective": 2e6, "lower_bound": False},
            }
        },
        "unverifiable here",
        {
            "critique.ruler_lengths": {
                **ruler_lengths(),
                "ruler_kimi": {"model": "Kimi", "claimed": 2e6, "effective": 2e6, "lower_bound": False},
            },
            "tokens.vendor_conversions": [{**conversions()[0], "tokens (own)": 2e6}, *conversions()[1:]],
        },
        "supported",
    ),
    ("references: all exist and say it", R.references(["real"]), {}, "supported", {}, "supported"),
    (
        "references: one exists but says something else",
        R.references(["real"]),
        {},
        "supported",
        {
            "critique.references": {
                **REFS["critique.references"],
                "real": {**REFS["critique.references"]["real"], "supports": False},
            }
        },
        "misleading",
    ),
    (
        "references: one does not exist",
        R.references(["real", "off"]),
        {},
        "misleading",
        {
            "critique.references": {
                **REFS["critique.references"],
                "off": {**REFS["critique.references"]["off"], "exists": False},
            }
        },
        "wrong",
    ),
    (
        "references: a missing work outweighs",
        R.references(["off", "ghost"]),
        {},
        "wrong",
        {
            "critique.references": {
                **REFS["critique.references"],
                "ghost": {**REFS["critique.references"]["ghost"], "exists": True, "supports": True},
            }
        },
        "misleading",
    ),
]


@pytest.mark.parametrize(
    "rule, side_a, verdict_a, side_b, verdict_b", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_rule_on_both_sides_of_its_threshold(rule, side_a, verdict_a, side_b, verdict_b):
    assert rule({**BASE, **side_a})[0] == verdict_a
    assert rule({**BASE, **side_b})[0] == verdict_b


@pytest.mark.parametrize(
    "name, rule, side_a, verdict_a, side_b, verdict_b", FACTORY_CASES, ids=[c[0] for c in FACTORY_CASES]
)
def test_factory_rules_on_both_sides(name, rule, side_a, verdict_a, side_b, verdict_b):
    assert rule({**BASE, **side_a})[0] == verdict_a
    assert rule({**BASE, **side_b})[0] == verdict_b


def test_every_rule_of_the_registry_is_exercised_on_both_sides():
    from lcreport.claims import CLAIMS

    tested = {c[0].__name__ for c in CASES} | {c[1].__name__ for c in FACTORY_CASES}
    used = {c.rule.__name__ for c in CLAIMS if c.rule is not None}
    assert used <= tested, used - tested


def test_every_registered_rule_runs_on_the_synthetic_figures():
    """Each claim's rule reads only its evidence keys, all of which the synthetic figures hold."""
    from lcreport.claims import CLAIMS, VERDICTS, assess, load_references

    figures = {**BASE, "critique.references": load_references()}
    for c in CLAIMS:
        if c.category != "opinion":
            assert set(c.evidence) <= set(figures), (c.id, set(c.evidence) - set(figures))
            assert assess(c, figures)[0] in VERDICTS


def test_no_rule_holds_a_measured_number():
    """The rules' constants are thresholds or the articles' own figures; a figure the chapters measure
    (such as the Qwen/Kimi ratio or a window) is read from results, so moving it moves the verdict."""
    assert R.qwen_5x({**BASE, "tokens.qwen_over_kimi_claimed": 4, "tokens.qwen_over_kimi": 4.0})[0] != "wrong"
    assert R.qwen_5x({**BASE, "tokens.qwen_over_kimi_claimed": 4})[0] == "wrong"


def test_value_of_reads_interval_figures_and_plain_ones():
    assert R.value_of({"value": 1.5, "ci95": [1, 2], "n": 3}) == 1.5
    assert R.value_of(2.0) == 2.0
    assert R.value_of(CMP_LOWER) is CMP_LOWER  # a comparison stays a comparison
    assert "95% CI" in R.interval(fig(1.0, 0.5, 1.5)) and R.interval(1.0) == ""


def test_relation_reads_the_paired_interval():
    from lcreport.stats import relation

    assert relation(CMP_LOWER) == "lower than"
    assert relation(CMP_HIGHER) == "higher than"
    assert relation(CMP_NONE) == "not detectably different from"


def test_an_unknown_censoring_state_is_refused_not_read_as_measured():
    figures = {**BASE, "longrope2.dw_growth_censored": "partly"}
    with pytest.raises(ValueError, match="re-execute chapter 05"):
        R.widen_deepen(figures)


def test_eight_x_names_the_search_comparison_once_when_it_is_the_factors_part():
    """When the chosen search started from YaRN's factors, its held-out gain is the grid's factors part: the
    verdict's text cites that comparison once, not as two pieces of evidence."""
    own = R.eight_x({**BASE, "longrope.search_gain_is_factors_part": False})[1]
    same = R.eight_x({**BASE, "longrope.search_gain_is_factors_part": True})[1]
    assert "its best starting point -0.01 nats (95% CI -0.02 to +0" in own
    assert "which is also the chosen search" in same and "-0.01 nats" not in same
