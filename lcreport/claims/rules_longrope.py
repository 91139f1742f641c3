"""The verdict rules of the LongRoPE claims and of the cited references (see ``rules`` for the
contract every rule keeps: it reads figures from ``results/`` and returns (verdict, what was measured))."""

from __future__ import annotations

import math

from .rules_common import (
    FINETUNE_GAIN,
    HOLDS_ACROSS,
    HOLDS_ACROSS_SEEDS,
    KEPT_RATIO,
    LONGROPE_NO_FT,
    MATERIAL_NATS,
    PI_FINETUNED,
    PI_WORKS,
    PLAIN_ROPE_RISE,
    PROGRESSIVE_PREFIX,
    SHORT_KEPT,
    SHORT_KEPT_CAVEAT,
    cmp_text,
    delivered,
    effective_row,
    interval,
    lower,
    pct,
    value_of,
)

# --- LongRoPE -----------------------------------------------------------------------------------------


def plain_rope(f):
    r = value_of(f["longrope.plain_last_ratio"])
    return (
        "supported" if r > PLAIN_ROPE_RISE else "misleading",
        f"plain RoPE perplexity ×{r:.1f} at {f['longrope.top_scale']}× L",
    )


def eight_x(f):
    """Article 003, line 6: 8× extension without fine-tuning. Read strictly: supported only if LongRoPE
    without fine-tuning, at the top scale, keeps the model's quality (perplexity within KEPT_RATIO of the
    model at L), beats the strongest baseline (YaRN) by a material margin on every base model (the whole 95%
    interval of its NLL minus YaRN's, pooled over the base models, below −MATERIAL_NATS, and the ranking
    holding on each base model: ``longrope.rep_ppl_lr_vs_yarn``) and delivers its window (chapter 05's
    effective window at least DELIVERED_SHARE of the configured one); with caveat if it keeps quality and
    delivers but does not materially beat YaRN; misleading otherwise (whatever it does against PI, the
    weakest baseline)."""
    ratio = value_of(f["longrope.lr_vs_base_L"])
    vs_pi, vs_yarn = f["longrope.ppl_lr_vs_pi"], f["longrope.rep_ppl_lr_vs_yarn_pooled"]
    row = effective_row(f["longrope2.effective_table"], LONGROPE_NO_FT)
    kept, reaches = ratio < KEPT_RATIO, delivered(row)
    across = f["longrope.rep_ppl_lr_vs_yarn"]
    beats_yarn = vs_yarn["ci95"][1] < -MATERIAL_NATS and across == HOLDS_ACROSS
    verdict = (
        "supported"
        if kept and reaches and beats_yarn
        else "supported with caveat"
        if kept and reaches
        else "misleading"
    )
    factors, search_gain = f["longrope.grid_factors_part"], f["longrope.search_gain_chosen"]
    lo, hi = search_gain["ci95"]
    search = (
        "which is also the chosen search against its best starting point (YaRN's factors)"
        if f["longrope.search_gain_is_factors_part"]
        else f"the chosen search against its best starting point {value_of(search_gain):+.3g} nats (95% CI "
        f"{lo:+.3g} to {hi:+.3g})"
    )
    return verdict, (
        f"LongRoPE without fine-tuning at {f['longrope.top_scale']}× L: perplexity ×{ratio:.2f} of the "
        f"model at L; NLL minus YaRN's, pooled over {f['longrope.replication_base_seeds']} base models, "
        f"{cmp_text(vs_yarn, ' nats')} ({across}); on the first base model, the searched factors minus "
        f"YaRN's at equal temperature {cmp_text(factors, ' nats')}, {search} (searches of "
        f"{f['longrope.search_evaluations']:,} evaluations in all, fitness on "
        f"{f['longrope.search_samples']} windows each); minus PI's {cmp_text(vs_pi, ' nats')}; "
        f"pass key {pct(f['longrope.lr_passkey_top'])}; effective window {row['effective']:,} of "
        f"{row['claimed']:,} configured (chapter 05)"
    )


def short_kept(f):
    """Article 003, line 4: extends the window to 2M tokens *while* keeping short-context performance.
    Both halves are read: perplexity at L after extension and readjustment (within SHORT_KEPT of the base:
    supported; within SHORT_KEPT_CAVEAT: with caveat) and the paper's full recipe (progressive extension)
    delivering its window (effective window ≥ DELIVERED_SHARE of the configured one). Misleading if short
    context is not kept or the extended window is not delivered."""
    kept = value_of(f["longrope2.short_readjusted_vs_base"])
    row = effective_row(f["longrope2.effective_table"], PROGRESSIVE_PREFIX)
    verdict = (
        "misleading"
        if not delivered(row) or kept >= SHORT_KEPT_CAVEAT
        else "supported"
        if kept < SHORT_KEPT
        else "supported with caveat"
    )
    return verdict, (
        f"perplexity at L after extension and readjustment: ×{kept:.2f} of the base model; the "
        f"progressive recipe's effective window {row['effective']:,} of {row['claimed']:,} configured"
    )


