"""The verdict rules: each reads the figures named by a claim's evidence and returns
(verdict, what was measured).

Every threshold is a named constant, fixed before the data, and every rule is
unit-tested on both sides of its threshold (``tests/test_claims_rules.py``). A rule reads
only what ``results/<chapter>.json`` holds (``ledger.load_figures``): a figure measured with
an interval arrives as ``{"value", "ci95", "n"}`` (``value_of`` takes its value), any other
figure as its value, and a comparison (``"<chapter>.<comparison id>"``) as a dict with
``diff`` = metric(b) − metric(a), ``ci95``, ``n`` and, for a test with one, ``p``. No rule
holds a measured number; the constants (``rules_common``, ``conventions``) are thresholds or the articles' own
figures, each named as such. The LongRoPE and references rules are in ``rules_longrope``.
"""

from __future__ import annotations

import math

from .rules_common import (
    ALPHA,
    ARITHMETIC_TOLERANCE,
    CHARS_PER_TOKEN_TOLERANCE,
    DELIVERED_SHARE,
    DEPTH_WIDTH_SHARE,
    EXPONENT_TOLERANCE,
    FLAT_MEMORY_SHARE,
    GRADIENT_RELIEF,
    GROWTH_LOWER_BOUND,
    GROWTH_MEASURED,
    GROWTH_UNMEASURABLE,
    GROWTH_UPPER_BOUND,
    HAN_PER_TOKEN_CLAIMED,
    HAN_PER_TOKEN_TOLERANCE,
    MAJORITY_SHARE,
    OVERFIT_NATS,
    PARAM_GROWTH_SHARE,
    SAME_WINDOW_TOLERANCE,
    SEED001_PARAM_RANGE,
    TOKENIZER_MAJORITY,
    WORDS_TOLERANCE,
    cmp_text,
    higher,
    interval,
    pct,
    value_of,
)
from .rules_common import HOLDS_ACROSS as HOLDS_ACROSS  # re-exported for the tests
from .rules_common import HOLDS_ACROSS_SEEDS as HOLDS_ACROSS_SEEDS  # re-exported for the tests

# re-exported: the registry finds every rule here (the LongRoPE and references rules live beside these)
from .rules_longrope import (  # noqa: F401
    eight_x,
    in_use,
    linear,
    no_training,
    plain_rope,
    progressive,
    readjust,
    references,
    short_kept,
)

# --- complexity -----------------------------------------------------------------------------------


def quadratic_count(f) -> bool:
    """Whether the counted attention FLOPs grow as n² (their log–log exponent within EXPONENT_TOLERANCE of 2)."""
    return abs(f["complexity.timing_slope_predicted"] - 2) <= EXPONENT_TOLERANCE


def timing_corroborates(f) -> bool:
    """Whether this machine's SDPA timings are consistent with n²: the 95% bootstrap interval of the fitted
    time exponent reaches within EXPONENT_TOLERANCE of 2. A timing alone never decides these claims (they are
    about compute, which the book counts exactly); it corroborates the count, or the verdict carries a caveat."""
    lo, hi = f["complexity.timing_slope_sdpa"]["ci95"]
    return lo <= 2 + EXPONENT_TOLERANCE and hi >= 2 - EXPONENT_TOLERANCE


def _slope_text(f) -> str:
    s = f["complexity.timing_slope_sdpa"]
    return (
        f"counted FLOPs' exponent {f['complexity.timing_slope_predicted']:.2f}; measured time exponent "
        f"{value_of(s):.2f}{interval(s)} (SDPA)"
    )


def seed000_quadratic(f):
    """Article 000, line 17: O(n²·d), so 2× the context is 4× the compute and 10× is 100×. Supported if the
    ratios recompute exactly, the FLOP count is quadratic and the timing corroborates it; with caveat if the
    timing does not; wrong if the ratios or the count fail."""
    ok = f["complexity.seed000_ratio_2x"] == 4 and f["complexity.seed000_ratio_10x"] == 100 and quadratic_count(f)
    verdict = "supported" if ok and timing_corroborates(f) else "supported with caveat" if ok else "wrong"
    return verdict, (
        f"ratios {f['complexity.seed000_ratio_2x']:.0f}× and {f['complexity.seed000_ratio_10x']:.0f}×; {_slope_text(f)}"
    )


