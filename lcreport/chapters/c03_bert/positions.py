"""Sections 2 and 5 of the BERT chapter: the learned position table that sets BERT's 512, and
stretching it to more rows without training.

Section 2 shows what a reader meets past row 512 (the tokenizer's warning, the model's shape error,
lcreport's own message) and how small the table is. Section 5 interpolates the table
(``models.bert.stretch_positions``), classifies whole passages with the stretched encoder and compares
it, passage by passage, with sliding windows over the same text with the original encoder.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import torch

from ...data.corpus import documents
from ...models import bert as bl
from .context import (
    ALPHA,
    ContextResult,
    accuracy_row,
    comparison_phrase,
    correctness_trials,
    paired_comparison,
    repeated_cv,
)

#: the 512-token truncation whose embeddings the stretched encoders are compared with
ORIGINAL_WINDOW = bl.Strategy("truncate", 512)


# --- section 2: where the 512 lives ------------------------------------------------------------------


def opening_words(n_words: int) -> str:
    """The first ``n_words`` words of the first Austen novel: a text a little over 512 tokens."""
    return " ".join(documents(("austen",))[0].text.split()[:n_words])


def too_long_report(model, tokenizer, text: str) -> str:
    """What the tokenizer, the model and lcreport each say about ``text`` when it exceeds the table.

    The tokenizer's warning is captured from transformers' logger (verbosity is restored after).
    """
    import transformers

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_warning()
    transformers.logging.get_logger().addHandler(handler)
    try:
        ids = tokenizer(text, return_tensors="pt")["input_ids"]
    finally:
        transformers.logging.get_logger().removeHandler(handler)
        transformers.logging.set_verbosity(verbosity)
    lines = [f"tokens: {ids.shape[1]}", "tokenizer says: " + (buffer.getvalue().strip() or "(nothing)")]
    try:
        with torch.no_grad():
            model(input_ids=ids.to(next(model.parameters()).device))
    except Exception as e:  # whatever the model raises is what the reader would see
        lines.append(f"model says: {type(e).__name__}: {e}")
    try:
        bl.check_fits(model, ids.shape[1])
    except bl.InputTooLongError as e:
        lines.append(f"lcreport says: {e}")
    return "\n".join(lines)


def encoder_facts(model) -> dict:
    """The encoder's shape as the chapter quotes it: layers, width, learned positions."""
    c = model.config
    return {"layers": c.num_hidden_layers, "width": c.hidden_size, "positions": c.max_position_embeddings}


def position_table_summary(model) -> str:
    """The learned position table's shape and its share of the encoder's parameters."""
    table = model.embeddings.position_embeddings.weight
    return (
        f"position table: {tuple(table.shape)} = {table.numel():,} parameters "
        f"({table.numel() / model.num_parameters():.2%} of {model.num_parameters():,})"
    )


# --- section 5: stretching the table -------------------------------------------------------------------


def stretched_encoders(model, sizes) -> dict[int, torch.nn.Module]:
    """Copies of the encoder with the position table interpolated to each of ``sizes`` rows."""
    return {n: bl.stretch_positions(model, n) for n in sizes}


def stretched_label(n: int) -> str:
    """The arm name of the stretched encoder reading a whole document in one ``n``-position window."""
    return f"stretched to {n}, whole"


@dataclass
class StretchResult:
    """Section 5's outcome: the table (one row per stretched size) and the glue figures."""

    table: object  # pandas.DataFrame
    figures: dict


def stretched_classification(run, model, tokenizer, stretched: dict, context: ContextResult) -> StretchResult:
    """Classify the section-3 passages with each stretched encoder reading them whole.

    For each size: the drift of the first-512-token embeddings from the original encoder's (mean
    cosine), the cross-validated accuracy (same folds and seeds as section 3), and an exact McNemar
    comparison with sliding windows of the original encoder. Trials and comparisons go to ``run``.
    """
    import pandas as pd

    P, seed = run.profile, run.seed
    passages, y, n_classes = context.passages, context.labels, context.n_classes
    base_emb = context.features.get(ORIGINAL_WINDOW.label)
    if base_emb is None:
        base_emb, _ = bl.embed_all(model, tokenizer, passages, ORIGINAL_WINDOW)
    slide_label = context.slide_label
    rows, comparisons = [], []
    for n, m in stretched.items():
        emb_short, _ = bl.embed_all(m, tokenizer, passages, ORIGINAL_WINDOW, desc=f"stretched {n}, first 512")
        drift = torch.nn.functional.cosine_similarity(base_emb, emb_short, dim=-1)
        x, sec = bl.embed_all(m, tokenizer, passages, bl.Strategy("whole", n))
        correct, fold_of, accs = repeated_cv(x, y, n_classes, P.bert_folds, P.bert_repeats, seed)
        row = accuracy_row(correct, accs, sec)
        rows.append(
            {
                "position table": f"{n} rows (stretched)",
                "tokens read": min(n - 2, P.bert_passage_tokens),
                "classification accuracy": row.pop("accuracy"),
                **row,
                "cosine to original embedding (same 512 tokens)": float(drift.mean()),
            }
        )
        for j in range(P.bert_repeats):
            run.add_trials(correctness_trials(stretched_label(n), n, correct[j], fold_of[j], seed + j))
        comparisons.append(
            run.compare(
                paired_comparison(
                    slide_label,
                    stretched_label(n),
                    n,
                    context.fold_accuracies[slide_label],
                    accs,
                    len(passages),
                    P.bert_folds,
                )
            )
        )
    table = pd.DataFrame(rows).set_index("position table")
    return StretchResult(table, stretch_figures(table, comparisons[-1]))


def stretch_figures(table, versus_slide: dict) -> dict:
    """Glue figures of section 5: the largest stretch's accuracy, its verdict against sliding windows, drift."""
    last = table.iloc[-1]
    better = versus_slide["p"] < ALPHA and versus_slide["diff"] > 0
    worse = versus_slide["p"] < ALPHA and versus_slide["diff"] < 0
    return {
        "stretch_cls_acc": float(last["classification accuracy"]),
        "stretch_vs_slide": "better than" if better else "worse than" if worse else "not significantly different from",
        "stretch_vs_slide_evidence": comparison_phrase(versus_slide),
        "stretch_drift": float(last["cosine to original embedding (same 512 tokens)"]),
        "stretch": table.reset_index().to_dict(orient="records"),
    }