def progressive(f):
    """Article 003, line 6: fine-tune at 256k, interpolate again, reach 2048k. Supported if progressive
    extension has a lower NLL than one-shot search at the top scale (paired 95% interval below 0) and
    its effective window reaches the configured one; with caveat if it is lower and delivers at least
    DELIVERED_SHARE of it; misleading if it does not deliver (or is not lower)."""
    c = f["longrope2.progressive_vs_oneshot_top"]
    row = effective_row(f["longrope2.effective_table"], PROGRESSIVE_PREFIX)
    better = lower(c)
    verdict = (
        "supported"
        if better and row["effective"] >= row["claimed"]
        else "supported with caveat"
        if better and delivered(row)
        else "misleading"
    )
    return verdict, (
        f"at {f['longrope2.prog_top_scale']}× L, progressive minus one-shot NLL {cmp_text(c, ' nats')}; "
        f"progressive's effective window {row['effective']:,} of {row['claimed']:,} configured"
    )


def readjust(f):
    """Article 003, line 6: readjusting at short lengths recovers short-context performance. Supported if
    the re-searched short factors lower the NLL at L by a material margin (95% interval below
    −MATERIAL_NATS); with caveat if they lower it by less (interval below 0); wrong if they make it materially
    worse (interval above +MATERIAL_NATS); misleading otherwise: no detectable recovery, so the claimed
    recovery is not what readjustment did here (until this version a change within ±MATERIAL_NATS counted as
    supported with caveat, which credited the claim with a recovery that was not measured)."""
    c = f["longrope2.readjusted_vs_long_at_L"]
    lo, hi = c["ci95"]
    verdict = (
        "supported"
        if hi < -MATERIAL_NATS
        else "supported with caveat"
        if hi < 0
        else "wrong"
        if lo > MATERIAL_NATS
        else "misleading"
    )
    return verdict, f"at L, re-searched short factors minus long factors: NLL {cmp_text(c, ' nats')}"


def no_training(f):
    """Article 003, line 8: "no extra training". Misleading if a short fine-tune lowers LongRoPE's NLL at
    4× L by more than log(FINETUNE_GAIN) nats: pooled over the fine-tune seeds (paired 95% interval below 0 and
    the estimate beyond that), and the gain holding on every fine-tune seed; supported with caveat otherwise."""
    c = f["longrope2.ft_ppl_lr_vs_noft_pooled"]
    across = f["longrope2.ft_ppl_lr_vs_noft"]
    gains = lower(c) and c["diff"] < -math.log(FINETUNE_GAIN) and across == HOLDS_ACROSS_SEEDS
    return (
        "misleading" if gains else "supported with caveat",
        f"{f['longrope2.ft_steps']} fine-tuning steps change LongRoPE's NLL at 4× L by {cmp_text(c, ' nats')}, "
        f"pooled over {f['longrope2.ft_seed_count']} fine-tune seeds ({across}; the paper: "
        f"{f['longrope2.paper_ft_steps']:,} steps)",
    )


def in_use(f):
    return (
        "wrong" if f["longrope.transformers_has_longrope"] else "supported",
        "transformers ships rope_type 'longrope' (Phi-3 long-context configs)",
    )


def linear(f):
    """Article 004: linear position scaling (PI) turns a Llama into a long-context model. Supported with
    caveat if, after fine-tuning, PI's perplexity at 4× L is within PI_WORKS of the base's at L on every
    fine-tune seed *and* its effective window reaches DELIVERED_SHARE of the configured one; misleading
    otherwise."""
    worst, mean = value_of(f["longrope2.ft_pi_vs_base_worst"]), value_of(f["longrope2.ft_pi_vs_base_mean"])
    before = value_of(f["longrope.pi_ppl_top"])
    row = effective_row(f["longrope2.effective_table"], PI_FINETUNED)
    verdict = "supported with caveat" if worst < PI_WORKS and delivered(row) else "misleading"
    return verdict, (
        f"PI without fine-tuning (chapter 04's held-out windows): perplexity "
        f"{before:.0f}{interval(f['longrope.pi_ppl_top'])} at "
        f"{f['longrope.top_scale']}× L; fine-tuned at 4× L: ×{mean:.2f} of the base at L (mean of "
        f"{f['longrope2.ft_seed_count']} fine-tune seeds, worst ×{worst:.2f}), but its "
        f"effective window is {row['effective']:,} of {row['claimed']:,} configured"
    )


# --- references -----------------------------------------------------------------------------------------


def references(refs):
    """A cited work, checked against the book's bibliography check (``lcreport/claims/references.yaml``,
    recorded by chapter 06 as ``critique.references``). Wrong if a cited work does not exist as cited;
    misleading if it exists but does not say what it is cited for; supported otherwise."""

    def rule(f):
        table = f["critique.references"]
        rows = [table[r] for r in refs]
        missing = [r["cited"] for r in rows if not r["exists"]]
        off = [r["cited"] for r in rows if r["exists"] and not r["supports"]]
        verdict = "wrong" if missing else "misleading" if off else "supported"
        if len(rows) == 1:
            return verdict, f"{rows[0]['cited']}: {rows[0]['finding']}"
        return verdict, (
            f"{len(rows) - len(missing)} of {len(rows)} cited works exist as cited, "
            f"{len(rows) - len(missing) - len(off)} say what they are cited for"
            + "".join(f"; not found: {m}" for m in missing)
        )

    rule.__name__ = "references"
    return rule
