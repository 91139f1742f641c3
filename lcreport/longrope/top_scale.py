"""LongRoPE part 1 at the largest scale: the figures the claims read, and paired comparisons between methods.

Every method is scored on the same evaluation chunks, so two methods are compared by the per-chunk
difference of the mean NLL over the last L tokens, with a paired bootstrap interval
(``analysis.stats.paired_diff``). LongRoPE in a comparison is the search of the *first* search seed,
fixed in advance: picking the best seed on the chunks that report the result would bias it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import stats
from ..models import rope as rp
from ..profiles import Profile
from .experiments import Section, longrope_label

#: (comparison id, glue key, arm a, arm b): b − a of the per-chunk NLL over the last L tokens at the top
#: scale; ``None`` stands for LongRoPE with the first search seed.
COMPARISONS = (("ppl_lr_vs_pi", "lr_vs_pi", rp.LABELS["linear"], None),
               ("ppl_lr_vs_yarn", "lr_vs_yarn", rp.LABELS["yarn"], None),
               ("ppl_pi_vs_plain", "pi_vs_plain", rp.LABELS["rope"], rp.LABELS["linear"]))


def unit_values(trials, experiment: str, arm: str, scale: float, metric: str) -> np.ndarray:
    """One arm's values of ``metric``, ordered by unit (so that two arms pair unit by unit)."""
    t = pd.DataFrame(trials)
    sel = t[(t.experiment == experiment) & (t.arm == arm) & (t.scale == scale) & (t.metric == metric)]
    if sel.empty:
        raise KeyError(f"no {metric} trials of {arm!r} at scale {scale} in {experiment}")
    return sel.sort_values("unit").value.to_numpy(dtype=float)


def top_scale_comparisons(trials, top: float, search_seed: int, *, seed: int) -> list[dict]:
    """The paired comparisons of ``COMPARISONS`` at scale ``top``, in the results contract."""
    out = []
    for cid, _, a, b in COMPARISONS:
        b = b or longrope_label(search_seed)
        diff = stats.paired_diff(unit_values(trials, "ppl_noft", a, top, "nll_last_L"),
                                 unit_values(trials, "ppl_noft", b, top, "nll_last_L"), seed=seed)
        out.append({"id": cid, "experiment": "ppl_noft", "scale": top, "metric": "nll_last_L", "a": a, "b": b,
                    **diff})
    return out


def top_scale_findings(methods: Section, plain: Section, P: Profile, *, seed: int) -> Section:
    """The largest scale's perplexities, pass keys and paired comparisons; the table is the share of key
    digits recovered by method, scale and depth."""
    results, top, L = methods.results["methods"], max(P.scales), P.llama.train_length
    at_top = results[results.scale == top].set_index("method")
    lr = at_top[at_top.kind == "longrope"]

    def last_L(label):
        row = at_top.loc[label]
        return {"value": float(row["ppl last L"]), "ci95": (row["last lo"], row["last hi"]), "n": P.eval_chunks}

    comparisons = top_scale_comparisons(methods.trials, top, P.search.seeds[0], seed=seed)
    yarn = at_top.loc[rp.LABELS["yarn"]]
    figures = {"top_scale": top,
               "lr_best_ppl": float(lr["ppl last L"].min()), "lr_worst_ppl": float(lr["ppl last L"].max()),
               "yarn_ppl_top": last_L(rp.LABELS["yarn"]), "pi_ppl_top": last_L(rp.LABELS["linear"]),
               "plain_ppl_top": last_L(rp.LABELS["rope"]), "ntk_ppl_top": last_L(rp.LABELS["dynamic"]),
               **{key: stats.relation(c) for (_, key, _, _), c in zip(COMPARISONS, comparisons)},
               "lr_seed_spread": float(lr["ppl last L"].max() / lr["ppl last L"].min() - 1),
               "lr_vs_base_L": float(lr["ppl last L"].min() / plain.table.loc[L, "ppl (last L tokens)"]),
               "lr_passkey_top": float(lr["pass key exact"].max()), "yarn_passkey_top": float(yarn["pass key exact"]),
               "lr_digits_top": float(lr["pass key digits"].max()), "yarn_digits_top": float(yarn["pass key digits"])}
    by_depth = methods.results["by_depth"]
    figures["passkey_by_depth"] = by_depth.to_dict(orient="records")
    table = by_depth.pivot_table(index="method", columns=["scale", "depth"], values="per_digit", sort=False)
    return Section(table, figures, comparisons=comparisons)
