"""What the critique chapter shows around the ledger: counts per verdict, verdicts per article,
the figures its "most consequential errors" section quotes, and what the book's run cost.
"""

from __future__ import annotations

from ..results import load_results
from .registry import VERDICTS
from .rules import han_holds, value_of

#: one colour per verdict (the same in every figure)
VERDICT_COLORS = {
    "supported": "#2ca02c",
    "supported with caveat": "#98df8a",
    "misleading": "#ff7f0e",
    "wrong": "#d62728",
    "unverifiable here": "#9edae5",
    "opinion": "#c7c7c7",
}
#: the cpu profile's budget on a 2-core machine, in minutes: every chapter from a cold cache, and with every
#: cached model, search and tagger at hand (35 since the warm run's own floor was measured above 20)
COLD_BUDGET_MINUTES, WARM_BUDGET_MINUTES = 120, 35
#: the work ledger's kinds (``lcreport.cache``), by the phase of a cold run they belong to
TRAINING_KINDS, SEARCH_KINDS = ("model", "tagger"), ("search",)
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

    from ..plotting import legend_below, subplots

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
    out = {
        "e_zh_min": min(every.values()),
        "e_zh_max": max(every.values()),
        "e_zh_n": f"{sum(han_holds(x) for x in every.values())} of {len(every)}",
        "e_han_min": min(han.values()),
        "e_han_max": max(han.values()),
        "e_han_n": f"{sum(han_holds(x) for x in han.values())} of {len(han)}",
        "e_overstated": v["complexity.seed001_base_overstated"],
        "e_crossover": v["complexity.llama7_crossover"],
        "e_ratio": v["complexity.llama7_ratio_4096_512"],
        "e_ratio_claimed": v["complexity.seed004_ratio_scores"],
        "e_bert_dw": v["longrope2.bert_depth_times_width"],
        "e_bert_positions": v["longrope2.bert_positions"],
        "e_dw_base": v["longrope2.dw_base_window"],
        "e_dw_pred": v["longrope2.dw_base_predicted"],
        "e_paper_steps": v["longrope2.paper_ft_steps"],
        "e_ft_gain": v["longrope2.ft_seed_ppl_noft"] / v["longrope2.ft_seed_ppl_lr"],
        "e_ft_scale": v["longrope2.ft_scale"],
        "e_lr_vs_yarn": v["longrope.lr_vs_yarn"],
        "e_top_scale": v["longrope.top_scale"],
    }
    if spec is not None:
        out.update(e_base_layers=spec.layers, e_base_width=spec.hidden)
    return out


def chapter_costs(provenances: dict):
    """Per chapter (``provenances``: chapter → its results' provenance, in reading order): the minutes of
    this run, of the work it made rather than loaded, of a warm run and of a cold run.

    Each provenance's ``cache_work`` lists the cached artifacts the chapter needed (``lcreport.cache``):
    trained models, LongRoPE searches, fine-tuned taggers, each with what making it costs and whether it
    was loaded. A *warm* run loads every one: this run's time less the work made in it. A *cold* run makes
    each artifact once, in the first chapter that needs it: the warm time plus the cost of the artifacts
    met here first (a model's training at its median rate per step when it was loaded, the measured time
    when it was made now). A provenance without ``cache_work`` comes from an older run: re-execute it.
    """
    import pandas as pd

    seen, rows = set(), []
    for ch, prov in provenances.items():
        if "cache_work" not in prov:
            raise ValueError(
                f"results/{ch}.json predates the work ledger (no provenance.cache_work): "
                f"re-execute the chapter (`python -m lcreport run {ch}`)"
            )
        minutes = prov["wall_time_s"] / 60
        made = sum(e["minutes"] for e in prov["cache_work"] if not e["loaded"])
        first = [e for e in prov["cache_work"] if e["id"] not in seen]
        seen.update(e["id"] for e in prov["cache_work"])
        warm = max(minutes - made, 0.0)
        training = sum(e["minutes"] for e in first if e["kind"] in TRAINING_KINDS)
        searching = sum(e["minutes"] for e in first if e["kind"] in SEARCH_KINDS)
        rows.append(
            {
                "chapter": ch,
                "profile": prov["profile"],
                "this run (minutes)": minutes,
                "made in this run (minutes)": made,
                "warm cache (minutes)": warm,
                "cold cache (minutes)": warm + sum(e["minutes"] for e in first),
                "cold: training (minutes)": training,
                "cold: search (minutes)": searching,
                "cold: evaluation and the rest (minutes)": warm,
                "cold measured": not any(e["loaded"] for e in first),
                "warm measured": made == 0,
            }
        )
    return pd.DataFrame(rows).set_index("chapter")


def run_costs(f: dict):
    """(table, figures): each chapter's wall time in this run, and estimates of a warm run (every cached
    artifact loaded) and a cold run (every one made), from the work ledger (``chapter_costs``).

    Trained models are cached with their training log, and LongRoPE searches and taggers with the time
    they took, so a run that loaded them can still say what a cold run costs; a model's training counts at
    its median time per logged step (``training.typical_minutes``), since the wall time recorded with the
    weights also counts stalls while the machine did other work.
    """
    cost = chapter_costs({ch: load_results(ch)["provenance"] for ch in TIMED_CHAPTERS})
    figures = {
        "book_minutes": float(cost["this run (minutes)"].sum()),
        "base_train_minutes": f["longrope.train_minutes"],
        "base_train_minutes_typical": f["longrope.train_minutes_typical"],
        "book_warm_minutes": float(cost["warm cache (minutes)"].sum()),
        "book_cold_minutes": float(cost["cold cache (minutes)"].sum()),
        "book_made_minutes": float(cost["made in this run (minutes)"].sum()),
        "part2_train_minutes": f["longrope2.train_minutes_all"],
        "book_cold_basis": "measured in this run" if cost["cold measured"].all() else "estimated from the work ledger",
        "book_warm_basis": "measured in this run" if cost["warm measured"].all() else "estimated from the work ledger",
        "book_training_minutes": float(cost["cold: training (minutes)"].sum()),
        "book_search_minutes": float(cost["cold: search (minutes)"].sum()),
        "run_times": cost.reset_index().to_dict(orient="records"),
        "budget_cold_minutes": COLD_BUDGET_MINUTES,
        "budget_warm_minutes": WARM_BUDGET_MINUTES,
    }
    profiles = set(cost["profile"])
    for kind in ("cold", "warm"):
        figures[f"{kind}_vs_budget"] = (
            budget_word(figures[f"book_{kind}_minutes"], figures[f"budget_{kind}_minutes"])
            if profiles == {"cpu"}
            else f"not judged against (the budget is the cpu profile's; this run: {', '.join(sorted(profiles))})"
        )
    return cost, figures


def budget_word(minutes: float, budget: float) -> str:
    """ "within" the budget, or "over" it by how many minutes."""
    return "within" if minutes <= budget else f"over by {minutes - budget:.0f} minutes"


def budget_warnings(figures: dict) -> list[str]:
    """One line per budget that ``figures`` (``run_costs``' or ``results/critique.json``'s) says was exceeded."""
    value = {k: (v["value"] if isinstance(v, dict) and "value" in v else v) for k, v in figures.items()}
    return [
        f"the book's {kind} run, {value[f'book_{kind}_minutes']:.0f} minutes ({value.get(f'book_{kind}_basis', '')}), "
        f"is {value[f'{kind}_vs_budget']} of its {value[f'budget_{kind}_minutes']}-minute budget"
        for kind in ("cold", "warm")
        if str(value.get(f"{kind}_vs_budget", "")).startswith("over")
    ]
