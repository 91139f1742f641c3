"""LongRoPE part 2, sections 3–4: the short factors of a model fine-tuned with long ones.

Section 3 re-searches the factors used up to L (the readjustment of Ding et al. 2024, §3.3, done
there at 8k); section 4 scores a continuation that crosses L with and without the KV cache, where
transformers' ``longrope`` switches from ``short_factor`` to ``long_factor``. Both take the
``arms.FinetuneContext`` context after sections 1–2 and return ``(table, figures)``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from tqdm import tqdm

from ...longrope import evaluation as ev
from ...longrope import stages as st
from ...longrope.extension import extended_model
from ...longrope.search import search
from ...stats import relation
from .arms import FinetuneContext, paired_comparison

#: the ways of reading inputs ≤ L compared in section 3 (the long factors fixed beyond L)
LONG_EVERYWHERE = "long factors at every length"
PLAIN_UP_TO_L = "plain RoPE up to L (factors 1)"
#: the two readjustment searches, by their starting point (``search.SHORT_STARTS``)
FROM_START = {
    "identity": "short factors searched from the identity",
    "long": "short factors searched from the long factors",
}
#: the readjusted short factors used downstream: the search of the two chosen on the validation split
READJUSTED = "re-searched short factors"
BASE_ROW = "base model (plain RoPE)"
#: continuations of 2L tokens scored in section 4 (each a full pass and a token-by-token cached pass)
SWITCH_SEQUENCES = 3


def short_search_settings(profile):
    """The readjustment search: part 1's search (population, generations, children; a real search, cheap at
    L), with fitness over ``readjust_windows`` windows of L tokens of the search book, and one seed."""
    return replace(profile.search, samples=readjust_windows(profile), seeds=(profile.search.seeds[0],))


def readjust_windows(profile) -> int:
    """Windows of the readjustment's fitness: twice part 2's windows."""
    return 2 * profile.stage_chunks


def readjust_eval_windows(profile) -> int:
    """Held-out windows at L/2 and L on which the readjustment is scored: part 1's evaluation windows, at least
    as many as the fitness reads."""
    return max(profile.eval_chunks, readjust_windows(profile))


def ft_arm(name: str) -> str:
    return f"fine-tuned LongRoPE, {name}"


def readjustment(ctx: FinetuneContext):
    """Short factors re-searched at L on the fine-tuned LongRoPE model (long factors fixed), once from the
    identity and once from the long factors; the one with the lower perplexity on the validation split's
    windows at L becomes ``ctx.short_factors``. Perplexity at L/2 and L of the base model and of the fine-tuned
    model with each short-factor setting, all on the same held-out windows.

    Comparisons at L (paired over windows): each search and the chosen one against the long factors
    (``readjusted_{identity,long}_vs_long_at_L``, ``readjusted_vs_long_at_L``), the two searches against each
    other, and every setting against the base model (``*_vs_base_at_L``).
    """
    results = readjust_searches(ctx)
    val_ppl = validation_perplexity(ctx, results)
    chosen = min(val_ppl, key=val_ppl.get)
    ctx.short_factors = np.array(results[chosen].best.factors)
    variants = {
        LONG_EVERYWHERE: ctx.lr_factors,
        PLAIN_UP_TO_L: np.ones_like(ctx.lr_factors),
        **{FROM_START[k]: np.array(r.best.factors) for k, r in results.items()},
    }
    readjust, units = score_settings(ctx, variants)
    readjust["validation ppl at L"] = pd.Series({ft_arm(FROM_START[k]): v for k, v in val_ppl.items()})
    readjust["chosen on validation"] = ["✓" if i == ft_arm(FROM_START[chosen]) else "" for i in readjust.index]
    ctx.run.add_trials(units)
    relations = readjust_comparisons(ctx, units, chosen)
    return readjust, readjust_figures(ctx, readjust, results, chosen, relations)


def short_factor_model(ctx: FinetuneContext, short):
    """The fine-tuned LongRoPE model with the long factors fixed and ``short`` used up to L."""
    return extended_model(
        ctx.ft_state, ctx.spec, "longrope", ctx.S, long_factor=ctx.lr_factors, short_factor=short, device=ctx.device
    )


def readjust_searches(ctx: FinetuneContext) -> dict:
    """The readjustment searches at L, one from each starting point of ``FROM_START``: start → ``SearchResult``."""
    return {
        start: search(
            ctx.ft_state,
            ctx.spec,
            ctx.data,
            ctx.S,
            short_search_settings(ctx.profile),
            seed=ctx.seed,
            length=ctx.L,
            short_of=ctx.lr_factors,
            short_start=start,
            device=ctx.device,
            progress=lambda it, start=start: tqdm(it, desc=f"short-factor search from {start}"),
        )
        for start in FROM_START
    }


def validation_perplexity(ctx: FinetuneContext, results: dict) -> dict:
    """Each search's short factors scored on the validation split's windows at L (the choice between them)."""
    L = ctx.L
    validation = ev.eval_chunks(ctx.data.validation, L, max(2, len(ctx.data.validation) // L))
    return {
        start: ev.perplexity(short_factor_model(ctx, np.array(r.best.factors)), validation, L)["ppl_all"]
        for start, r in results.items()
    }


def score_settings(ctx: FinetuneContext, variants: dict):
    """The base model and the fine-tuned model under each short-factor setting of ``variants``, on the same
    held-out windows at L/2 and L: (perplexity table, setting × length; one trial row per window)."""
    L, rows, units = ctx.L, [], []

    def score(setting, m, chunks, n):
        ppl = ev.perplexity(m, chunks, n)
        rows.append({"length": n, "setting": setting, "ppl": ppl["ppl_all"]})
        units.extend(
            {
                "experiment": "readjustment",
                "arm": setting,
                "scale": n / L,
                "seed": ctx.seed,
                "unit": i,
                "metric": "mean NLL of all tokens (nats)",
                "value": float(v),
                "length": n,
            }
            for i, v in enumerate(ppl["nll_all_chunks"])
        )

    for n in (L // 2, L):
        chunks = ev.eval_chunks(ctx.data.heldout, n, readjust_eval_windows(ctx.profile), ctx.seed)
        score(BASE_ROW, ctx.base, chunks, n)
        for name, sf in variants.items():
            score(ft_arm(name), short_factor_model(ctx, sf), chunks, n)
    return pd.DataFrame(rows).pivot_table(index="setting", columns="length", values="ppl", sort=False), units


def readjust_comparisons(ctx: FinetuneContext, units: list, chosen: str) -> dict:
    """The paired comparisons at L (recorded in ``ctx.run``): every search against the long factors and the two
    searches against each other, then every setting against the base model on the same windows (what
    extension and fine-tuning cost at L). Returns ``rel_<id>`` → the comparison's relation in words."""
    pairs = [
        ("readjusted_vs_long_at_L", LONG_EVERYWHERE, FROM_START[chosen]),
        *((f"readjusted_{k}_vs_long_at_L", LONG_EVERYWHERE, FROM_START[k]) for k in FROM_START),
        ("readjusted_identity_vs_long_start_at_L", FROM_START["long"], FROM_START["identity"]),
    ]
    pairs += [
        (cid, BASE_ROW, name)
        for cid, name in (
            ("long_vs_base_at_L", LONG_EVERYWHERE),
            ("readjusted_vs_base_at_L", FROM_START[chosen]),
            ("plain_vs_base_at_L", PLAIN_UP_TO_L),
            *((f"readjusted_{k}_vs_base_at_L", FROM_START[k]) for k in FROM_START),
        )
    ]
    relations = {}
    for cid, a, b in pairs:
        arm_a = a if a == BASE_ROW else ft_arm(a)
        c = paired_comparison(units, cid, "readjustment", 1, arm_a, ft_arm(b), seed=ctx.seed)
        ctx.run.compare(c)
        relations[f"rel_{cid}"] = relation(c)
    return relations