def attention_square(f):
    """Article 000, line 43 sums up a reader's computation of *self-attention's* cost, flagged there as
    theoretical: supported if attention's counted FLOPs are quadratic, the timing corroborates it and the n²
    term is the bulk (MAJORITY_SHARE) of a real model's FLOPs at 4,096 tokens; with caveat if it is not the
    bulk (the sentence is true of attention, not of the whole model) or the timing does not corroborate;
    wrong if attention's count is not quadratic."""
    share = value_of(f["complexity.llama7_share_4096"])
    verdict = (
        "wrong"
        if not quadratic_count(f)
        else "supported"
        if share >= MAJORITY_SHARE and timing_corroborates(f)
        else "supported with caveat"
    )
    return verdict, (
        f"self-attention's {_slope_text(f)}; its n² term is {pct(share)} of "
        f"Llama-2-7B's FLOPs at 4,096 tokens, the whole model turns quadratic-dominated only past "
        f"{value_of(f['complexity.llama7_crossover']):,.0f} tokens"
    )


def seed004_64x(f):
    whole = value_of(f["complexity.llama7_ratio_4096_512"])
    return (
        "misleading" if whole < MAJORITY_SHARE * f["complexity.seed004_ratio_scores"] else "supported",
        f"scores {f['complexity.seed004_ratio_scores']:.0f}×; whole Llama-2-7B sequence {whole:.1f}×",
    )


#: the product printed by article 001 (line 138), the figure the rule checks the recomputation against
SEED001_PRINTED = 5.1e11


def seed001_arithmetic(f):
    recomputed = f["complexity.seed001_base_recomputed"]
    return (
        "wrong" if abs(recomputed - SEED001_PRINTED) / SEED001_PRINTED > ARITHMETIC_TOLERANCE else "supported",
        f"1024·512·1536 = {recomputed:,.0f} (printed ≈ {SEED001_PRINTED:.1e})",
    )


def qkv_longer(f):
    same = f["complexity.qkv_head_dim_constant"]
    return (
        "wrong" if same else "supported",
        "each Q/K/V vector keeps its head dimension at every length; their number grows",
    )


def memory(f):
    naive, sdpa = value_of(f["complexity.mem_naive_slope"]), value_of(f["complexity.mem_sdpa_largest_mib"])
    quadratic = abs(naive - 2) < EXPONENT_TOLERANCE
    flat = sdpa < FLAT_MEMORY_SHARE * value_of(f["complexity.mem_naive_largest_mib"])
    verdict = "supported with caveat" if quadratic and flat else "supported" if quadratic else "misleading"
    return verdict, (
        f"naive attention memory ∝ n^{naive:.2f}; fused (SDPA) {sdpa:.1f} MiB; "
        f"KV cache {value_of(f['complexity.llama7_kv_kib_per_token']):.0f} KiB/token (Llama-2-7B), linear"
    )


def params_grow(f):
    """Learned absolute positions (BERT, GPT-2, GPT-3) do add d parameters per position; rotary ones add
    none. Supported with caveat if a learned table reaches PARAM_GROWTH_SHARE of its model at 4,096
    positions (true of that family); misleading if it adds some but less (true only in a negligible
    sense, and false for RoPE models); wrong if no architecture measured adds any."""
    rope, added = f["complexity.llama_param_growth"], f["complexity.bert_position_params_4096"]
    share = value_of(f["complexity.bert_growth_4096"])
    verdict = (
        "wrong"
        if rope == 0 and added == 0
        else "supported with caveat"
        if share >= PARAM_GROWTH_SHARE
        else "misleading"
    )
    return verdict, (
        f"RoPE Llama: +{rope:,.0f} parameters from 4k to 32k positions; BERT-base's learned table "
        f"at 4,096 positions: +{added:,.0f} parameters, +{pct(share)} of the model"
    )


def param_range(f):
    """Article 001, line 5: GPT-3 and BERT have "几百万到几十亿" parameters. Wrong if either model's parameter
    count (recomputed from its published shape) lies outside SEED001_PARAM_RANGE, supported otherwise."""
    gpt3, bert = value_of(f["complexity.gpt3_params_b"]) * 1e9, value_of(f["complexity.bert_params_512"])
    lo, hi = SEED001_PARAM_RANGE
    outside = [name for name, n in (("GPT-3", gpt3), ("BERT-base", bert)) if not lo <= n < hi]
    return (
        "wrong" if outside else "supported",
        f"GPT-3 {gpt3 / 1e9:,.1f} billion ({gpt3 / 1e8:,.0f} 亿), BERT-base {bert / 1e6:,.0f} million parameters, "
        f"against a stated {lo:.0e}–{hi:.0e}" + (f"; outside: {', '.join(outside)}" if outside else ""),
    )


