"""LongRoPE part 1 across base models: the central no-fine-tune comparison repeated on every base model of
``Profile.base_seeds`` (the same recipe, another seed), per base model and pooled.

Each base model gets its own LongRoPE search at the top scale (every search seed, chosen on the validation
split, as in section 3) and is scored on the same evaluation windows and pass-key prompts as the first one,
so that every comparison is paired within a base model, and the pooled one pairs the windows (or prompts)
across them:

- perplexity: b − a of the per-window NLL of the last L tokens; pooled, the per-window mean over base
  models (a paired bootstrap over windows: the base models are the ones trained here, not a sample);
- pass keys (training template): exact McNemar per base model; pooled, over every (base model, prompt).

A ranking *holds* only where it holds on every base model: each one's test excludes "no difference" and
points the same way (``agreement``). The first base model's figures are the chapter's own (sections 3–8);
its rows are repeated here so that ``replication`` in the trials file holds every base model.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ... import stats
from ...conventions import ALPHA, HOLDS_ACROSS, HOLDS_ACROSS_SEEDS
from ...longrope import evaluation as ev
from ...longrope.extension import extended_model
from ...models import rope as rp
from ...profiles import Profile
from ...tasks.passkey import PasskeyTask
from ..base_model import BaseModel, trained_base
from ..sections import Section, exact_share, nll_rows, passkey_trial_rows
from .no_finetuning import chosen_kwargs, evaluation_chunks, longrope_searches
from .top_scale import LR, PASSKEY_METHODS, retrieval_relation

#: the arms of the central comparison (perplexity); pass keys score ``top_scale.PASSKEY_METHODS``
PPL_METHODS = rp.METHODS


@dataclasses.dataclass(frozen=True)
class PairIds:
    """What ``compare_across`` names for one pair (b − a), each name written out whole so that grep finds what the
    claims cite: the perplexity comparison's agreement across units (a figure) and its pooled comparison, and the
    same for pass keys. Each unit's comparison is ``<ppl>_<unit><u>`` (``<passkey>_<unit><u>``); the relations
    in words add ``_relation``."""

    ppl: str
    ppl_pooled: str
    passkey: str
    passkey_pooled: str


#: (ids, arm a, arm b): b − a, perplexity (per-window NLL) and pass keys (exact) where both arms have them; ids:
#: the names ``compare_across`` writes for the pair
PAIRS = (
    (
        PairIds(
            "rep_ppl_lr_vs_yarn", "rep_ppl_lr_vs_yarn_pooled", "rep_passkey_lr_vs_yarn", "rep_passkey_lr_vs_yarn_pooled"
        ),
        "yarn",
        "longrope",
    ),
    (
        PairIds("rep_ppl_lr_vs_pi", "rep_ppl_lr_vs_pi_pooled", "rep_passkey_lr_vs_pi", "rep_passkey_lr_vs_pi_pooled"),
        "linear",
        "longrope",
    ),
    (
        PairIds(
            "rep_ppl_lr_vs_ntk", "rep_ppl_lr_vs_ntk_pooled", "rep_passkey_lr_vs_ntk", "rep_passkey_lr_vs_ntk_pooled"
        ),
        "dynamic",
        "longrope",
    ),
    (
        PairIds(
            "rep_ppl_yarn_vs_ntk",
            "rep_ppl_yarn_vs_ntk_pooled",
            "rep_passkey_yarn_vs_ntk",
            "rep_passkey_yarn_vs_ntk_pooled",
        ),
        "dynamic",
        "yarn",
    ),
    (
        PairIds(
            "rep_ppl_pi_vs_plain",
            "rep_ppl_pi_vs_plain_pooled",
            "rep_passkey_pi_vs_plain",
            "rep_passkey_pi_vs_plain_pooled",
        ),
        "rope",
        "linear",
    ),
)
#: the arm of the pass keys at the training length (every base model, plain RoPE at L)
AT_L = "plain RoPE at L"
#: words for ``agreement``'s outcomes: every unit agrees; significant on some units in opposite directions; on
#: some in one direction only; on none
HOLDS, REVERSES, MIXED, NONE = (
    HOLDS_ACROSS,
    "reverses between base models",
    "differs between base models",
    "no base model shows a difference",
)


def significant(c: dict, alpha: float = ALPHA) -> bool:
    """Whether a comparison rejects "no difference": exact McNemar's p below ``alpha`` where it has one, else
    a 95% interval that excludes 0."""
    return c["p"] < alpha if "p" in c else stats.excludes_zero(c)


#: ``agreement``'s words across the fine-tune seeds of chapter 05 (``chapters.c05_finetuning.seeds``)
SEED_WORDS = (
    HOLDS_ACROSS_SEEDS,
    "reverses between fine-tune seeds",
    "differs between fine-tune seeds",
    "no fine-tune seed shows a difference",
)


def agreement(per_model: list[dict], words: tuple[str, str, str, str] = (HOLDS, REVERSES, MIXED, NONE)) -> str:
    """Whether one comparison's ranking holds across base models (or, with ``SEED_WORDS``, fine-tune seeds):
    ``words[0]`` when every one's test rejects "no difference" in the same direction, ``words[1]`` when tests
    reject it in opposite directions (the ranking reverses), ``words[3]`` when none rejects it, else
    ``words[2]`` (some do, all in one direction)."""
    if not per_model:
        raise ValueError("agreement needs the comparison on at least one base model or seed")
    holds, reverses, mixed, none = words
    signs = {np.sign(c["diff"]) for c in per_model if significant(c)}
    hits = sum(significant(c) for c in per_model)
    if hits == len(per_model) and len(signs) == 1:
        return holds
    return none if hits == 0 else reverses if len(signs) > 1 else mixed


def scored_arms(base: BaseModel, P: Profile, searches: Section, *, seed: int) -> tuple[dict, dict]:
    """One base model at the top scale: per-window NLL of the last L tokens for every arm of ``PPL_METHODS``
    and pass-key outcomes (training template) for ``PASSKEY_METHODS``; label → array, both."""
    top = max(P.scales)
    n = int(top * base.L)
    chunks = evaluation_chunks(base, n, P, seed)
    nll, exact = {}, {}
    for method in PPL_METHODS:
        kw = chosen_kwargs(searches, top) if method == "longrope" else {}
        m = extended_model(base.state, base.spec, method, top, device=base.device, **kw)
        nll[rp.LABELS[method]] = np.asarray(ev.perplexity(m, chunks, base.L, all_tokens=False)["nll_last_chunks"])
        if method in PASSKEY_METHODS:
            _, t = ev.passkey_trials(m, base.data, n, PasskeyTask.of_profile(P), seed=seed)
            exact[rp.LABELS[method]] = t
    return nll, exact


def replication(
    first: BaseModel,
    P: Profile,
    first_nll: dict,
    first_keys: list,
    first_searches: Section,
    *,
    seed: int,
    progress=None,
) -> Section:
    """The central comparison on every base model of ``P.base_seeds`` (section 9). ``first_*`` are the first
    base model's own results (``methods_by_scale``'s ``scored``, ``passkeys_top``'s trials, the searches),
    so it is not scored twice. ``results``: per base seed, (NLL by arm, pass-key trials by arm)."""
    top = max(P.scales)
    one_scale = dataclasses.replace(P, scales=(top,))
    by_seed = {first.spec.seed: (first_nll, first_keys)}
    bases = {first.spec.seed: first}
    chosen = {first.spec.seed: first_searches.results["chosen"][top]}
    trained_here, search_evaluations = 0, 0
    for s in P.base_seeds:
        if s in by_seed:
            continue
        base = bases[s] = trained_base(dataclasses.replace(first.spec, seed=s), first.device)
        trained_here += not base.from_cache
        searches = longrope_searches(base, one_scale, progress=progress)
        chosen[s] = searches.results["chosen"][top]
        search_evaluations += sum(r.evaluations for r in searches.results["searches"].values())
        by_seed[s] = scored_arms(base, P, searches, seed=seed)
    trials, comparisons = [], []
    n_tokens = int(top * first.L)
    for s, (nll, keys) in by_seed.items():
        for label, values in nll.items():
            trials += nll_rows(values, "replication", label, top, s, n_tokens)
        for label, t in keys.items():
            trials += passkey_trial_rows(t, "replication", label, top, s)
    figures = {
        "replication_base_seeds": len(by_seed),
        "replication_search_chosen": {str(k): int(v) for k, v in chosen.items()},
        "replication_trained_here": trained_here,
        "replication_search_evaluations": search_evaluations,
    }
    exact = {
        s: {label: np.array([x["exact"] for x in t]) for label, t in keys.items()} for s, (_, keys) in by_seed.items()
    }
    pairs = [(cid, rp.LABELS[a], rp.LABELS[b]) for cid, a, b in PAIRS]
    comps, found, rows = compare_across(
        {s: nll for s, (nll, _) in by_seed.items()},
        exact,
        pairs,
        prefix="rep",
        experiment="replication",
        scale=top,
        seed=seed,
    )
    comparisons += comps
    figures.update(found)
    for s in by_seed:
        for label in (LR, rp.LABELS["yarn"]):
            figures[f"rep_ppl_{_key(label)}_base{s}"] = float(np.exp(by_seed[s][0][label].mean()))
            figures[f"rep_passkey_{_key(label)}_base{s}"] = float(exact[s][label].mean())
    # retrieval at L on every base model: a base model that fails at 8× L but retrieves at L failed to extend,
    # not to learn the task
    for s, base in bases.items():
        _, t = ev.passkey_trials(base.model, base.data, base.L, PasskeyTask.of_profile(P), seed=seed)
        trials += passkey_trial_rows(t, "replication", AT_L, 1, s)
        figures[f"rep_passkey_at_L_base{s}"] = exact_share(t)
    table = pd.DataFrame(rows).set_index(["metric", "b − a"])
    return Section(table, figures, trials, comparisons, results=by_seed)


def _key(label: str) -> str:
    return {LR: "lr", rp.LABELS["yarn"]: "yarn"}[label]


def compare_across(
    nll: dict,
    exact: dict,
    pairs,
    *,
    prefix: str,
    experiment: str,
    scale,
    seed: int,
    unit: str = "base",
    unit_key: str = "base_seed",
    column: str = "across base models",
    words: tuple[str, str, str, str] = (HOLDS, REVERSES, MIXED, NONE),
    metric: str = "nll_last_L",
):
    """Each pair ``(ids, a, b)`` (``PairIds``, labels), b − a on every unit (base model or fine-tune seed) and pooled.

    ``nll``: unit → {label: per-window NLL}, the same windows on every unit; ``exact``: unit → {label: 0/1
    pass-key outcomes}, the same prompts (pairs without both labels there get no pass-key comparison).
    Perplexity: paired bootstrap per unit (``<ids.ppl>_<unit><u>``) and pooled over the per-window mean across
    units (``ids.ppl_pooled``); pass keys: exact McNemar per unit and over every (unit, prompt)
    (``ids.passkey_pooled``).
    Returns (comparisons, figures, table rows): ``ids.ppl`` / ``ids.passkey`` are ``agreement``'s words,
    ``<ids.ppl>_relation`` the pooled comparison's relation in words and ``<ids.ppl>_<unit><u>_relation`` each
    unit's, ``<ids.passkey>_relation`` how often b recovers the key against a, pooled
    (``top_scale.retrieval_relation``), ``<prefix>_holds_count`` of
    ``<prefix>_comparison_count`` rows hold on every unit."""
    comparisons, figures, rows = [], {}, []
    units = list(nll)
    for ids, a, b in pairs:
        per_ppl = [
            {
                **stats.paired_record(
                    nll[u][a], nll[u][b], f"{ids.ppl}_{unit}{u}", experiment, scale, a, b, seed=seed, metric=metric
                ),
                unit_key: u,
            }
            for u in units
        ]
        pooled_ppl = stats.paired_record(
            np.mean([nll[u][a] for u in units], axis=0),
            np.mean([nll[u][b] for u in units], axis=0),
            ids.ppl_pooled,
            experiment,
            scale,
            a,
            b,
            seed=seed,
            metric=metric,
        )
        comparisons += per_ppl + [pooled_ppl]
        figures[ids.ppl] = agreement(per_ppl, words)
        figures[f"{ids.ppl}_relation"] = stats.relation(pooled_ppl)
        figures.update({f"{c['id']}_relation": stats.relation(c) for c in per_ppl})
        rows.append(_row("perplexity (NLL)", a, b, per_ppl, pooled_ppl, unit, unit_key, column, words))
        if all(a in exact[u] and b in exact[u] for u in units):
            per_key = [
                {
                    "id": f"{ids.passkey}_{unit}{u}",
                    "experiment": experiment,
                    "scale": scale,
                    "metric": "exact",
                    "a": a,
                    "b": b,
                    **stats.mcnemar(exact[u][a], exact[u][b]),
                    unit_key: u,
                }
                for u in units
            ]
            pooled_key = {
                "id": ids.passkey_pooled,
                "experiment": experiment,
                "scale": scale,
                "metric": "exact",
                "a": a,
                "b": b,
                **stats.mcnemar(
                    np.concatenate([exact[u][a] for u in units]), np.concatenate([exact[u][b] for u in units])
                ),
            }
            comparisons += per_key + [pooled_key]
            figures[ids.passkey] = agreement(per_key, words)
            figures[f"{ids.passkey}_relation"] = retrieval_relation(pooled_key)
            rows.append(_row("pass key (exact)", a, b, per_key, pooled_key, unit, unit_key, column, words))
    figures[f"{prefix}_holds_count"] = sum(r[column] == words[0] for r in rows)
    figures[f"{prefix}_comparison_count"] = len(rows)
    return comparisons, figures, rows


def _row(
    metric: str, a: str, b: str, per_unit: list[dict], pooled: dict, unit: str, unit_key: str, column: str, words
) -> dict:
    """A table row: each unit's difference (a star where its test rejects "no difference"), the pooled
    difference with its interval, and whether the ranking holds across units."""
    cells = {f"{unit} {c[unit_key]}": f"{c['diff']:+.4f}{'*' if significant(c) else ''}" for c in per_unit}
    lo, hi = pooled["ci95"]
    return {
        "metric": metric,
        "b − a": f"{b} − {a}",
        **cells,
        "pooled": f"{pooled['diff']:+.4f} ({lo:+.4f} to {hi:+.4f})",
        column: agreement(per_unit, words),
    }
