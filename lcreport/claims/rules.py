"""The verdict rules: each reads the figures named by a claim's evidence and returns
(verdict, what was measured). Thresholds are fixed here, before the data, and each rule is
unit-tested on both sides of its threshold (``tests/test_claims_rules.py``).
"""
from __future__ import annotations

import math


def _pct(x):
    return f"{x:.0%}"


def _seed000_quadratic(f):
    ok = f["complexity.seed000_ratio_2x"] == 4 and f["complexity.seed000_ratio_10x"] == 100
    slope = f["complexity.timing_slope_sdpa"]
    verdict = "supported" if ok and abs(slope - 2) <= 0.3 else "supported with caveat" if ok else "wrong"
    return verdict, (f"ratios {f['complexity.seed000_ratio_2x']:.0f}× and {f['complexity.seed000_ratio_10x']:.0f}×; "
                     f"measured time exponent {slope:.2f} (SDPA)")


def _whole_model_square(f):
    share = f["complexity.llama7_share_4096"]
    return ("misleading" if share < 0.5 else "supported",
            f"quadratic share of Llama-2-7B FLOPs at 4,096 tokens: {_pct(share)}; "
            f"crossover at {f['complexity.llama7_crossover']:,.0f} tokens")


def _seed004_64x(f):
    whole = f["complexity.llama7_ratio_4096_512"]
    return ("misleading" if whole < 0.5 * f["complexity.seed004_ratio_scores"] else "supported",
            f"scores {f['complexity.seed004_ratio_scores']:.0f}×; whole Llama-2-7B sequence {whole:.1f}×")


def _seed001_arithmetic(f):
    recomputed, claimed = f["complexity.seed001_base_recomputed"], 5.1e11
    return ("wrong" if abs(recomputed - claimed) / claimed > 0.05 else "supported",
            f"1024·512·1536 = {recomputed:,.0f} (claimed ≈ 5.1e11)")


def _qkv_longer(f):
    same = f["complexity.qkv_head_dim_constant"]
    return ("wrong" if same else "supported",
            "each Q/K/V vector keeps its head dimension at every length; their number grows")


def _memory(f):
    naive, sdpa = f["complexity.mem_naive_slope"], f["complexity.mem_sdpa_largest_mib"]
    quadratic = abs(naive - 2) < 0.3
    flat = sdpa < 0.01 * f["complexity.mem_naive_largest_mib"]
    verdict = "supported with caveat" if quadratic and flat else "supported" if quadratic else "misleading"
    return verdict, (f"naive attention memory ∝ n^{naive:.2f}; fused (SDPA) {sdpa:.1f} MiB; "
                     f"KV cache {f['complexity.llama7_kv_kib_per_token']:.0f} KiB/token (Llama-2-7B), linear")


def _params_grow(f):
    rope, bert = f["complexity.llama_param_growth"], f["complexity.bert_growth_4096"]
    return ("wrong" if rope == 0 and bert < 0.05 else "supported with caveat",
            f"RoPE Llama: +{rope:.0f} parameters from 4k to 32k positions; BERT-base's learned table: +{_pct(bert)} at 4,096")


def _chars_unit(f):
    lo, hi = f["tokens.en_chars_per_token_min"], f["tokens.en_chars_per_token_max"]
    zlo, zhi = f["tokens.zh_chars_per_token_min"], f["tokens.zh_chars_per_token_max"]
    return ("wrong" if max(abs(lo - 1), abs(hi - 1), abs(zlo - 1), abs(zhi - 1)) > 0.05 else "supported",
            f"characters per token: English {lo:.2f}–{hi:.2f}, Chinese {zlo:.2f}–{zhi:.2f}")


def _han_per_token(f):
    n, total = f["tokens.claim175_n_holds_han"], f["tokens.claim175_n_tokenizers"]
    verdict = "wrong" if n == 0 else "supported" if n == total else "supported with caveat"
    return verdict, (f"汉字 per token {f['tokens.han_per_token_min']:.2f}–{f['tokens.han_per_token_max']:.2f}; "
                     f"1.75 (±15%) holds for {n} of {total} tokenizers")


def _vendor(tokens_low=None, tokens_high=None, ruler=None):
    def rule(f):
        parts = []
        if tokens_low:
            parts.append(f"≈ {f[tokens_low] / 1e6:.1f}M–{f[tokens_high] / 1e6:.1f}M tokens by our tokenizers")
        if ruler:
            parts.append(f"RULER effective: {f[ruler]}")
        return "unverifiable here", "; ".join(parts)
    return rule


def _qwen_5x(f):
    ratio = f["tokens.qwen_over_kimi"]
    return ("supported with caveat" if abs(ratio - 5) < 0.05 else "wrong",
            f"10M / 2M = {ratio:.0f}×, in characters; windows are set in tokens")


def _words(f):
    words = f["tokens.gpt2_words_in_1024"]
    return ("wrong" if abs(words - 1024) / 1024 > 0.05 else "supported",
            f"1,024 GPT-2 tokens ≈ {words:,.0f} English words; BERT's 512 are WordPiece tokens")


