"""The thresholds and labels that the measuring code and the verdict rules share, fixed before the data.

A chapter module measures with them (``longrope.stages``, ``chapters.c05_finetuning.windows``,
``chapters.c04_longrope.replication``, ``chapters.c04_longrope.top_scale``, ``chapters.c02_tokens``) and a rule
judges with them (``claims.rules_common`` re-exports them beside the rules' own thresholds). Defined here, below
both, so that measuring never imports judging. Nothing here imports from the package.
"""

from __future__ import annotations

#: the article's 200k tokens ≈ 350k 汉字, i.e. 1.75 characters per token …
HAN_PER_TOKEN_CLAIMED = 1.75
#: … holds for a tokenizer whose median is within this relative distance …
HAN_PER_TOKEN_TOLERANCE = 0.15
#: how far the depth × width growth of windows can be read when windows reach the longest tested length
#: (``chapters.c05_finetuning.windows.growth_censoring``)
GROWTH_MEASURED, GROWTH_LOWER_BOUND, GROWTH_UPPER_BOUND, GROWTH_UNMEASURABLE = (
    "measured",
    "a lower bound",
    "an upper bound",
    "not measurable",
)
#: a test "finds a gain" when its p is below this (and its 95% interval excludes 0)
ALPHA = 0.05
#: the effective window's rule (RULER, Hsieh et al. 2024, §5, fixes one absolute threshold for every model and
#: length): a length is effective on a task when the Wilson 95% lower bound of the share of trials done exactly
#: reaches this; a configuration's effective window is the longest tested length effective on every task that
#: the base model passes at its training length (``longrope.stages.effective_window``)
WINDOW_THRESHOLD = 0.8
#: a ranking of two arms holds across base models (or fine-tune seeds) when every one's test rejects "no
#: difference" in the same direction (``chapters.c04_longrope.replication.agreement`` returns these words)
HOLDS_ACROSS = "holds on every base model"
HOLDS_ACROSS_SEEDS = "holds on every fine-tune seed"

#: the configurations of chapter 05's effective-window table the rules read
PROGRESSIVE_PREFIX = "LongRoPE progressive"
PI_FINETUNED = "PI (fine-tuned)"
LONGROPE_NO_FT = "LongRoPE (no fine-tuning)"
