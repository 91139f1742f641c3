"""Code quoted from the source articles, kept verbatim as exhibits that the book runs.

Each file is a short quotation, reproduced so that the book can show what happens when the
code is run as published; the article it comes from is named in ``EXHIBITS``. These are not
the project's code: nothing imports them, the chapters ``compile``/``exec`` them on purpose.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent

#: name → (file, source): article number (see ``claims.ARTICLES``) and section
EXHIBITS = {
    "bert_snippet": ("article001_bert_snippet.py.txt", "article 001, §5.2 (the BERT example)"),
    "transformer_model": ("article002_transformer_model.py.txt", "article 002, §5.2–5.3 (the model)"),
    "training_loop": ("article002_training_loop.py.txt", "article 002, §5.4 (training and evaluation)"),
}


def exhibit(name: str) -> str:
    """The verbatim text of an exhibit."""
    try:
        filename, _ = EXHIBITS[name]
    except KeyError:
        raise KeyError(f"unknown exhibit {name!r}: choose one of {', '.join(EXHIBITS)}") from None
    return (_HERE / filename).read_text(encoding="utf-8")