# --- units ------------------------------------------------------------------------------------------


def chars_unit(f):
    lo, hi = value_of(f["tokens.en_chars_per_token_min"]), value_of(f["tokens.en_chars_per_token_max"])
    zlo, zhi = value_of(f["tokens.zh_chars_per_token_min"]), value_of(f["tokens.zh_chars_per_token_max"])
    off = max(abs(lo - 1), abs(hi - 1), abs(zlo - 1), abs(zhi - 1))
    return (
        "wrong" if off > CHARS_PER_TOKEN_TOLERANCE else "supported",
        f"characters per token: English {lo:.2f}–{hi:.2f}, Chinese {zlo:.2f}–{zhi:.2f}",
    )


def han_holds(value: float) -> bool:
    """Whether a tokenizer's characters per token is within tolerance of the claimed 1.75."""
    return abs(value_of(value) - HAN_PER_TOKEN_CLAIMED) <= HAN_PER_TOKEN_TOLERANCE * HAN_PER_TOKEN_CLAIMED


def han_per_token(f):
    """Article 003, line 12: "20 万 token … 大约 35 万个汉字 … 200 万个 tokens … 大约就是 350 万字, …
    《钢铁是怎样炼成的》才不到 40 万个字". Which count does the sentence mean? It says 汉字 once, then 字
    twice, and measures a novel in 字: a Chinese text's 字数, as publishers and word processors count it,
    counts every character of the text, punctuation included. The sentence is about how much Chinese *text* a
    window holds, so the rule judges it on **every character** (``tokens.zh_chars_per_token_ci``, news
    passages) and reports the strict reading (汉字 alone, ``tokens.han_per_token_ci``) beside it.

    A tokenizer holds the ratio when its median is within HAN_PER_TOKEN_TOLERANCE of 1.75. Supported if
    every tokenizer holds it; with caveat if at least TOKENIZER_MAJORITY of them; misleading if some but
    fewer (a property of some tokenizers, stated as one of tokens); wrong if none.
    """
    every, han = f["tokens.zh_chars_per_token_ci"], f["tokens.han_per_token_ci"]
    holding = sorted(name for name, v in every.items() if han_holds(v))
    n, total = len(holding), len(every)
    n_han = sum(han_holds(v) for v in han.values())
    verdict = (
        "supported"
        if n == total
        else "supported with caveat"
        if n >= TOKENIZER_MAJORITY * total
        else "misleading"
        if n
        else "wrong"
    )
    lo_name, hi_name = min(every, key=lambda k: value_of(every[k])), max(every, key=lambda k: value_of(every[k]))
    return verdict, (
        f"every character counted: {value_of(every[lo_name]):.2f}{interval(every[lo_name])} "
        f"({lo_name}) to {value_of(every[hi_name]):.2f}{interval(every[hi_name])} ({hi_name}) per token; "
        f"{HAN_PER_TOKEN_CLAIMED} (±{HAN_PER_TOKEN_TOLERANCE:.0%}) holds for {n} of {total}"
        + (f" ({', '.join(holding)})" if holding else "")
        + f"; counting 汉字 alone for {n_han} of {len(han)}"
    )


def vendor(claim, ruler=None):
    """A vendor's window, set against an effective-context measurement where one exists of the same
    product and the same stated window (RULER's rows, in tokens; ``critique.ruler_lengths``).

    The seed's window in tokens is read from chapter 02's conversion table (``tokens.vendor_conversions``):
    the product's own tokenizer where the chapter loads it, else the stated figure when it is in tokens.
    Unverifiable here when there is no measurement of that product, when RULER measured a variant with
    another stated window (beyond SAME_WINDOW_TOLERANCE), or when its effective length is a lower bound
    short of the claim. Otherwise: supported if the effective window reaches the claim, with caveat if it
    reaches DELIVERED_SHARE of it, misleading below that.
    """

    def rule(f):
        row = next(r for r in f["tokens.vendor_conversions"] if r["claim"] == claim)
        stated = row.get("tokens (own)")
        if stated is None or (isinstance(stated, float) and math.isnan(stated)):
            stated = row["tokens (low)"] if row["tokens (low)"] == row["tokens (high)"] else None
        conversion = (
            f"{stated:,.0f} tokens"
            if stated is not None
            else f"≈ {row['tokens (low)'] / 1e6:.1f}M–{row['tokens (high)'] / 1e6:.1f}M tokens by our tokenizers "
            f"(its own tokenizer: {row.get('own tokenizer', 'not public')})"
        )
        m = f["critique.ruler_lengths"].get(ruler) if ruler else None
        if m is None or stated is None:
            return "unverifiable here", conversion + "; no effective-context measurement of this product"
        measured = (
            f"{conversion}; RULER ({m['model']}): effective {'>' if m['lower_bound'] else ''}"
            f"{m['effective']:,.0f} of {m['claimed']:,.0f} claimed"
        )
        if abs(m["claimed"] - stated) > SAME_WINDOW_TOLERANCE * stated:
            return "unverifiable here", measured + " — a variant with another stated window"
        share = m["effective"] / stated
        if m["lower_bound"] and share < 1:
            return "unverifiable here", measured + " — a lower bound short of the claim"
        verdict = "supported" if share >= 1 else "supported with caveat" if share >= DELIVERED_SHARE else "misleading"
        return verdict, measured

    rule.__name__ = "vendor"
    return rule


