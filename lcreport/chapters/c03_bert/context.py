"""Section 3 of the BERT chapter: how much of a passage the encoder reads vs. naming its novel.

Frozen all-MiniLM-L6-v2 embeddings of Austen passages under each context setting (truncation to
the first n positions; sliding windows over the whole passage), a linear head cross-validated over
the passages (``models.bert``), and, for every setting, whether each passage was named correctly.
Every setting is scored by the same repeated stratified cross-validation, and neighbouring settings
are compared fold by fold with the corrected resampled t-test (``stats.corrected_resampled_t``);
the trials and comparisons are recorded in the chapter's results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import torch

from ... import stats
from ...data.corpus import austen_documents
from ...models import bert as bl

#: a step between two settings counts as a gain (or a loss) when its test's p-value is below this
ALPHA = 0.05
#: the trials/comparisons experiment name of this section
EXPERIMENT = "context"


@dataclass
class ContextResult:
    """Section 3's outcome, and what sections 4–5 reuse (the passages, labels, features, correctness)."""

    table: object  # pandas.DataFrame, one row per setting
    gains: object  # pandas.DataFrame, one row per paired comparison of neighbouring settings
    figures: dict  # glue name → value
    passages: list
    labels: torch.Tensor
    n_classes: int
    slide_label: str
    features: dict = field(default_factory=dict)  # setting → document embeddings
    correct: dict = field(default_factory=dict)  # setting → share of repeats that named each passage's novel
    fold_accuracies: dict = field(default_factory=dict)  # setting → accuracy per (repeat, fold)


def austen_passages(tokenizer, per_book: int, n_tokens: int) -> tuple[list[str], torch.Tensor, int]:
    """(passages, novel index of each, number of novels): ``per_book`` evenly spaced passages per novel."""
    books = austen_documents()
    passages, labels = [], []
    for label, book in enumerate(books):
        spans = bl.token_spans(tokenizer, book.text, per_book, n_tokens)
        passages += spans
        labels += [label] * len(spans)
    return passages, torch.tensor(labels), len(books)


def context_strategies(profile) -> list[bl.Strategy]:
    """The settings compared: each truncation length of the profile, then sliding windows."""
    return [bl.Strategy("truncate", n) for n in profile.bert_truncations] + [
        bl.Strategy("slide", profile.bert_window, profile.bert_stride)
    ]


def tokens_read(strategy: bl.Strategy, passage_tokens: int) -> int:
    """Content tokens of a passage the encoder sees: truncation loses two positions to [CLS] and [SEP]."""
    return min(strategy.max_length - 2, passage_tokens) if strategy.kind == "truncate" else passage_tokens


def accuracy_row(correct: np.ndarray, fold_accs, seconds: float) -> dict:
    """Accuracy over every (repeat, passage) prediction ± the standard error over folds, a Wilson 95%
    interval and the cost. ``correct`` is repeats × passages (0/1); the Wilson interval counts the
    accuracy over the passages (n = passages, not repeats × passages: a repeat re-splits the same
    passages, it does not add new ones)."""
    correct = np.atleast_2d(correct)
    n = correct.shape[1]
    accuracy = float(correct.mean())
    lo, hi = stats.wilson(round(accuracy * n), n)
    return {
        "accuracy": accuracy,
        "± s.e.": bl.mean_and_sem(fold_accs)[1],
        "95% CI low": lo,
        "95% CI high": hi,
        "seconds / passage": seconds,
    }


def correctness_trials(
    arm: str, scale: int, correct: np.ndarray, fold_of: np.ndarray, seed: int, experiment: str = EXPERIMENT
) -> list[dict]:
    """One trial row per passage: metric "correct", value 1 when the held-out head named its novel."""
    return [
        {
            "experiment": experiment,
            "arm": arm,
            "scale": int(scale),
            "seed": int(seed),
            "unit": i,
            "metric": "correct",
            "value": int(c),
            "fold": int(f),
        }
        for i, (c, f) in enumerate(zip(correct, fold_of))
    ]


