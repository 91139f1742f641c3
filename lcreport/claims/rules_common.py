"""What every verdict rule shares: the thresholds (named constants, fixed before the data) and the
helpers that read a figure, an interval or a comparison from ``results/``. The rules themselves
are in ``rules`` (complexity, units, architecture, BERT) and ``rules_longrope`` (LongRoPE, references).
"""

from __future__ import annotations

# the thresholds and labels that the measuring code shares with the rules, re-exported for the rules and tests
from ..conventions import (  # noqa: F401
    ALPHA,
    GROWTH_LOWER_BOUND,
    GROWTH_MEASURED,
    GROWTH_UNMEASURABLE,
    GROWTH_UPPER_BOUND,
    HAN_PER_TOKEN_CLAIMED,
    HAN_PER_TOKEN_TOLERANCE,
    HOLDS_ACROSS,
    HOLDS_ACROSS_SEEDS,
    LONGROPE_NO_FT,
    PI_FINETUNED,
    PROGRESSIVE_PREFIX,
    WINDOW_THRESHOLD,
)

# --- thresholds -----------------------------------------------------------------------------------
#: a measured time exponent within this of 2 is "quadratic"
EXPONENT_TOLERANCE = 0.3
#: the quadratic term is the bulk of a model's cost when it is at least this share of the FLOPs
MAJORITY_SHARE = 0.5
#: a recomputed figure matches a printed one within this relative error
ARITHMETIC_TOLERANCE = 0.05
#: a fused kernel's memory is "flat" when under this share of the naive kernel's at the largest length
FLAT_MEMORY_SHARE = 0.01
#: a learned position table "adds parameters" that matter when it is at least this share of the model
PARAM_GROWTH_SHARE = 0.05
#: a unit is "characters" if characters per token stay within this of 1
CHARS_PER_TOKEN_TOLERANCE = 0.05
#: the article's 1.75 characters per token holds for a tokenizer within HAN_PER_TOKEN_TOLERANCE of it
#: (``conventions``) … and, stated as a property of tokens in general, needs at least this share of the tokenizers
#: (at least one but fewer: it describes some tokenizers, not tokens)
TOKENIZER_MAJORITY = 0.5
#: "1,024 words" holds within this relative error
WORDS_TOLERANCE = 0.05
#: window = depth × width fails if a model's window is under this share of its depth × width …
DEPTH_WIDTH_SHARE = 0.5
#: longer contexts "relieve vanishing gradients" when the same distant tokens receive more gradient in the
#: longest context than in the shortest: the factor long ÷ short, its whole 95% interval above this
GRADIENT_RELIEF = 1.0
#: a train/held-out gap "grows" with the window by at least this many nats
OVERFIT_NATS = 0.1
#: plain RoPE "fails" past L when last-window perplexity rises more than this factor
PLAIN_ROPE_RISE = 1.5
#: an extension "keeps" the model's quality when its perplexity is within this factor of the base at L
KEPT_RATIO = 1.1
#: a paired NLL difference is material from this many nats (≈ 5% perplexity) on
MATERIAL_NATS = 0.05
#: short-context performance is kept within 5%, kept with caveat within 20%
SHORT_KEPT, SHORT_KEPT_CAVEAT = 1.05, 1.2
#: a configured window is "delivered" when the measured effective window is at least this share of it
#: (RULER's line: a model that delivers half its window or less falls short)
DELIVERED_SHARE = 0.5
#: a short fine-tune "is training" when it improves perplexity by more than this factor
FINETUNE_GAIN = 1.1
#: fine-tuned PI works when within this factor of the base model at L
PI_WORKS = 1.2
#: two statements of a window are the same one within this relative difference (K = 1,000 or 1,024)
SAME_WINDOW_TOLERANCE = 0.1
#: "几百万到几十亿的参数量" (article 001, line 5): several million (10⁶) to several tens of 亿 (under 10¹⁰)
SEED001_PARAM_RANGE = (1e6, 1e10)


# --- reading figures ------------------------------------------------------------------------------


def value_of(x):
    """A figure's value: an interval figure ``{"value", "ci95", "n"}`` gives its value, anything else itself."""
    return x["value"] if isinstance(x, dict) and "value" in x and "ci95" in x else x


def interval(x) -> str:
    """`` (95% CI lo–hi, n = N)`` for an interval figure or a comparison, else empty."""
    if isinstance(x, dict) and "ci95" in x:
        lo, hi = x["ci95"]
        return f" (95% CI {lo:.3g} to {hi:.3g}, n = {x.get('n', '?')})"
    return ""


def pct(x):
    return f"{value_of(x):.0%}"


def lower(comparison) -> bool:
    """b is lower than a: the whole 95% interval of b − a lies below 0."""
    return comparison["ci95"][1] < 0


def higher(comparison) -> bool:
    """b is higher than a: the whole 95% interval of b − a lies above 0."""
    return comparison["ci95"][0] > 0


def cmp_text(c, unit: str = "") -> str:
    """A comparison in words: b − a, its interval, n, the test and p where there is one."""
    lo, hi = c["ci95"]
    p = f", p = {c['p']:.2g}" if c.get("p") is not None else ""
    test = f"; {c['test']}" if c.get("test") else ""
    return f"{c['diff']:+.3g}{unit} (95% CI {lo:+.3g} to {hi:+.3g}, n = {c.get('n', '?')}{test}{p})"


def effective_row(table, configuration: str) -> dict:
    """The row of chapter 05's effective-window table whose configuration starts with ``configuration``."""
    rows = [r for r in table if str(r["configuration"]).startswith(configuration)]
    if not rows:
        raise KeyError(f"no configuration {configuration!r} in the effective-window table")
    return rows[0]


def delivered(row) -> bool:
    return row["effective"] >= DELIVERED_SHARE * row["claimed"]
