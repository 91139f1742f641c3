"""Section 4 of the BERT chapter: a planted sentence (the needle) at a controlled depth of a haystack.

Each haystack is copied once per candidate needle ("The red key is hidden in the cellar."), every
copy with its needle at the same depth; the query ("Where is the red key hidden?") must pick its own
copy by cosine similarity. A strategy that never reads the needle sees identical copies and scores
chance (a tie among m scores 1/m). One trial row per query is recorded (experiment "needle").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import stats
from ...data.corpus import documents
from ...models import bert as bl
from .context import slug, tokens_read
from .positions import stretched_label

#: the novel the haystacks are cut from
FILLER_TITLE = "Persuasion"
#: strategies with the original encoder besides the profile's sliding windows
TRUNCATION = bl.Strategy("truncate", 512)
SHORT_WINDOWS = bl.Strategy("slide", 128, 64)
#: a needle starting before this token lies wholly inside the truncation window; after OUTSIDE_FROM, outside
INSIDE_BEFORE = 500
OUTSIDE_FROM = 512
#: the two window sizes "did about equally well" when their mean accuracies differ by at most this
WINDOW_SIZE_MARGIN = 0.05
EXPERIMENT = "needle"
METRIC = "top1"  # 1 if the query's own copy scores highest, 1/m for a tie among m, else 0


@dataclass
class NeedleResult:
    """Section 4's outcome: accuracy by strategy × depth, the per-set rows, the glue figures."""

    table: object  # pandas.DataFrame: strategy × depth
    frame: object  # pandas.DataFrame: one row per (strategy, depth, set)
    figures: dict
    intervals: object = None  # pandas.DataFrame: one row per (strategy, depth) with its Wilson interval


def haystacks(tokenizer, n: int, n_tokens: int) -> list[str]:
    """``n`` filler passages of ``n_tokens`` tokens, evenly spaced through the filler novel."""
    filler = [d for d in documents(("austen",)) if d.title == FILLER_TITLE][0]
    return bl.token_spans(tokenizer, filler.text, n, n_tokens)


def retrieval_variants(model, profile, stretched: dict) -> list[tuple[str, object, bl.Strategy]]:
    """(arm, encoder, strategy): truncation, two window sizes, then each stretched encoder whole."""
    strategies = [TRUNCATION, bl.Strategy("slide", profile.bert_window, profile.bert_stride), SHORT_WINDOWS]
    return [(st.label, model, st) for st in strategies] + [
        (stretched_label(n), m, bl.Strategy("whole", n)) for n, m in stretched.items()
    ]


def needle_scores(tokenizer, docs: list[str], queries, encoder, strategy: bl.Strategy) -> list[float]:
    """Top-1 score of each query among ``docs`` (windows scored by their best window); the windows the
    documents share (those before the needle) are encoded once."""
    embs = bl.shared_window_embeddings(encoder, [bl.encode_windows(tokenizer, d, strategy) for d in docs])
    if strategy.kind != "slide":
        embs = [e.mean(0) for e in embs]
    return [bl.retrieval_accuracy(queries[i], embs, i) for i in range(len(docs))]


def needle_by_depth(run, model, tokenizer, stretched: dict) -> NeedleResult:
    """Run section 4 on ``run.profile`` (needles drawn from ``default_rng(run.seed)``); record trials."""
    import pandas as pd

    P, seed = run.profile, run.seed
    fillers = haystacks(tokenizer, len(P.needle_depths) * P.needle_sets, P.needle_haystack_tokens)
    variants = retrieval_variants(model, P, stretched)
    rng = np.random.default_rng(seed)
    rows, trials = [], []
    for di, depth in enumerate(P.needle_depths):
        for s in range(P.needle_sets):
            pairs = bl.needles(P.needle_candidates, rng)
            docs = [bl.insert_at_depth(tokenizer, fillers[di * P.needle_sets + s], fact, depth) for fact, _ in pairs]
            positions = [bl.needle_token_position(tokenizer, d, f) for d, (f, _) in zip(docs, pairs)]
            queries = bl.window_embeddings(model, tokenizer([q for _, q in pairs], padding=True, return_tensors="pt"))
            for label, encoder, st in variants:
                scores = needle_scores(tokenizer, docs, queries, encoder, st)
                rows.append(
                    {"strategy": label, "depth": depth, "needle token": np.mean(positions), "accuracy": np.mean(scores)}
                )
                first = (di * P.needle_sets + s) * len(docs)
                trials += [
                    {
                        "experiment": EXPERIMENT,
                        "arm": label,
                        "scale": st.max_length,
                        "seed": seed,
                        "unit": first + i,
                        "metric": METRIC,
                        "value": v,
                        "depth": depth,
                        "needle_token": positions[i],
                    }
                    for i, v in enumerate(scores)
                ]
    run.add_trials(trials)
    frame = pd.DataFrame(rows)
    window_step = run.compare(window_size_comparison(trials, variants[1][0], SHORT_WINDOWS.label, seed))
    table = frame.groupby(["strategy", "depth"], sort=False).accuracy.mean().unstack("depth")
    return NeedleResult(
        table, frame, needle_figures(frame, P, variants[1][0], window_step, trials), interval_table(trials)
    )


