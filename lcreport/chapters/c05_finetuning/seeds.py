"""LongRoPE part 2, section 1 (continued): the fine-tuned arms repeated with several fine-tune seeds.

One fine-tune is one draw of data order. Every arm of ``arms.FT_ARMS`` but the control (plain RoPE
at S·L, PI, YaRN, LongRoPE with part 1's searched factors, and LongRoPE's temperature with the factors its
search starts from, not searched) is fine-tuned with each seed of ``Profile.ft_seeds`` from the same base
model, and every resulting model is scored at S·L on the same held-out windows (perplexity of the last L
tokens) and the same pass-key prompts (the training template). Each pair of arms is compared per seed (paired
bootstrap; exact McNemar) and pooled over seeds (per-window mean; prompts concatenated), and a ranking holds
only where every seed's test agrees (``replication.compare_across`` with ``replication.SEED_WORDS``). LongRoPE
without fine-tuning enters as one more arm, the same on every seed, so that "fine-tuning changes the result"
is tested against the spread of fine-tunes too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm import tqdm

from ...longrope import evaluation as ev
from ...longrope.extension import extended_model
from ...tasks.passkey import PasskeyTask
from ..c04_longrope.replication import SEED_WORDS, PairIds, compare_across
from ..sections import nll_rows, passkey_trial_rows
from .arms import FT_ARMS, NLL_LAST, NO_SEARCH, FinetuneContext, tune

#: the arms repeated with seeds, in table order (the control stays a single run: it is not an extension method)
SEED_ARMS = tuple(name for name in FT_ARMS if name != "control")
#: LongRoPE with part 1's searched factors, not fine-tuned: the same model on every seed
NO_FT = "LongRoPE (no fine-tuning)"
#: (ids, arm a, arm b): b − a at S·L, per seed and pooled; ids: the names ``compare_across`` writes for the pair
PAIRS = (
    (
        PairIds(
            "ft_ppl_lr_vs_noft", "ft_ppl_lr_vs_noft_pooled", "ft_passkey_lr_vs_noft", "ft_passkey_lr_vs_noft_pooled"
        ),
        NO_FT,
        "LongRoPE",
    ),
    (
        PairIds("ft_ppl_search", "ft_ppl_search_pooled", "ft_passkey_search", "ft_passkey_search_pooled"),
        NO_SEARCH,
        "LongRoPE",
    ),
    (
        PairIds(
            "ft_ppl_lr_vs_yarn", "ft_ppl_lr_vs_yarn_pooled", "ft_passkey_lr_vs_yarn", "ft_passkey_lr_vs_yarn_pooled"
        ),
        "YaRN",
        "LongRoPE",
    ),
    (
        PairIds("ft_ppl_lr_vs_pi", "ft_ppl_lr_vs_pi_pooled", "ft_passkey_lr_vs_pi", "ft_passkey_lr_vs_pi_pooled"),
        "PI",
        "LongRoPE",
    ),
    (
        PairIds(
            "ft_ppl_lr_vs_plain", "ft_ppl_lr_vs_plain_pooled", "ft_passkey_lr_vs_plain", "ft_passkey_lr_vs_plain_pooled"
        ),
        "plain RoPE",
        "LongRoPE",
    ),
    (
        PairIds(
            "ft_ppl_yarn_vs_pi", "ft_ppl_yarn_vs_pi_pooled", "ft_passkey_yarn_vs_pi", "ft_passkey_yarn_vs_pi_pooled"
        ),
        "PI",
        "YaRN",
    ),
    (
        PairIds(
            "ft_ppl_pi_vs_plain", "ft_ppl_pi_vs_plain_pooled", "ft_passkey_pi_vs_plain", "ft_passkey_pi_vs_plain_pooled"
        ),
        "plain RoPE",
        "PI",
    ),
)
#: short names of the arms in glue keys
KEYS = {"plain RoPE": "plain", "PI": "pi", "YaRN": "yarn", NO_SEARCH: "nosearch", "LongRoPE": "lr", NO_FT: "noft"}


def score(model, ctx: FinetuneContext, chunks) -> tuple[np.ndarray, list[dict]]:
    """Per-window NLL of the last L tokens on ``chunks`` and pass-key trials (training template) at S·L."""
    P = ctx.profile
    nll = np.asarray(ev.perplexity(model, chunks, ctx.L, all_tokens=False)["nll_last_chunks"])
    _, trials = ev.passkey_trials(model, ctx.data, ctx.S * ctx.L, PasskeyTask.of_profile(P), seed=ctx.seed)
    return nll, trials


def seed_study(ctx: FinetuneContext):
    """Every arm of ``SEED_ARMS`` with every seed of ``Profile.ft_seeds`` (the chapter's seed reuses
    ``ctx.tuned``), scored at S·L; records trials (experiment ``finetune``) and comparisons.

    Returns (per-arm table: perplexity and pass-key accuracy per seed, mean and spread; comparison table;
    figures)."""
    P, S, L = ctx.profile, ctx.S, ctx.L
    seeds = tuple(P.ft_seeds)
    if len(seeds) < 2:
        raise ValueError(
            f"the seed study needs at least two fine-tune seeds, profile {P.name} has {seeds}: "
            "set ft_seeds in lcreport/profiles.yaml"
        )
    n = S * L
    chunks = ev.eval_chunks(ctx.data.heldout, n, P.eval_chunks, ctx.seed)
    noft = extended_model(ctx.base_state, ctx.spec, "longrope", S, long_factor=ctx.lr_factors, device=ctx.device)
    noft_scores = score(noft, ctx, chunks)
    base_nll_L = np.asarray(
        ev.perplexity(ctx.base, ev.eval_chunks(ctx.data.heldout, L, P.eval_chunks, ctx.seed), L, all_tokens=False)[
            "nll_last_chunks"
        ]
    )
    scored = {}  # seed → arm → (nll, pass-key trials)
    for seed in seeds:
        scored[seed] = {NO_FT: noft_scores}
        for name in tqdm(SEED_ARMS, desc=f"fine-tune seed {seed}"):
            model = ctx.tuned[name] if seed == ctx.seed and name in ctx.tuned else tune(ctx, name, seed)[0]
            scored[seed][name] = score(model, ctx, chunks)
    trials = nll_rows(base_nll_L, "finetune", "base model", 1, ctx.seed, L, metric=NLL_LAST)
    for seed, arms in scored.items():
        for name, (nll, keys) in arms.items():
            trials += nll_rows(nll, "finetune", name, S, seed, n, metric=NLL_LAST)
            trials += passkey_trial_rows(keys, "finetune", name, S, seed)
    ctx.run.add_trials(trials)
    nll = {seed: {name: v[0] for name, v in arms.items()} for seed, arms in scored.items()}
    exact = {
        seed: {name: np.array([t["exact"] for t in v[1]]) for name, v in arms.items()} for seed, arms in scored.items()
    }
    comparisons, figures, rows = compare_across(
        nll,
        exact,
        PAIRS,
        prefix="ft",
        experiment="finetune",
        scale=S,
        seed=ctx.seed,
        unit="seed",
        unit_key="ft_seed",
        column="across fine-tune seeds",
        words=SEED_WORDS,
        metric=NLL_LAST,
    )
    for c in comparisons:
        ctx.run.compare(c)
    table = arm_table(nll, exact)
    base_ppl_L = float(np.exp(base_nll_L.mean()))
    for name, row in table.iterrows():
        figures[f"ft_seed_ppl_{KEYS[name]}"] = float(row["ppl mean"])
        figures[f"ft_seed_passkey_{KEYS[name]}"] = float(row["pass key mean"])
    pi_ratios = [float(np.exp(nll[s]["PI"].mean())) / base_ppl_L for s in seeds]
    figures.update(
        {
            "ft_seed_count": len(seeds),
            "ft_seed_windows": len(chunks),
            "ft_seed_prompts": len(exact[seeds[0]][NO_FT]),
            "ft_seed_base_ppl_L": base_ppl_L,
            "ft_pi_vs_base_mean": float(np.mean(pi_ratios)),
            "ft_pi_vs_base_worst": float(max(pi_ratios)),
            "ft_seed_ppl_spread_max": float(table["ppl spread"].max()),
            "ft_seed_table": table.reset_index().to_dict(orient="records"),
        }
    )
    return table, pd.DataFrame(rows).set_index(["metric", "b − a"]), figures


def arm_table(nll: dict, exact: dict) -> pd.DataFrame:
    """Per arm: perplexity (of the mean NLL over the windows) and pass-key exact match for each seed, their mean
    over seeds and spread (largest minus smallest)."""
    seeds = list(nll)
    rows = []
    for name in nll[seeds[0]]:
        ppl = [float(np.exp(nll[s][name].mean())) for s in seeds]
        keys = [float(exact[s][name].mean()) for s in seeds]
        rows.append(
            {
                "arm": name,
                **{f"ppl seed {s}": p for s, p in zip(seeds, ppl)},
                "ppl mean": float(np.mean(ppl)),
                "ppl spread": max(ppl) - min(ppl),
                **{f"pass key seed {s}": k for s, k in zip(seeds, keys)},
                "pass key mean": float(np.mean(keys)),
                "pass key spread": max(keys) - min(keys),
            }
        )
    return pd.DataFrame(rows).set_index("arm")
