"""Every verdict rule on both sides of its threshold: move one figure across the line, the verdict moves."""
import pytest

from lcreport.claims import rules as R

CMP_LOWER = {"diff": -0.2, "ci95": [-0.3, -0.1], "n": 100}
CMP_NONE = {"diff": -0.05, "ci95": [-0.12, 0.02], "n": 100}
CMP_HIGHER = {"diff": 0.2, "ci95": [0.1, 0.3], "n": 100}

COMPLEXITY = {"complexity.seed000_ratio_2x": 4, "complexity.seed000_ratio_10x": 100, "complexity.timing_slope_sdpa": 2.1,
              "complexity.llama7_share_4096": 0.3, "complexity.llama7_crossover": 25000,
              "complexity.seed004_ratio_scores": 64, "complexity.llama7_ratio_4096_512": 9.1,
              "complexity.mem_naive_slope": 2.0, "complexity.mem_sdpa_largest_mib": 2.0,
              "complexity.mem_naive_largest_mib": 1024.0, "complexity.llama7_kv_kib_per_token": 512,
              "complexity.llama_param_growth": 0, "complexity.bert_growth_4096": 0.02,
              "complexity.seed001_base_recomputed": 8.05e8, "complexity.qkv_head_dim_constant": True}
TOKENS = {"tokens.en_chars_per_token_min": 3.9, "tokens.en_chars_per_token_max": 4.6,
          "tokens.zh_chars_per_token_min": 0.7, "tokens.zh_chars_per_token_max": 1.6,
          "tokens.han_per_token_by_tokenizer": {"a": 0.7, "b": 1.4}, "tokens.qwen_over_kimi": 5.0,
          "tokens.gpt2_words_in_1024": 770}
LONGROPE = {"longrope.plain_last_ratio": 3.0, "longrope.top_scale": 8, "longrope.lr_vs_base_L": 1.5,
            "longrope.ppl_lr_vs_pi": CMP_LOWER, "longrope.ppl_lr_vs_yarn": CMP_NONE, "longrope.lr_passkey_top": 0.5,
            "longrope.transformers_has_longrope": True, "longrope.pi_ppl_top": 150.0,
            "longrope2.short_readjusted_vs_base": 1.04, "longrope2.progressive_vs_oneshot": 0.8,
            "longrope2.short_vs_long_at_L": 1.0, "longrope2.ft_gain_longrope": 1.27, "longrope2.ft_steps": 100,
            "longrope2.pi_ft_vs_base": 0.97, "longrope2.prog_top_scale": 32}
ARCH = {"longrope2.bert_depth_times_width": 9216, "longrope2.dw_base_window_over_predicted": 0.25,
        "longrope2.dw_window_growth": 1.0, "longrope2.dw_predicted_growth": 8, "critique.grad_ratio_spread": 1.3,
        "critique.seed002_errors": ["x"], "longrope2.overfit_gap_growth": 0.02,
        "longrope2.effective_short_of_claimed": 3, "longrope2.effective_rows": 9,
        "bert.seed001_syntax_error": True, "bert.cls_acc_shortest": 0.27, "bert.cls_acc_512": 0.91,
        "bert.truncation_steps": [{"a": "truncate 128", "b": "truncate 256", "diff": 0.2, "p": 0.001, "n": 96},
                                  {"a": "truncate 256", "b": "truncate 512", "diff": 0.03, "p": 0.2, "n": 96}],
        "bert.needle_window_comparison": {"diff": 0.3, "ci95": [0.2, 0.4], "n": 80}}
STEP_GAIN = {"a": "truncate 256", "b": "truncate 512", "diff": 0.03, "p": 0.04, "n": 96}
NEEDLE_NONE = {"diff": 0.02, "ci95": [-0.01, 0.05], "n": 80}
BASE = {**COMPLEXITY, **TOKENS, **LONGROPE, **ARCH}