def window_size_comparison(trials: list[dict], long_arm: str, short_arm: str, seed: int) -> dict:
    """Short windows minus the profile's windows, paired over the same queries (bootstrap CI)."""
    score = {(t["arm"], t["unit"]): t["value"] for t in trials}
    units = sorted(u for arm, u in score if arm == long_arm)
    a = [score[long_arm, u] for u in units]
    b = [score[short_arm, u] for u in units]
    return {
        "id": f"{EXPERIMENT}_{slug(long_arm)}_vs_{slug(short_arm)}",
        "experiment": EXPERIMENT,
        "scale": SHORT_WINDOWS.max_length,
        "metric": METRIC,
        "a": long_arm,
        "b": short_arm,
        **stats.paired_diff(a, b, seed=seed),
    }


def window_size_finding(short_minus_long: float) -> str:
    """The sentence the prose ends section 4 with, by the sign of the difference beyond the margin."""
    if short_minus_long > WINDOW_SIZE_MARGIN:
        return (
            "the shorter windows did better: a sentence-embedding model trained on short texts finds a "
            "sentence best in a short window, where mean pooling does not dilute it among hundreds of other tokens"
        )
    if short_minus_long < -WINDOW_SIZE_MARGIN:
        return "the longer windows did better"
    return "the two window sizes did about equally well"


def _mean(frame, **where) -> float:
    """Mean accuracy of the rows matching ``where`` (NaN when none)."""
    for k, v in where.items():
        frame = frame[frame[k] == v]
    return float(frame.accuracy.mean()) if len(frame) else float("nan")


def wilson_estimate(scores) -> dict:
    """Mean top-1 score of some queries with a Wilson 95% interval over them (a tie among m counts
    1/m of a success; the count is rounded to whole queries); NaN with n = 0 when there are none."""
    scores = np.asarray(scores, dtype=float)
    if len(scores) == 0:
        return {"value": float("nan"), "ci95": (float("nan"), float("nan")), "n": 0}
    lo, hi = stats.wilson(round(float(scores.sum())), len(scores))
    return {"value": float(scores.mean()), "ci95": (lo, hi), "n": int(len(scores))}


def interval_table(trials: list[dict]):
    """One row per (strategy, depth): queries, accuracy and its Wilson 95% interval."""
    import pandas as pd

    t = pd.DataFrame(trials)
    rows = []
    for (arm, depth), g in t.groupby(["arm", "depth"], sort=False):
        e = wilson_estimate(g["value"])
        rows.append(
            {
                "strategy": arm,
                "depth": depth,
                "queries": e["n"],
                "accuracy": e["value"],
                "95% CI low": e["ci95"][0],
                "95% CI high": e["ci95"][1],
            }
        )
    return pd.DataFrame(rows)


def needle_figures(frame, profile, slide_label: str, window_step: dict, trials: list[dict]) -> dict:
    """Glue figures of section 4 (names as the prose and the claims registry use them); the truncation
    inside/outside the window and the stretched table at the shallowest depth carry Wilson intervals
    over their queries (each query's own needle position decides inside or outside)."""
    big = max(profile.bert_stretch)
    first = min(profile.needle_depths)
    trunc = [t for t in trials if t["arm"] == TRUNCATION.label]
    slide_mean, short_mean = _mean(frame, strategy=slide_label), _mean(frame, strategy=SHORT_WINDOWS.label)
    return {
        "haystack_tokens": profile.needle_haystack_tokens,
        "candidates": profile.needle_candidates,
        "needle_queries_per_depth": profile.needle_candidates * profile.needle_sets,
        "needle_depth_count": len(profile.needle_depths),
        "needle_first_depth": first,
        "needle_trunc_inside": wilson_estimate([t["value"] for t in trunc if t["needle_token"] < INSIDE_BEFORE]),
        "needle_trunc_outside": wilson_estimate([t["value"] for t in trunc if t["needle_token"] > OUTSIDE_FROM]),
        "needle_stretch_first": wilson_estimate(
            [t["value"] for t in trials if t["arm"] == stretched_label(big) and t["depth"] == first]
        ),
        "needle_slide_first": wilson_estimate(
            [t["value"] for t in trials if t["arm"] == slide_label and t["depth"] == first]
        ),
        "needle_slide_mean": slide_mean,
        "needle_slide128_mean": short_mean,
        "needle_stretch_mean": _mean(frame, strategy=stretched_label(big)),
        "stretch_max": big,
        "needle_chance": 1 / profile.needle_candidates,
        "window_size_finding": window_size_finding(short_mean - slide_mean),
        "needle_window_comparison": window_step,  # short windows minus the profile's, paired (claims read this)
        "needles": frame.to_dict(orient="records"),
    }


def plot_accuracy_by_position(frame, candidates: int):
    """Retrieval accuracy against the needle's token position, one line per strategy."""
    from ...plotting import subplots

    fig, ax = subplots()
    for label, g in frame.groupby("strategy", sort=False):
        by_depth = g.groupby("depth")
        x, acc = by_depth["needle token"].mean(), by_depth.accuracy.mean()
        ax.plot(x.values, acc.values, marker="o", label=label)
    ax.axvline(
        tokens_read(TRUNCATION, TRUNCATION.max_length), color="k", ls="--", lw=1, label="end of a 512-token window"
    )
    ax.axhline(1 / candidates, color="k", ls=":", lw=1, label="chance")
    ax.set_xlabel("position of the needle (tokens from the start)")
    ax.set_ylabel(f"top-1 retrieval accuracy among {candidates}")
    ax.set_title("Finding a planted sentence:\naccuracy vs. its position")
    ax.legend()
    return fig
