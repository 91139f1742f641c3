"""The verdict rules: each reads the figures named by a claim's evidence and returns
(verdict, what was measured).

Every threshold is a named constant below, fixed before the data, and every rule is
unit-tested on both sides of its threshold (``tests/test_claims_rules.py``). A comparison
(``"<chapter>.<comparison id>"``) is a dict with ``diff`` = metric(b) − metric(a) and ``ci95``.
"""
from __future__ import annotations

from ..analysis.stats import relation

# --- thresholds -----------------------------------------------------------------------------------
#: a measured time exponent within this of 2 is "quadratic"
EXPONENT_TOLERANCE = 0.3
#: the quadratic term is the bulk of a model's cost when it is at least this share of the FLOPs
MAJORITY_SHARE = 0.5
#: a recomputed figure matches a printed one within this relative error
ARITHMETIC_TOLERANCE = 0.05
#: a fused kernel's memory is "flat" when under this share of the naive kernel's at the largest length
FLAT_MEMORY_SHARE = 0.01
#: a learned position table "adds parameters" when it is at least this share of the model
PARAM_GROWTH_SHARE = 0.05
#: a unit is "characters" if characters per token stay within this of 1
CHARS_PER_TOKEN_TOLERANCE = 0.05
#: the article's 200k tokens ≈ 350k 汉字, i.e. 1.75 Han characters per token …
HAN_PER_TOKEN_CLAIMED = 1.75
#: … holds for a tokenizer within this relative distance
HAN_PER_TOKEN_TOLERANCE = 0.15
#: "1,024 words" holds within this relative error
WORDS_TOLERANCE = 0.05
#: window = depth × width fails if a model's window is under this share of its depth × width …
DEPTH_WIDTH_SHARE = 0.5
#: a context-length effect on gradients needs the ratio to move at least this factor
GRADIENT_SPREAD = 2.0
#: a longer context "gains" when the exact McNemar test on the same passages gives p below this
ALPHA = 0.05
#: a train/held-out gap "grows" with the window by at least this many nats
OVERFIT_NATS = 0.1
#: plain RoPE "fails" past L when last-window perplexity rises more than this factor
PLAIN_ROPE_RISE = 1.5
#: an extension "keeps" the model's quality when its perplexity is within this factor of the base at L
KEPT_RATIO = 1.1
#: short-context performance is kept within 5%, kept with caveat within 20%
SHORT_KEPT, SHORT_KEPT_CAVEAT = 1.05, 1.2
#: progressive is better below 0.95 × one-shot, equivalent up to 1.05 ×
PROGRESSIVE_BETTER, PROGRESSIVE_EQUAL = 0.95, 1.05
#: readjusted short factors help below 0.98 × the long factors at L, change nothing up to 1.02 ×
READJUST_BETTER, READJUST_EQUAL = 0.98, 1.02
#: a short fine-tune "is training" when it improves perplexity by more than this factor
FINETUNE_GAIN = 1.1
#: fine-tuned PI works when within this factor of the base model at L
PI_WORKS = 1.2


def pct(x):
    return f"{x:.0%}"


def lower(comparison) -> bool:
    """b is lower than a: the whole 95% interval of b − a lies below 0."""
    return comparison["ci95"][1] < 0


# --- complexity -----------------------------------------------------------------------------------

def seed000_quadratic(f):
    ok = f["complexity.seed000_ratio_2x"] == 4 and f["complexity.seed000_ratio_10x"] == 100
    slope = f["complexity.timing_slope_sdpa"]
    verdict = ("supported" if ok and abs(slope - 2) <= EXPONENT_TOLERANCE else
               "supported with caveat" if ok else "wrong")
    return verdict, (f"ratios {f['complexity.seed000_ratio_2x']:.0f}× and {f['complexity.seed000_ratio_10x']:.0f}×; "
                     f"measured time exponent {slope:.2f} (SDPA)")


def whole_model_square(f):
    share = f["complexity.llama7_share_4096"]
    return ("misleading" if share < MAJORITY_SHARE else "supported",
            f"quadratic share of Llama-2-7B FLOPs at 4,096 tokens: {pct(share)}; "
            f"crossover at {f['complexity.llama7_crossover']:,.0f} tokens")


def seed004_64x(f):
    whole = f["complexity.llama7_ratio_4096_512"]
    return ("misleading" if whole < MAJORITY_SHARE * f["complexity.seed004_ratio_scores"] else "supported",
            f"scores {f['complexity.seed004_ratio_scores']:.0f}×; whole Llama-2-7B sequence {whole:.1f}×")


#: the product printed by article 001 (line 138), the figure the rule checks the recomputation against
SEED001_PRINTED = 5.1e11


def seed001_arithmetic(f):
    recomputed = f["complexity.seed001_base_recomputed"]
    return ("wrong" if abs(recomputed - SEED001_PRINTED) / SEED001_PRINTED > ARITHMETIC_TOLERANCE else "supported",
            f"1024·512·1536 = {recomputed:,.0f} (printed ≈ {SEED001_PRINTED:.1e})")


