"""LongRoPE part 2, sections 3–4: the short factors of a model fine-tuned with long ones.

Section 3 re-searches the factors used up to L (the readjustment of Ding et al. 2024, §3.3, done
there at 8k); section 4 scores a continuation that crosses L with and without the KV cache, where
transformers' ``longrope`` switches from ``short_factor`` to ``long_factor``. Both take the
``finetune_study.Part2`` context after sections 1–2 and return ``(table, figures)``.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from tqdm import tqdm

from . import evaluation as ev
from . import stages as st
from .extension import extended_model
from .finetune_study import Part2, paired_comparison
from .search import search

#: the three ways of reading inputs ≤ L compared in section 3 (the long factors fixed beyond L)
LONG_EVERYWHERE = "long factors at every length"
PLAIN_UP_TO_L = "plain RoPE up to L (factors 1)"
READJUSTED = "re-searched short factors"
BASE_ROW = "base model (plain RoPE)"
#: continuations of 2L tokens scored in section 4 (each a full pass and a token-by-token cached pass)
SWITCH_SEQUENCES = 3


def short_search_settings(profile):
    """The readjustment search: the part-2 search, with fitness over ``readjust_windows`` windows of L tokens
    (fitness at L is cheap, and fewer windows overfit the search book)."""
    return replace(profile.stage_search, samples=readjust_windows(profile))


def readjust_windows(profile) -> int:
    """Windows of the readjustment's fitness and of its evaluation at L/2 and L: twice part 2's windows."""
    return 2 * profile.stage_chunks


def readjustment(ctx: Part2):
    """Short factors re-searched at L on the fine-tuned LongRoPE model (long factors fixed), and the
    perplexity at L/2 and L of the base model and of the fine-tuned model with three short-factor settings.

    Fills ``ctx.short_factors``; records per-window trials and the paired comparisons at L
    ``readjusted_vs_long_at_L``, ``long_vs_base_at_L`` and ``readjusted_vs_base_at_L``.
    """
    P, S, L, spec, dev = ctx.profile, ctx.S, ctx.L, ctx.spec, ctx.device
    short = search(ctx.ft_state, spec, ctx.data, S, short_search_settings(P), seed=ctx.seed, length=L,
                   short_of=ctx.lr_factors, device=dev, progress=lambda it: tqdm(it, desc="short-factor search"))
    ctx.short_factors = short_factors = np.array(short.best.factors)
    variants = {LONG_EVERYWHERE: ctx.lr_factors, PLAIN_UP_TO_L: np.ones_like(ctx.lr_factors), READJUSTED: short_factors}
    rows, units = [], []

    def score(setting, model, chunks, n):
        ppl = ev.perplexity(model, chunks, n)
        rows.append({"length": n, "setting": setting, "ppl": ppl["ppl_all"]})
        units.extend({"experiment": "readjustment", "arm": setting, "scale": n / L, "seed": ctx.seed, "unit": i,
                      "metric": "mean NLL of all tokens (nats)", "value": float(v), "length": n}
                     for i, v in enumerate(ppl["nll_all_chunks"]))

    for n in (L // 2, L):
        chunks = ev.eval_chunks(ctx.data.heldout, n, readjust_windows(P), ctx.seed)
        score(BASE_ROW, ctx.base, chunks, n)
        for name, sf in variants.items():
            m = extended_model(ctx.ft_state, spec, "longrope", S, long_factor=ctx.lr_factors, short_factor=sf, device=dev)
            score(f"fine-tuned LongRoPE, {name}", m, chunks, n)
    readjust = pd.DataFrame(rows).pivot_table(index="setting", columns="length", values="ppl", sort=False)
    ctx.run.add_trials(units)
    ctx.run.compare(paired_comparison(units, "readjusted_vs_long_at_L", "readjustment", 1,
                                      f"fine-tuned LongRoPE, {LONG_EVERYWHERE}", f"fine-tuned LongRoPE, {READJUSTED}",
                                      seed=ctx.seed))
    # recovery against the base model, on the same windows: what extension and fine-tuning cost at L, with the
    # long factors everywhere and with the re-searched short factors
    for cid, name in (("long_vs_base_at_L", LONG_EVERYWHERE), ("readjusted_vs_base_at_L", READJUSTED)):
        ctx.run.compare(paired_comparison(units, cid, "readjustment", 1, BASE_ROW, f"fine-tuned LongRoPE, {name}",
                                          seed=ctx.seed))
    long_L = readjust.loc[f"fine-tuned LongRoPE, {LONG_EVERYWHERE}", L]
    short_L = readjust.loc[f"fine-tuned LongRoPE, {READJUSTED}", L]
    figures = {"short_vs_long_at_L": float(short_L / long_L),
               "short_readjusted_vs_base": float(short_L / readjust.loc[BASE_ROW, L]),
               "long_at_L_ppl": float(long_L), "short_at_L_ppl": float(short_L),
               "short_factors": short_factors.tolist()}
    return readjust, figures


def switch_study(ctx: Part2):
    """``stages.switch_pitfall`` on ``SWITCH_SEQUENCES`` held-out sequences of 2L tokens, for the fine-tuned
    LongRoPE model with plain short factors and with the readjusted ones; means per setting."""
    L, dev = ctx.L, ctx.device
    rows = []
    for label, sf in ((PLAIN_UP_TO_L, np.ones_like(ctx.lr_factors)), (READJUSTED, ctx.short_factors)):
        model = extended_model(ctx.ft_state, ctx.spec, "longrope", ctx.S, long_factor=ctx.lr_factors, short_factor=sf,
                               device=dev)
        rows += [{"short factors": label, **st.switch_pitfall(model, seq, L)}
                 for seq in ev.eval_chunks(ctx.data.heldout, 2 * L, SWITCH_SEQUENCES, ctx.seed)]
    switch = pd.DataFrame(rows).groupby("short factors", sort=False).mean()
    plain = switch.loc[PLAIN_UP_TO_L]
    figures = {"switch_ppl_cached": float(plain["ppl cached"]), "switch_ppl_recomputed": float(plain["ppl recomputed"]),
               "switch_agreement": float(plain["argmax agreement"]),
               "switch_readjusted_agreement": float(switch.loc[READJUSTED, "argmax agreement"]),
               "switch_short_long_distance": float(np.abs(ctx.short_factors - ctx.lr_factors).max()),
               "switch_recompute_seconds": float(plain["seconds recomputed"])}
    return switch, figures