def qwen_5x(f):
    """Article 000, line 7: Qwen's 10,000,000 字 is "5× Kimi". In characters the ratio is the articles' own
    arithmetic (``tokens.qwen_over_kimi`` against the stated ``tokens.qwen_over_kimi_claimed``); a window is
    set in tokens, where it is Qwen's figure in its own tokenizer over Kimi's in the range of tokenizers
    (Kimi's is not public). Wrong if the character arithmetic is off by ARITHMETIC_TOLERANCE; supported with
    caveat if the stated ratio lies within the token range (it then depends on a tokenizer nobody outside
    can inspect); misleading if it lies outside it."""
    ratio, claimed = f["tokens.qwen_over_kimi"], f["tokens.qwen_over_kimi_claimed"]
    qwen = f["tokens.qwen_tokens_own"]
    lo, hi = qwen / f["tokens.kimi_tokens_high"], qwen / f["tokens.kimi_tokens_low"]
    if abs(ratio - claimed) > ARITHMETIC_TOLERANCE * claimed:
        verdict = "wrong"
    else:
        verdict = (
            "supported with caveat"
            if lo * (1 - ARITHMETIC_TOLERANCE) <= claimed <= hi * (1 + ARITHMETIC_TOLERANCE)
            else "misleading"
        )
    return verdict, (
        f"in characters 10M / 2M = {ratio:.1f}×; in tokens Qwen's {qwen / 1e6:.1f}M (its own tokenizer) "
        f"is {lo:.1f}×–{hi:.1f}× Kimi's, depending on Kimi's tokenizer"
    )


def words(f):
    n = value_of(f["tokens.gpt2_words_in_1024"])
    return (
        "wrong" if abs(n - 1024) / 1024 > WORDS_TOLERANCE else "supported",
        f"1,024 GPT-2 tokens ≈ {n:,.0f} English words; BERT's 512 are WordPiece tokens",
    )


def novel_fits(f):
    """Article 003, line 10: even a novel would hardly fill a 2M-token window. Supported if the longest
    novel measured (Austen's, in every tokenizer; and the article's own 40 万字 novel converted with the
    tokenizer that needs the most tokens for Chinese) is shorter than the window; wrong otherwise."""
    longest, window = f["tokens.novel_tokens_longest"], f["tokens.novel_window_tokens"]
    zh = f["tokens.seed003_novel_tokens_max"]
    worst = max(value_of(longest), value_of(zh))
    return (
        "supported" if worst < window else "wrong",
        f"longest Austen novel {value_of(longest):,.0f} tokens{interval(longest)}; the article's 40 万字 novel "
        f"up to {value_of(zh):,.0f} tokens{interval(zh)}; {window / worst:.1f} of the longer fit in "
        f"{window:,.0f} tokens",
    )


# --- architecture -----------------------------------------------------------------------------------