# (rule, figure changes on one side, its verdict, changes on the other side, its verdict)
CASES = [
    (R.seed000_quadratic, {"complexity.timing_slope_sdpa": 2.29}, "supported",
     {"complexity.timing_slope_sdpa": 2.31}, "supported with caveat"),
    (R.seed000_quadratic, {}, "supported", {"complexity.seed000_ratio_2x": 3}, "wrong"),
    (R.whole_model_square, {"complexity.llama7_share_4096": 0.49}, "misleading",
     {"complexity.llama7_share_4096": 0.51}, "supported"),
    (R.seed004_64x, {"complexity.llama7_ratio_4096_512": 31.9}, "misleading",
     {"complexity.llama7_ratio_4096_512": 32.1}, "supported"),
    (R.seed001_arithmetic, {"complexity.seed001_base_recomputed": 5.1e11 * 1.049}, "supported",
     {"complexity.seed001_base_recomputed": 5.1e11 * 1.051}, "wrong"),
    (R.qkv_longer, {"complexity.qkv_head_dim_constant": True}, "wrong",
     {"complexity.qkv_head_dim_constant": False}, "supported"),
    (R.memory, {"complexity.mem_naive_slope": 2.29}, "supported with caveat",
     {"complexity.mem_naive_slope": 2.31}, "misleading"),
    (R.memory, {"complexity.mem_sdpa_largest_mib": 10.0}, "supported with caveat",
     {"complexity.mem_sdpa_largest_mib": 10.5}, "supported"),
    (R.params_grow, {"complexity.bert_growth_4096": 0.049}, "wrong",
     {"complexity.bert_growth_4096": 0.051}, "supported with caveat"),
    (R.chars_unit, {}, "wrong",
     {"tokens.en_chars_per_token_min": 1.0, "tokens.en_chars_per_token_max": 1.04,
      "tokens.zh_chars_per_token_min": 0.96, "tokens.zh_chars_per_token_max": 1.0}, "supported"),
    (R.han_per_token, {"tokens.han_per_token_by_tokenizer": {"a": 0.7, "b": 1.75 * 0.84}}, "wrong",
     {"tokens.han_per_token_by_tokenizer": {"a": 0.7, "b": 1.75 * 0.86}}, "supported with caveat"),
    (R.han_per_token, {"tokens.han_per_token_by_tokenizer": {"a": 1.75 * 1.14}}, "supported",
     {"tokens.han_per_token_by_tokenizer": {"a": 1.75 * 1.16}}, "wrong"),
    (R.qwen_5x, {"tokens.qwen_over_kimi": 5.0}, "supported with caveat", {"tokens.qwen_over_kimi": 4.0}, "wrong"),
    (R.words, {"tokens.gpt2_words_in_1024": 1024 * 0.96}, "supported",
     {"tokens.gpt2_words_in_1024": 1024 * 0.94}, "wrong"),
    (R.depth_width, {"longrope2.dw_base_window_over_predicted": 0.49, "longrope2.dw_window_growth": 8}, "wrong",
     {"longrope2.dw_base_window_over_predicted": 0.51, "longrope2.dw_window_growth": 8}, "supported"),
    (R.depth_width, {"longrope2.dw_base_window_over_predicted": 1.0, "longrope2.dw_window_growth": 3.9}, "wrong",
     {"longrope2.dw_base_window_over_predicted": 1.0, "longrope2.dw_window_growth": 4.1}, "supported"),
    (R.gradients, {"critique.grad_ratio_spread": 1.9}, "wrong",
     {"critique.grad_ratio_spread": 2.1}, "supported with caveat"),
    (R.seed002_code, {"critique.seed002_errors": ["x"]}, "wrong", {"critique.seed002_errors": []}, "supported"),
    (R.monotone, {"bert.needle_window_comparison": NEEDLE_NONE}, "misleading",
     {"bert.needle_window_comparison": NEEDLE_NONE, "bert.truncation_steps": [STEP_GAIN]}, "supported with caveat"),
    (R.monotone, {"bert.truncation_steps": [STEP_GAIN], "bert.needle_window_comparison": {**NEEDLE_NONE, "ci95": [0.01, 0.05]}},
     "misleading", {"bert.truncation_steps": [STEP_GAIN], "bert.needle_window_comparison": NEEDLE_NONE},
     "supported with caveat"),
    (R.monotone, {"bert.truncation_steps": [{**STEP_GAIN, "p": 0.06}], "bert.needle_window_comparison": NEEDLE_NONE},
     "misleading", {"bert.truncation_steps": [{**STEP_GAIN, "diff": 0.03, "p": 0.049}],
                    "bert.needle_window_comparison": NEEDLE_NONE}, "supported with caveat"),
    (R.overfit, {"longrope2.overfit_gap_growth": 0.09}, "wrong",
     {"longrope2.overfit_gap_growth": 0.11}, "supported with caveat"),
    (R.marketing, {"longrope2.effective_short_of_claimed": 0}, "misleading",
     {"longrope2.effective_short_of_claimed": 1}, "supported with caveat"),
    (R.seed001_snippet, {"bert.seed001_syntax_error": True}, "wrong",
     {"bert.seed001_syntax_error": False}, "supported"),
    (R.ner_proof, {"bert.cls_acc_512": 0.27}, "wrong", {"bert.cls_acc_512": 0.28}, "misleading"),
    (R.plain_rope, {"longrope.plain_last_ratio": 1.49}, "misleading",
     {"longrope.plain_last_ratio": 1.51}, "supported"),
    (R.eight_x, {"longrope.lr_vs_base_L": 1.09}, "supported",
     {"longrope.lr_vs_base_L": 1.11}, "supported with caveat"),
    (R.eight_x, {"longrope.ppl_lr_vs_pi": CMP_NONE}, "misleading",
     {"longrope.ppl_lr_vs_pi": CMP_LOWER}, "supported with caveat"),
    (R.short_kept, {"longrope2.short_readjusted_vs_base": 1.049}, "supported",
     {"longrope2.short_readjusted_vs_base": 1.051}, "supported with caveat"),
    (R.short_kept, {"longrope2.short_readjusted_vs_base": 1.19}, "supported with caveat",
     {"longrope2.short_readjusted_vs_base": 1.21}, "misleading"),
    (R.progressive, {"longrope2.progressive_vs_oneshot": 0.94}, "supported",
     {"longrope2.progressive_vs_oneshot": 0.96}, "supported with caveat"),
    (R.progressive, {"longrope2.progressive_vs_oneshot": 1.04}, "supported with caveat",
     {"longrope2.progressive_vs_oneshot": 1.06}, "misleading"),
    (R.readjust, {"longrope2.short_vs_long_at_L": 0.97}, "supported",
     {"longrope2.short_vs_long_at_L": 0.99}, "supported with caveat"),
    (R.readjust, {"longrope2.short_vs_long_at_L": 1.01}, "supported with caveat",
     {"longrope2.short_vs_long_at_L": 1.03}, "wrong"),
    (R.no_training, {"longrope2.ft_gain_longrope": 1.09}, "supported with caveat",
     {"longrope2.ft_gain_longrope": 1.11}, "misleading"),
    (R.in_use, {"longrope.transformers_has_longrope": True}, "wrong",
     {"longrope.transformers_has_longrope": False}, "supported"),
    (R.linear, {"longrope2.pi_ft_vs_base": 1.19}, "supported with caveat",
     {"longrope2.pi_ft_vs_base": 1.21}, "misleading"),
]


@pytest.mark.parametrize("rule, side_a, verdict_a, side_b, verdict_b", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_rule_on_both_sides_of_its_threshold(rule, side_a, verdict_a, side_b, verdict_b):
    assert rule({**BASE, **side_a})[0] == verdict_a
    assert rule({**BASE, **side_b})[0] == verdict_b


def test_every_rule_of_the_registry_is_exercised_on_both_sides():
    from lcreport.claims import CLAIMS

    tested = {c[0].__name__ for c in CASES}
    used = {c.rule.__name__ for c in CLAIMS if c.rule is not None} - {"rule"}  # vendor(): a closure, below
    assert used <= tested, used - tested


def test_vendor_figures_are_unverifiable_whatever_the_numbers():
    rule = R.vendor("tokens.a", "tokens.b", ruler="critique.r")
    assert rule({"tokens.a": 1e6, "tokens.b": 2e6, "critique.r": "64K"})[0] == "unverifiable here"


def test_relation_reads_the_paired_interval():
    from lcreport.analysis.stats import relation

    assert relation(CMP_LOWER) == "lower than"
    assert relation(CMP_HIGHER) == "higher than"
    assert relation(CMP_NONE) == "not detectably different from"