def readjust_figures(ctx: FinetuneContext, readjust, results: dict, chosen: str, relations: dict) -> dict:
    """Section 3's glue figures: perplexities at L, the chosen start, how far each search moved (over every
    rotary frequency, and over those whose wavelength 2π·θ^(2i/d) is at most L)."""
    L = ctx.L
    dim = ctx.spec.hidden // ctx.spec.heads
    fast = 2 * np.pi * ctx.spec.rope_theta ** (np.arange(0, dim, 2) / dim) <= L
    long_L = readjust.loc[ft_arm(LONG_EVERYWHERE), L]
    short_L = readjust.loc[ft_arm(FROM_START[chosen]), L]
    return {
        "short_vs_long_at_L": float(short_L / long_L),
        "short_readjusted_vs_base": float(short_L / readjust.loc[BASE_ROW, L]),
        "long_at_L_ppl": float(long_L),
        "short_at_L_ppl": float(short_L),
        "plain_at_L_ppl": float(readjust.loc[ft_arm(PLAIN_UP_TO_L), L]),
        "base_at_L_readjust_ppl": float(readjust.loc[BASE_ROW, L]),
        "short_factors": ctx.short_factors.tolist(),
        "short_chosen_start": FROM_START[chosen],
        **relations,
        "readjust_eval_windows": readjust_eval_windows(ctx.profile),
        "readjust_evaluations": int(sum(r.evaluations for r in results.values())),
        **{
            f"short_{k}_distance_from_long": float(np.abs(np.array(r.best.factors) - ctx.lr_factors).max())
            for k, r in results.items()
        },
        **{
            f"short_{k}_distance_from_identity": float(np.abs(np.array(r.best.factors) - 1).max())
            for k, r in results.items()
        },
        # the same over the rotary frequencies that turn at least once within L, the ones a factor can move at L
        **{
            f"short_{k}_distance_from_identity_within_L": float(np.abs(np.array(r.best.factors) - 1)[fast].max())
            for k, r in results.items()
        },
        "readjust_dims_within_L": int(fast.sum()),
        "readjust_dims": int(len(fast)),
    }


def switch_study(ctx: FinetuneContext):
    """``stages.switch_pitfall`` on ``SWITCH_SEQUENCES`` held-out sequences of 2L tokens, for the fine-tuned
    LongRoPE model with plain short factors and with the readjusted ones; means per setting."""
    L = ctx.L
    rows = []
    for label, sf in ((PLAIN_UP_TO_L, np.ones_like(ctx.lr_factors)), (READJUSTED, ctx.short_factors)):
        model = short_factor_model(ctx, sf)
        rows += [
            {"short factors": label, **st.switch_pitfall(model, seq, L)}
            for seq in ev.eval_chunks(ctx.data.heldout, 2 * L, SWITCH_SEQUENCES, ctx.seed)
        ]
    switch = pd.DataFrame(rows).groupby("short factors", sort=False).mean()
    plain = switch.loc[PLAIN_UP_TO_L]
    figures = {
        "switch_ppl_cached": float(plain["ppl cached"]),
        "switch_ppl_recomputed": float(plain["ppl recomputed"]),
        "switch_agreement": float(plain["argmax agreement"]),
        "switch_readjusted_agreement": float(switch.loc[READJUSTED, "argmax agreement"]),
        "switch_short_long_distance": float(np.abs(ctx.short_factors - ctx.lr_factors).max()),
        "switch_recompute_seconds": float(plain["seconds recomputed"]),
    }
    return switch, figures