def slug(label: str) -> str:
    """A setting's name as an id fragment: 'sliding 512/128' → 'sliding_512_128'."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def comparison_id(a: str, b: str, experiment: str = EXPERIMENT) -> str:
    """'context_truncate_256_vs_truncate_512' for settings a and b."""
    return f"{experiment}_{slug(a)}_vs_{slug(b)}"


def paired_comparison(a: str, b: str, scale: int, folds_a, folds_b, n_passages: int, k: int) -> dict:
    """Accuracy of setting b minus setting a on the same folds of the same repeated k-fold
    cross-validation, by the corrected resampled t-test (``stats.corrected_resampled_t``)."""
    n_test = n_passages / k
    return {
        "id": comparison_id(a, b),
        "experiment": EXPERIMENT,
        "scale": int(scale),
        "metric": "accuracy",
        "a": a,
        "b": b,
        "passages": int(n_passages),
        **stats.corrected_resampled_t(folds_a, folds_b, n_train=n_passages - n_test, n_test=n_test),
    }


def is_gain(comparison: dict) -> bool:
    """Whether a comparison is significant at ``ALPHA`` (in either direction)."""
    return comparison["p"] < ALPHA


def comparison_phrase(comparison: dict) -> str:
    """The evidence in words: difference in percentage points, its 95% CI, McNemar's p and n."""
    lo, hi = comparison["ci95"]
    return (
        f"{100 * comparison['diff']:+.1f} percentage points, 95% CI {100 * lo:+.1f} to {100 * hi:+.1f}, "
        f"{comparison['test']} p = {comparison['p']:.2g} over {comparison['n']} folds"
    )


def gains_table(comparisons: list[dict]):
    """One row per step: from, to, gain, its interval, the test's p, significant."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "from": c["a"],
                "to": c["b"],
                "gain": c["diff"],
                "95% CI low": c["ci95"][0],
                "95% CI high": c["ci95"][1],
                "p (corrected t)": c["p"],
                "folds": c["n"],
                "significant": is_gain(c),
                "comparison id": c["id"],
            }
            for c in comparisons
        ]
    )


def saturation_figures(comparisons: list[dict]) -> dict:
    """The first step that is not a significant change (glue: saturation_from/to and its evidence)."""
    flat = next((c for c in comparisons if not is_gain(c)), None)
    if flat is None:
        return {
            "saturation_from": "none within the range tested",
            "saturation_to": "",
            "saturation_evidence": "every step was a significant change",
        }
    return {"saturation_from": flat["a"], "saturation_to": flat["b"], "saturation_evidence": comparison_phrase(flat)}


def headline_steps(comparisons: list[dict]) -> dict:
    """The two steps the chapter's findings name, whatever the profile's lengths: the last step between
    truncation lengths (``last_step_*``) and the longest truncation against sliding windows
    (``to_sliding_*``): each difference with its interval and n, McNemar's p, and the two settings."""
    steps = {
        "last_step": next(
            (c for c in reversed(comparisons) if c["a"].startswith("truncate") and c["b"].startswith("truncate")), None
        ),
        "to_sliding": next(
            (c for c in comparisons if c["a"].startswith("truncate") and c["b"].startswith("sliding")), None
        ),
    }
    out = {}
    for name, c in steps.items():
        if c is None:
            raise ValueError(
                f"no {name.replace('_', ' ')} among the comparisons {[x['id'] for x in comparisons]}; "
                "the profile needs at least two truncation lengths and a sliding window"
            )
        out |= {
            f"{name}_gain": {"value": c["diff"], "ci95": tuple(c["ci95"]), "n": c["n"]},
            f"{name}_p": c["p"],
            f"{name}_from": c["a"],
            f"{name}_to": c["b"],
            f"{name}_test": c["test"],
        }
    return out


def context_figures(table, comparisons: list[dict], profile, n_classes: int, n_passages: int) -> dict:
    """Glue figures of section 3 (names as the chapter's prose and the claims registry use them)."""
    trunc = table[table.index.str.startswith("truncate")]
    slide = table[table.index.str.startswith("sliding")]

    def estimate(row) -> dict:
        return {"value": float(row["accuracy"]), "ci95": (row["95% CI low"], row["95% CI high"]), "n": n_passages}

    return {
        "passage_tokens": profile.bert_passage_tokens,
        "folds": profile.bert_folds,
        "repeats": profile.bert_repeats,
        "cv_folds_total": profile.bert_folds * profile.bert_repeats,
        "n_passages": n_passages,
        "per_book": profile.bert_passages_per_book,
        "window": profile.bert_window,
        "stride": profile.bert_stride,
        "truncation_shortest": min(profile.bert_truncations),
        "truncation_longest": max(profile.bert_truncations),
        "cls_acc_shortest": estimate(trunc.iloc[0]),
        "cls_tokens_shortest": int(trunc["tokens read"].iloc[0]),
        "cls_acc_512": estimate(trunc.iloc[-1]),
        "cls_acc_slide": estimate(slide.iloc[0]),
        "cls_sem_slide": float(slide["± s.e."].iloc[0]),
        "cls_chance": 1 / n_classes,
        **saturation_figures(comparisons),
        "gain_alpha": ALPHA,
        # the paired tests between successive truncation lengths, whatever the profile's lengths (claims read this)
        "truncation_steps": [c for c in comparisons if c["a"].startswith("truncate") and c["b"].startswith("truncate")],
        "classification": table.reset_index().to_dict(orient="records"),
        **headline_steps(comparisons),
        "slide_seconds": float(slide["seconds / passage"].iloc[0]),
        "trunc512_seconds": float(trunc["seconds / passage"].iloc[-1]),
    }