def qkv_longer(f):
    same = f["complexity.qkv_head_dim_constant"]
    return ("wrong" if same else "supported",
            "each Q/K/V vector keeps its head dimension at every length; their number grows")


def memory(f):
    naive, sdpa = f["complexity.mem_naive_slope"], f["complexity.mem_sdpa_largest_mib"]
    quadratic = abs(naive - 2) < EXPONENT_TOLERANCE
    flat = sdpa < FLAT_MEMORY_SHARE * f["complexity.mem_naive_largest_mib"]
    verdict = "supported with caveat" if quadratic and flat else "supported" if quadratic else "misleading"
    return verdict, (f"naive attention memory ∝ n^{naive:.2f}; fused (SDPA) {sdpa:.1f} MiB; "
                     f"KV cache {f['complexity.llama7_kv_kib_per_token']:.0f} KiB/token (Llama-2-7B), linear")


def params_grow(f):
    rope, bert = f["complexity.llama_param_growth"], f["complexity.bert_growth_4096"]
    return ("wrong" if rope == 0 and bert < PARAM_GROWTH_SHARE else "supported with caveat",
            f"RoPE Llama: +{rope:.0f} parameters from 4k to 32k positions; BERT-base's learned table: +{pct(bert)} at 4,096")


# --- units ------------------------------------------------------------------------------------------

def chars_unit(f):
    lo, hi = f["tokens.en_chars_per_token_min"], f["tokens.en_chars_per_token_max"]
    zlo, zhi = f["tokens.zh_chars_per_token_min"], f["tokens.zh_chars_per_token_max"]
    off = max(abs(lo - 1), abs(hi - 1), abs(zlo - 1), abs(zhi - 1))
    return ("wrong" if off > CHARS_PER_TOKEN_TOLERANCE else "supported",
            f"characters per token: English {lo:.2f}–{hi:.2f}, Chinese {zlo:.2f}–{zhi:.2f}")


def han_holds(value: float) -> bool:
    """Whether a tokenizer's Han characters per token is within tolerance of the claimed 1.75."""
    return abs(value - HAN_PER_TOKEN_CLAIMED) <= HAN_PER_TOKEN_TOLERANCE * HAN_PER_TOKEN_CLAIMED


def han_per_token(f):
    """The article counts 汉字 (line 12: '35 万个汉字'), so the rule counts Han characters only."""
    by_tok = f["tokens.han_per_token_by_tokenizer"]
    n, total = sum(han_holds(v) for v in by_tok.values()), len(by_tok)
    verdict = "wrong" if n == 0 else "supported" if n == total else "supported with caveat"
    return verdict, (f"汉字 per token {min(by_tok.values()):.2f}–{max(by_tok.values()):.2f}; "
                     f"{HAN_PER_TOKEN_CLAIMED} (±{HAN_PER_TOKEN_TOLERANCE:.0%}) holds for {n} of {total} tokenizers")


def vendor(tokens_low=None, tokens_high=None, ruler=None):
    def rule(f):
        parts = []
        if tokens_low:
            parts.append(f"≈ {f[tokens_low] / 1e6:.1f}M–{f[tokens_high] / 1e6:.1f}M tokens by our tokenizers")
        if ruler:
            parts.append(f"RULER effective: {f[ruler]}")
        return "unverifiable here", "; ".join(parts)
    return rule


def qwen_5x(f):
    ratio = f["tokens.qwen_over_kimi"]
    return ("supported with caveat" if abs(ratio - 5) < ARITHMETIC_TOLERANCE else "wrong",
            f"10M / 2M = {ratio:.0f}×, in characters; windows are set in tokens")


def words(f):
    n = f["tokens.gpt2_words_in_1024"]
    return ("wrong" if abs(n - 1024) / 1024 > WORDS_TOLERANCE else "supported",
            f"1,024 GPT-2 tokens ≈ {n:,.0f} English words; BERT's 512 are WordPiece tokens")


# --- architecture -----------------------------------------------------------------------------------

def depth_width(f):
    bert = f["longrope2.bert_depth_times_width"]
    base = f["longrope2.dw_base_window_over_predicted"]
    growth, predicted = f["longrope2.dw_window_growth"], f["longrope2.dw_predicted_growth"]
    return ("wrong" if base < DEPTH_WIDTH_SHARE or growth < DEPTH_WIDTH_SHARE * predicted else "supported",
            f"BERT-base: 12 × 768 = {bert:,} vs 512 positions; our retrieving Llama's window is {base:.2f}× "
            f"its depth × width; across small Llamas the window grows {growth:.1f}× where the formula predicts {predicted:.0f}×")


def gradients(f):
    spread = f["critique.grad_ratio_spread"]
    return ("wrong" if spread < GRADIENT_SPREAD else "supported with caveat",
            f"first/last-layer gradient-norm ratio varies {spread:.2f}× across context lengths")