def _depth_width(f):
    bert = f["longrope2.bert_depth_times_width"]
    base = f["longrope2.dw_base_window_over_predicted"]
    growth, predicted = f["longrope2.dw_window_growth"], f["longrope2.dw_predicted_growth"]
    return ("wrong" if base < 0.5 or growth < predicted / 2 else "supported",
            f"BERT-base: 12 × 768 = {bert:,} vs 512 positions; our retrieving Llama's window is {base:.2f}× "
            f"its depth × width; across small Llamas the window grows {growth:.1f}× where the formula predicts {predicted:.0f}×")


def _gradients(f):
    spread = f["critique.grad_ratio_spread"]
    return ("wrong" if spread < 2 else "supported with caveat",
            f"first/last-layer gradient-norm ratio varies {spread:.2f}× across context lengths")


def _seed002_code(f):
    errors = f["critique.seed002_errors"]
    return ("wrong" if errors else "supported", f"{len(errors)} failures found by running it")


def _monotone(f):
    rows = [r for r in f["bert.classification"] if r["strategy"].startswith("truncate")]
    # a step is a gain if it exceeds twice its standard error (errors of the two accuracies combined)
    flat = [b["strategy"] for a, b in zip(rows, rows[1:])
            if b["accuracy"] - a["accuracy"] <= 2 * math.hypot(a["± s.e."], b["± s.e."])]
    short, long = f["bert.needle_slide128_mean"], f["bert.needle_slide_mean"]
    worse = short - long > 0.05
    return ("misleading" if flat or worse else "supported with caveat",
            f"BERT accuracy {_pct(f['bert.cls_acc_shortest'])} → {_pct(f['bert.cls_acc_512'])}; no significant gain at "
            + (", ".join(flat) if flat else "no step") + f"; needle found {_pct(short)} with 128-token windows, "
            f"{_pct(long)} with 512-token ones")


def _overfit(f):
    growth = f["longrope2.overfit_gap_growth"]
    return ("wrong" if growth < 0.1 else "supported with caveat",
            f"held-out minus train log-perplexity changes by {growth:+.3f} nats from the shortest to the longest window")


def _marketing(f):
    short = f["longrope2.effective_short_of_claimed"]
    total = f["longrope2.effective_rows"]
    return ("supported with caveat" if short else "misleading",
            f"{short} of {total} configurations fall short of their configured window; "
            "effective-context tests (pass key, RULER) exist")


def _seed001_snippet(f):
    return ("wrong" if f["bert.seed001_syntax_error"] else "supported",
            "SyntaxError at `1 <| input_ids`; fixed, an untrained head's label changes with the seed")


def _ner_proof(f):
    gain = f["bert.cls_acc_512"] - f["bert.cls_acc_shortest"]
    return ("misleading" if gain > 0 else "wrong",
            f"a sequence classifier cannot give an NER report; controlled: {_pct(f['bert.cls_acc_shortest'])} → "
            f"{_pct(f['bert.cls_acc_512'])} (30 → 512 tokens)")


def _plain_rope(f):
    r = f["longrope.plain_last_ratio"]
    return ("supported" if r > 1.5 else "misleading",
            f"plain RoPE perplexity ×{r:.1f} at {f['longrope.top_scale']}× L")


def _eight_x(f):
    ratio, vs_pi, vs_yarn = f["longrope.lr_vs_base_L"], f["longrope.lr_vs_pi"], f["longrope.lr_vs_yarn"]
    verdict = ("supported" if ratio < 1.1 and vs_pi == "lower than" else
               "supported with caveat" if vs_pi == "lower than" else "misleading")
    return verdict, (f"LongRoPE at {f['longrope.top_scale']}× L: perplexity ×{ratio:.2f} of the model at L; "
                     f"{vs_pi} PI, {vs_yarn} YaRN; pass key {_pct(f['longrope.lr_passkey_top'])}")


def _short_kept(f):
    kept = f["longrope2.short_readjusted_vs_base"]
    return ("supported" if kept < 1.05 else "supported with caveat" if kept < 1.2 else "misleading",
            f"perplexity at L after extension and readjustment: ×{kept:.2f} of the base model")


def _progressive(f):
    r = f["longrope2.progressive_vs_oneshot"]
    return ("supported" if r < 0.95 else "supported with caveat" if r <= 1.05 else "misleading",
            f"at {f['longrope2.prog_top_scale']}× L, progressive / one-shot perplexity = {r:.2f}")


def _readjust(f):
    r = f["longrope2.short_vs_long_at_L"]
    return ("supported" if r < 0.98 else "supported with caveat" if r <= 1.02 else "wrong",
            f"at L, re-searched short factors / long factors perplexity = {r:.3f}")


def _no_training(f):
    gain = f["longrope2.ft_gain_longrope"]
    return ("misleading" if gain > 1.1 else "supported with caveat",
            f"{f['longrope2.ft_steps']} fine-tuning steps cut LongRoPE's perplexity at 4× L {gain:.2f}-fold "
            f"(the paper: 400 + 600 steps)")


def _in_use(f):
    return ("wrong" if f["longrope.transformers_has_longrope"] else "supported",
            "transformers ships rope_type 'longrope' (Phi-3 long-context configs)")


def _linear(f):
    after = f["longrope2.pi_ft_vs_base"]
    before = f["longrope.pi_ppl_top"]
    return ("supported with caveat" if after < 1.2 else "misleading",
            f"PI without fine-tuning: perplexity {before:.0f} at {f['longrope.top_scale']}× L; "
            f"fine-tuned at 4× L: ×{after:.2f} of the base at L")