def repeated_cv(x, y, n_classes: int, folds: int, repeats: int, seed: int):
    """An r-times repeated stratified k-fold cross-validation of the linear head: (correct, fold_of,
    fold accuracies), the first two repeats × examples, the last r·k values in (repeat, fold) order;
    repeat j splits with seed ``seed + j`` (the same splits for every setting)."""
    correct, fold_of, accs = [], [], []
    for j in range(repeats):
        predicted, f = bl.cross_validated_predictions(x, y, n_classes, folds=folds, seed=seed + j)
        correct.append((predicted == y.numpy()).astype(int))
        fold_of.append(f)
        accs += bl.fold_accuracies(predicted, y, f, folds)
    return np.array(correct), np.array(fold_of), accs


def classify_by_context(run, model, tokenizer) -> ContextResult:
    """Run section 3 on ``run.profile``: accuracy per setting, trials per passage and repeat, paired steps.

    Every setting is scored by the same ``bert_repeats`` × ``bert_folds`` stratified cross-validation
    (same splits); one trial row per (setting, repeat, passage), and one comparison per neighbouring
    pair of settings (each truncation vs the next, the longest truncation vs sliding windows) by the
    corrected resampled t-test over the folds.
    """
    import pandas as pd

    P, seed = run.profile, run.seed
    passages, y, n_classes = austen_passages(tokenizer, P.bert_passages_per_book, P.bert_passage_tokens)
    strategies = context_strategies(P)
    rows, features, correct, fold_accs = [], {}, {}, {}
    for st in strategies:
        x, sec = bl.embed_all(model, tokenizer, passages, st)
        features[st.label] = x
        c, fold_of, fold_accs[st.label] = repeated_cv(x, y, n_classes, P.bert_folds, P.bert_repeats, seed)
        correct[st.label] = c.mean(0)  # per passage: the share of repeats that named its novel
        rows.append(
            {
                "strategy": st.label,
                "tokens read": tokens_read(st, P.bert_passage_tokens),
                **accuracy_row(c, fold_accs[st.label], sec),
            }
        )
        for j in range(P.bert_repeats):
            run.add_trials(correctness_trials(st.label, st.max_length, c[j], fold_of[j], seed + j))
    comparisons = [
        run.compare(
            paired_comparison(
                a.label, b.label, b.max_length, fold_accs[a.label], fold_accs[b.label], len(passages), P.bert_folds
            )
        )
        for a, b in zip(strategies, strategies[1:])
    ]
    table = pd.DataFrame(rows).set_index("strategy")
    return ContextResult(
        table=table,
        gains=gains_table(comparisons),
        figures=context_figures(table, comparisons, P, n_classes, len(passages)),
        passages=passages,
        labels=y,
        n_classes=n_classes,
        slide_label=strategies[-1].label,
        features=features,
        correct=correct,
        fold_accuracies=fold_accs,
    )


def plot_accuracy_vs_context(table, n_classes: int, folds: int):
    """Accuracy (± s.e.) against tokens read: the truncation ladder, sliding windows, chance."""
    from ...plotting import log_x, subplots

    trunc = table[table.index.str.startswith("truncate")]
    slide = table[table.index.str.startswith("sliding")]
    fig, ax = subplots()
    ax.errorbar(trunc["tokens read"], trunc.accuracy, yerr=trunc["± s.e."], marker="o", capsize=3, label="truncation")
    ax.errorbar(
        slide["tokens read"],
        slide.accuracy,
        yerr=slide["± s.e."],
        marker="s",
        capsize=3,
        ls="none",
        label="sliding windows (whole passage)",
    )
    ax.axhline(1 / n_classes, color="k", ls=":", lw=1, label="chance")
    log_x(ax)
    ax.set_xlabel("tokens of the passage the encoder reads (log scale)")
    ax.set_ylabel(f"accuracy (repeated {folds}-fold CV, ± s.e.)")
    ax.set_title("Naming the novel from a passage:\naccuracy vs. context read")
    ax.legend()
    return fig
