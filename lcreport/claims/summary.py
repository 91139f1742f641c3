"""What the critique chapter shows around the ledger: counts per verdict, verdicts per article,
the figures its "most consequential errors" section quotes, and what the book's run cost.
"""
from __future__ import annotations

from ..results import load_results
from .registry import VERDICTS
from .rules import han_holds, value_of

#: one colour per verdict (the same in every figure)
VERDICT_COLORS = {"supported": "#2ca02c", "supported with caveat": "#98df8a", "misleading": "#ff7f0e",
                  "wrong": "#d62728", "unverifiable here": "#9edae5", "opinion": "#c7c7c7"}
#: chapters whose run time the book reports, in reading order
TIMED_CHAPTERS = ("complexity", "tokens", "bert", "longrope", "longrope2")


def verdict_counts(ledger) -> dict:
    """``n_claims`` and ``n_<verdict>`` for every verdict of the scale."""
    counts = {"n_claims": len(ledger)}
    for v in VERDICTS:
        counts["n_" + v.replace(" ", "_")] = int((ledger.verdict == v).sum())
    return counts


def verdicts_by_article(ledger):
    """A table: rows = source article, columns = verdicts, cells = number of claims."""
    import pandas as pd

    article = ledger.seed.str.split(":").str[0].map(lambda s: f"article {s}")
    return pd.crosstab(article, ledger.verdict).reindex(columns=list(VERDICTS), fill_value=0)


def plot_verdicts_by_article(counts):
    """Stacked horizontal bars, one per article, coloured by verdict."""
    import numpy as np

    from ..plotting import subplots, legend_below

    fig, ax = subplots(figsize=(5.0, 4.2))
    left = np.zeros(len(counts))
    for v in counts.columns:
        ax.barh(counts.index, counts[v], left=left, color=VERDICT_COLORS[v], label=v)
        left += counts[v].to_numpy()
    ax.invert_yaxis()
    ax.set_xlabel("number of claims")
    legend_below(fig, ax)
    ax.set_title("Verdicts by source article")
    return fig


def error_figures(f: dict, spec=None) -> dict:
    """The figures quoted by the section on the most consequential errors (and the introduction), read
    from the chapters' results; ``spec``: the base Llama's shape (the profile's ``LlamaSpec``), if given.

    Seed 003's characters per token are counted as its rule counts them (every character, ``e_zh_*``)
    and strictly (汉字 alone, ``e_han_*``)."""
    every = {k: value_of(v) for k, v in f["tokens.zh_chars_per_token_ci"].items()}
    han = {k: value_of(v) for k, v in f["tokens.han_per_token_ci"].items()}
    v = {k: value_of(x) for k, x in f.items()}
    out = {"e_zh_min": min(every.values()), "e_zh_max": max(every.values()),
           "e_zh_n": f"{sum(han_holds(x) for x in every.values())} of {len(every)}",
           "e_han_min": min(han.values()), "e_han_max": max(han.values()),
           "e_han_n": f"{sum(han_holds(x) for x in han.values())} of {len(han)}",
           "e_overstated": v["complexity.seed001_base_overstated"],
           "e_crossover": v["complexity.llama7_crossover"], "e_ratio": v["complexity.llama7_ratio_4096_512"],
           "e_ratio_claimed": v["complexity.seed004_ratio_scores"],
           "e_bert_dw": v["longrope2.bert_depth_times_width"], "e_bert_positions": v["longrope2.bert_positions"],
           "e_dw_base": v["longrope2.dw_base_window"],
           "e_dw_pred": v["longrope2.dw_base_predicted"], "e_paper_steps": v["longrope2.paper_ft_steps"],
           "e_ft_gain": v["longrope2.ft_seed_ppl_noft"] / v["longrope2.ft_seed_ppl_lr"], "e_ft_scale": v["longrope2.ft_scale"],
           "e_lr_vs_yarn": v["longrope.lr_vs_yarn"], "e_top_scale": v["longrope.top_scale"]}
    if spec is not None:
        out.update(e_base_layers=spec.layers, e_base_width=spec.hidden)
    return out


def run_costs(f: dict):
    """(table, figures): each chapter's wall time in this run ("warm" when its models came from the cache)
    and an estimate of a cold run (the training time of every model it loaded added back).

    Trained models are cached; their training log is recorded with the weights, so a run that loaded
    them can still say what a cold run costs. The time added back is the median time per logged step
    times the steps (``training.typical_minutes``), for the first base model and for the other base models of
    the replication (``longrope.replication_train_minutes_cached``) and the start-token model of the n̂ sweep
    (``longrope.nhat_start_train_minutes_cached``): the wall time recorded with the weights also counts
    stalls while the machine did other work.
    """
    import pandas as pd

    base_cached = f["longrope.from_cache"] == "loaded from the cache"
    untimed = {"longrope": (f["longrope.train_minutes_typical"] if base_cached else 0.0)
               + f["longrope.replication_train_minutes_cached"] + f["longrope.nhat_start_train_minutes_cached"],
               "longrope2": f["longrope2.train_minutes_all"] - f["longrope2.train_minutes_this_run"]}
    rows = []
    for ch in TIMED_CHAPTERS:
        minutes = load_results(ch)["provenance"]["wall_time_s"] / 60
        rows.append({"chapter": ch, "profile": load_results(ch)["provenance"]["profile"],
                     "this run (minutes)": minutes, "cold cache (minutes)": minutes + untimed.get(ch, 0.0)})
    cost = pd.DataFrame(rows)
    figures = {"book_minutes": float(cost["this run (minutes)"].sum()), "base_train_minutes": f["longrope.train_minutes"],
               "base_train_minutes_typical": f["longrope.train_minutes_typical"],
               "book_cold_minutes": float(cost["cold cache (minutes)"].sum()),
               "part2_train_minutes": f["longrope2.train_minutes_all"],
               "run_times": cost.to_dict(orient="records")}
    return cost.set_index("chapter"), figures
