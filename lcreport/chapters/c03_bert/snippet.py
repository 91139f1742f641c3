"""Section 1 of the BERT chapter: seed 001's BERT snippet (§5.2) run as published, then minimally fixed.

The snippet itself is a quoted exhibit (``lcreport.exhibits``, ``"bert_snippet"``); here are the two
things the chapter shows about it: Python's verdict on compiling it, and what the corrected code
predicts with a freshly initialised two-class head.
"""

from __future__ import annotations

import torch

from ...data.assets import require

#: the name the exhibit is compiled under (it appears in tracebacks, not in the printed message)
SNIPPET_FILENAME = "seed_001_section_5_2.py"
#: the sentence of the snippet, and the random initialisations of the head it is classified with
SNIPPET_SENTENCE = "Hello, my dog is cute"
HEAD_SEEDS = tuple(range(4))


def syntax_error(source: str, filename: str = SNIPPET_FILENAME) -> tuple[str, bool]:
    """(message, fails): the SyntaxError Python raises compiling ``source``, or "compiles" and False."""
    try:
        compile(source, filename, "exec")
    except SyntaxError as e:
        return f"SyntaxError: {e.msg} (line {e.lineno}: {e.text.strip()!r})", True
    return "compiles", False


def untrained_head_labels(tokenizer, *, text: str = SNIPPET_SENTENCE, seeds=HEAD_SEEDS):
    """The corrected snippet with our encoder: logits and label of one sentence, one row per head seed.

    The mask is the one the published line seems to intend (ones where the token is not padding);
    ``BertForSequenceClassification(num_labels=2)`` gets a new, untrained head for each seed, so the
    "label" is noise. transformers' verbosity is restored afterwards.
    """
    import pandas as pd
    import transformers
    from transformers import AutoModelForSequenceClassification

    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # "Some weights … newly initialized" is the point, not news
    try:
        inputs = tokenizer(text, return_tensors="pt")
        inputs["attention_mask"] = (inputs["input_ids"] != tokenizer.pad_token_id).long()
        rows = []
        for init_seed in seeds:
            torch.manual_seed(init_seed)
            clf = AutoModelForSequenceClassification.from_pretrained(require("minilm"), num_labels=2).eval()
            with torch.no_grad():
                logits = clf(**inputs).logits[0]
            rows.append(
                {
                    "head initialised with seed": init_seed,
                    "logit 0": round(logits[0].item(), 3),
                    "logit 1": round(logits[1].item(), 3),
                    "predicted label": int(logits.argmax()),
                }
            )
    finally:
        transformers.logging.set_verbosity(verbosity)
    return pd.DataFrame(rows).set_index("head initialised with seed")