def monotone(f):
    """Misleading if some longer truncation brings no significant gain (exact McNemar p ≥ ALPHA on the same
    passages), or if shorter windows find a needle significantly more often (paired CI above 0)."""
    steps = f["bert.truncation_steps"]
    flat = [c["b"] for c in steps if not (c["p"] < ALPHA and c["diff"] > 0)]
    window = f["bert.needle_window_comparison"]
    shorter_better = window["ci95"][0] > 0
    return ("misleading" if flat or shorter_better else "supported with caveat",
            f"BERT accuracy {pct(f['bert.cls_acc_shortest'])} → {pct(f['bert.cls_acc_512'])}; no significant gain "
            f"(McNemar, n = {steps[0]['n'] if steps else 0}) at " + (", ".join(flat) if flat else "no step")
            + f"; shorter windows find the needle {window['diff']:+.0%} more often "
            f"(95% CI {window['ci95'][0]:+.0%} to {window['ci95'][1]:+.0%})")


def seed002_code(f):
    errors = f["critique.seed002_errors"]
    return ("wrong" if errors else "supported", f"{len(errors)} failures found by running it")


def overfit(f):
    growth = f["longrope2.overfit_gap_growth"]
    return ("wrong" if growth < OVERFIT_NATS else "supported with caveat",
            f"held-out minus train log-perplexity changes by {growth:+.3f} nats from the shortest to the longest window")


def marketing(f):
    short = f["longrope2.effective_short_of_claimed"]
    total = f["longrope2.effective_rows"]
    return ("supported with caveat" if short else "misleading",
            f"{short} of {total} configurations fall short of their configured window; "
            "effective-context tests (pass key, RULER) exist")


# --- BERT ---------------------------------------------------------------------------------------------

def seed001_snippet(f):
    return ("wrong" if f["bert.seed001_syntax_error"] else "supported",
            "SyntaxError at `1 <| input_ids`; fixed, an untrained head's label changes with the seed")


def ner_proof(f):
    gain = f["bert.cls_acc_512"] - f["bert.cls_acc_shortest"]
    return ("misleading" if gain > 0 else "wrong",
            f"a sequence classifier cannot give an NER report; controlled: {pct(f['bert.cls_acc_shortest'])} → "
            f"{pct(f['bert.cls_acc_512'])} (shortest truncation → 512 tokens)")


# --- LongRoPE -----------------------------------------------------------------------------------------

def plain_rope(f):
    r = f["longrope.plain_last_ratio"]
    return ("supported" if r > PLAIN_ROPE_RISE else "misleading",
            f"plain RoPE perplexity ×{r:.1f} at {f['longrope.top_scale']}× L")


def eight_x(f):
    """Supported if LongRoPE at the top scale beats PI (paired CI of its NLL minus PI's below 0) and stays
    within KEPT_RATIO of the model at L; with caveat if it only beats PI; misleading otherwise."""
    ratio, vs_pi, vs_yarn = f["longrope.lr_vs_base_L"], f["longrope.ppl_lr_vs_pi"], f["longrope.ppl_lr_vs_yarn"]
    beats_pi = lower(vs_pi)
    verdict = ("supported" if ratio < KEPT_RATIO and beats_pi else "supported with caveat" if beats_pi else "misleading")
    return verdict, (f"LongRoPE at {f['longrope.top_scale']}× L: perplexity ×{ratio:.2f} of the model at L; "
                     f"{relation(vs_pi)} PI, {relation(vs_yarn)} YaRN (paired, n = {vs_pi['n']} windows); "
                     f"pass key {pct(f['longrope.lr_passkey_top'])}")


def short_kept(f):
    kept = f["longrope2.short_readjusted_vs_base"]
    return ("supported" if kept < SHORT_KEPT else "supported with caveat" if kept < SHORT_KEPT_CAVEAT else "misleading",
            f"perplexity at L after extension and readjustment: ×{kept:.2f} of the base model")


def progressive(f):
    r = f["longrope2.progressive_vs_oneshot"]
    return ("supported" if r < PROGRESSIVE_BETTER else "supported with caveat" if r <= PROGRESSIVE_EQUAL else "misleading",
            f"at {f['longrope2.prog_top_scale']}× L, progressive / one-shot perplexity = {r:.2f}")


def readjust(f):
    r = f["longrope2.short_vs_long_at_L"]
    return ("supported" if r < READJUST_BETTER else "supported with caveat" if r <= READJUST_EQUAL else "wrong",
            f"at L, re-searched short factors / long factors perplexity = {r:.3f}")


def no_training(f):
    gain = f["longrope2.ft_gain_longrope"]
    return ("misleading" if gain > FINETUNE_GAIN else "supported with caveat",
            f"{f['longrope2.ft_steps']} fine-tuning steps cut LongRoPE's perplexity at 4× L {gain:.2f}-fold "
            f"(the paper: 400 + 600 steps)")


def in_use(f):
    return ("wrong" if f["longrope.transformers_has_longrope"] else "supported",
            "transformers ships rope_type 'longrope' (Phi-3 long-context configs)")


def linear(f):
    after = f["longrope2.pi_ft_vs_base"]
    before = f["longrope.pi_ppl_top"]
    return ("supported with caveat" if after < PI_WORKS else "misleading",
            f"PI without fine-tuning: perplexity {before:.0f} at {f['longrope.top_scale']}× L; "
            f"fine-tuned at 4× L: ×{after:.2f} of the base at L")