def depth_width(f):
    """Article 002, line 90: window = depth × width. Wrong if the retrieving base Llama's window is under
    DEPTH_WIDTH_SHARE of its depth × width, or if across the small Llamas the window grows under that share of
    the formula's growth (as far as the growth can be read: windows that reach the longest tested length are
    censored, ``longrope2.dw_growth_censored``); supported if both hold; with caveat if the base model's window
    fits and censoring hides the growth."""
    bert, positions = f["longrope2.bert_depth_times_width"], f["longrope2.bert_positions"]
    base = value_of(f["longrope2.dw_base_window_over_predicted"])
    predicted = value_of(f["longrope2.dw_predicted_growth"])
    growth_ok = _growth_test(f, lambda g: g >= DEPTH_WIDTH_SHARE * predicted)
    verdict = (
        "wrong"
        if base < DEPTH_WIDTH_SHARE or growth_ok is False
        else "supported"
        if growth_ok
        else "supported with caveat"
    )
    return verdict, (
        f"BERT-base: depth × width = {bert:,} vs {positions:,} positions; our retrieving Llama's "
        f"window is {base:.2f}× its depth × width; {_growth_text(f)}"
    )


def widen_deepen(f):
    """Article 002, line 66: more layers or hidden units extend the window. Read from how the window grows from
    the smallest to the largest depth × width among the small Llamas: supported if it grows (growth above 1,
    measured or as a lower bound), wrong if it does not (at most 1, measured or as an upper bound), unverifiable
    here when censoring hides it."""
    growth_ok = _growth_test(f, lambda g: g > 1)
    verdict = "supported" if growth_ok else "wrong" if growth_ok is False else "unverifiable here"
    return verdict, _growth_text(f)


def _growth_test(f, passes):
    """Whether the true growth passes ``passes`` (a test that only gets easier as the growth rises), as far as
    censoring lets the measured growth say: True, False, or None where it cannot be told."""
    growth, censoring = value_of(f["longrope2.dw_window_growth"]), f["longrope2.dw_growth_censored"]
    if censoring == GROWTH_MEASURED:
        return bool(passes(growth))
    if censoring == GROWTH_LOWER_BOUND:  # the true growth is at least this
        return True if passes(growth) else None
    if censoring == GROWTH_UPPER_BOUND:  # the true growth is at most this
        return False if not passes(growth) else None
    if censoring == GROWTH_UNMEASURABLE:
        return None
    raise ValueError(
        f"longrope2.dw_growth_censored = {censoring!r} is none of {GROWTH_MEASURED!r}, "
        f"{GROWTH_LOWER_BOUND!r}, {GROWTH_UPPER_BOUND!r}, {GROWTH_UNMEASURABLE!r}; re-execute chapter 05"
    )


def _growth_text(f) -> str:
    growth, predicted = value_of(f["longrope2.dw_window_growth"]), value_of(f["longrope2.dw_predicted_growth"])
    censoring = f["longrope2.dw_growth_censored"]
    if censoring == GROWTH_UNMEASURABLE:
        return (
            f"across small Llamas the growth cannot be read: the windows of the smallest and the largest model "
            f"both reach the longest tested length (the formula predicts {predicted:.0f}×)"
        )
    bound = {GROWTH_LOWER_BOUND: "at least ", GROWTH_UPPER_BOUND: "at most "}.get(censoring, "")
    return f"across small Llamas the window grows {bound}{growth:.1f}× where the formula predicts {predicted:.0f}×"


def gradients(f):
    """Article 002, line 32: covering longer text relieves vanishing gradients. In the trained base Llama,
    the gradient of the loss at the last position w.r.t. the *same* distant tokens (the far quarter of the
    shortest window, at the same distances from the prediction) is compared between the longest and the
    shortest context (``critique.grad_far_change``: the factor long ÷ short, paired bootstrap
    interval over predictions). Supported with caveat if the whole interval lies above GRADIENT_RELIEF
    (a longer context lets more gradient reach distant tokens); wrong otherwise (no relief, or less)."""
    change = f["critique.grad_far_change"]
    verdict = "supported with caveat" if change["ci95"][0] > GRADIENT_RELIEF else "wrong"
    return verdict, (
        f"gradient reaching the same distant tokens, {f['critique.grad_context_long']:,}-token context ÷ "
        f"{f['critique.grad_context_short']:,}-token context: ×{change['value']:.2f}{interval(change)} "
        "(trained base Llama, the same predictions)"
    )


def monotone(f):
    """Article 001, line 15: the longer the context, the stronger the understanding. Misleading if any
    controlled comparison finds a longer context significantly *worse* (a truncation step whose 95%
    interval lies below 0, or a shorter retrieval window that finds the needle more often, interval above
    0); supported with caveat if none does and at least one step gains (the chapter's paired test gives
    p < ALPHA and the interval lies above 0); misleading if nothing gains either. A step that is merely not
    significant decides nothing (its test may lack power)."""
    steps = f["bert.truncation_steps"]
    worse = [c["b"] for c in steps if c["ci95"][1] < 0]
    gains = [c["b"] for c in steps if c.get("p", 1) < ALPHA and higher(c)]
    flat = [c["b"] for c in steps if c["b"] not in gains and c["b"] not in worse]
    window = f["bert.needle_window_comparison"]
    shorter_better = higher(window)
    verdict = "misleading" if worse or shorter_better or not gains else "supported with caveat"
    return verdict, (
        f"truncation steps with a significant gain: {', '.join(gains) or 'none'}; no detectable change: "
        f"{', '.join(flat) or 'none'}; significantly worse: {', '.join(worse) or 'none'} "
        f"({steps[0].get('test', 'paired test') if steps else 'no test'}, "
        f"n = {steps[0]['n'] if steps else 0}); "
        f"the shorter window "
        f"({window['b']}) finds the needle {cmp_text(window)} more often than {window['a']}"
    )


def seed002_code(f):
    errors = f["critique.seed002_errors"]
    return ("wrong" if errors else "supported", f"{len(errors)} failures found by running it")


def overfit(f):
    """Article 003: chasing long windows causes overfitting. The held-out minus training log-perplexity of the
    same model shape trained at the shortest and the longest window, its growth averaged over training seeds
    with a 95% interval over them: wrong if the whole interval lies below OVERFIT_NATS (the gap does not grow
    by that much), supported with caveat if it lies above (it grows: by the window or by the tokens per step,
    which rise with it), unverifiable here if it straddles it or there is no interval (one model per window
    decides nothing)."""
    g = f["longrope2.overfit_gap_growth"]
    growth = value_of(g)
    lo, hi = g["ci95"] if isinstance(g, dict) and "ci95" in g else (-math.inf, math.inf)
    verdict = "wrong" if hi < OVERFIT_NATS else "supported with caveat" if lo > OVERFIT_NATS else "unverifiable here"
    return verdict, (
        f"held-out minus train log-perplexity changes by {growth:+.3f} nats from the shortest to the "
        f"longest window{interval(g) or ' (one model per window, no interval)'}"
    )


def marketing(f):
    """Article 003: window sizes are marketing *because* LLMs have no clear performance metric (the quoted
    sentence is the reason). Effective-context metrics exist: chapter 05 measures every configuration's window
    by a fixed rule (RULER's kind of threshold) on pass keys and copying. Misleading if by that metric
    configured windows overstate measured ones (the conclusion holds, the reason given does not); wrong if
    none falls short (neither half holds); unverifiable here if no window was measured. Until this version the
    rule read only the first half and gave "supported with caveat"."""
    short = f["longrope2.effective_short_of_claimed"]
    total = f["longrope2.effective_rows"]
    verdict = "unverifiable here" if not total else "misleading" if short else "wrong"
    return verdict, (
        f"a metric exists: chapter 05 measures the effective window of {total} configurations by a "
        f"fixed rule; by it {short} of {total} fall short of their configured window"
    )


# --- BERT ---------------------------------------------------------------------------------------------


def seed001_snippet(f):
    return (
        "wrong" if f["bert.seed001_syntax_error"] else "supported",
        "SyntaxError at `1 <| input_ids`; fixed, an untrained head's label changes with the seed",
    )


def ner_proof(f):
    """Article 001, line 254: a CoNLL-2003 report shows F1 rising clearly with context. The article's code
    is a sequence classifier (C001-6) and cannot produce that report, so the book ran the experiment:
    span F1 of a fine-tuned encoder tagging spans, at 512 tokens against the shortest context
    (``bert.tokf1_gain``, paired bootstrap over documents) and sliding windows against 512
    (``bert.tokf1_gain_sliding``). Supported with caveat (the article's own evidence still shows nothing)
    if the gain's 95% interval lies above 0; wrong if it lies below 0; misleading if it includes 0 (no
    clear rise)."""
    gain, sliding = f["bert.tokf1_gain"], f["bert.tokf1_gain_sliding"]
    lo, hi = gain["ci95"]
    verdict = "supported with caveat" if lo > 0 else "wrong" if hi < 0 else "misleading"
    return verdict, (
        f"span F1, 512 tokens minus the shortest context: {gain['value']:+.3f}{interval(gain)}; "
        f"sliding windows minus 512: {sliding['value']:+.3f}{interval(sliding)}; the article's "
        "code is a sequence classifier and cannot give an NER report"
    )
