"""What the small Llama reads: its tokenizer, the token streams of the books, and the three kinds
of training sequence — book text, pass-key retrieval (Mohtashami & Jaggi 2023) and a repeated
random span (copying across distance, the skill behind induction heads, Olsson et al. 2022) —
plus pure copy sequences for the warm-up. The tasks themselves (their formats and specs) live in
``lcreport.tasks``; this module mixes them into training batches.
"""

from __future__ import annotations

import json

import numpy as np
import torch

from ..data.asset_table import ASSETS
from ..data.corpus import documents, split_documents
from ..files import content_key
from ..profiles import LlamaSpec
from ..tasks.copying import copy_sequence, repeat_example
from ..tasks.passkey import TRAINING_TEMPLATE, passkey_example

EOS = "<|endoftext|>"


def train_tokenizer(texts, vocab_size: int):
    """Byte-level BPE with every digit its own token (so a pass key is copied digit by digit)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def data_fingerprint() -> str:
    """What the training data is made of: the corpus assets' checksums and the split."""
    from ..data.corpus import DEFAULT_HELDOUT

    parts = [json.dumps(ASSETS[name].files, sort_keys=True) for name in ("austen", "web")]
    parts.append(json.dumps(DEFAULT_HELDOUT))
    return content_key("".join(parts).encode())


#: share of the search book that the search's fitness reads; the rest is the validation split
SEARCH_SHARE = 0.6


class Data:
    """Token streams of the training and held-out books, and the tokenizer that made them."""

    def __init__(self, spec: LlamaSpec):
        train_docs, held_docs = split_documents(documents())
        self.tokenizer = train_tokenizer((d.text for d in train_docs), spec.vocab_size)
        eos = self.tokenizer.token_to_id(EOS)

        def stream(docs):
            ids = []
            for d in docs:
                ids.extend(self.tokenizer.encode(d.text).ids)
                ids.append(eos)
            return np.array(ids, dtype=np.int32)

        self.train = stream(train_docs)
        # held-out books: the search reads one, the evaluation the others (never the same text); the search
        # book is cut in two: the search's fitness reads the first part, choices between searches the rest
        search_keys = {"web/Acts"}
        searched = stream([d for d in held_docs if d.key in search_keys])
        cut = int(len(searched) * SEARCH_SHARE)
        self.search, self.validation = searched[:cut], searched[cut:]
        self.heldout = stream([d for d in held_docs if d.key not in search_keys])
        #: the start token of a model trained with ``LlamaSpec.bos`` (the end-of-text token, as GPT-2 uses it)
        self.start_id = eos
        self.digit_ids = [self.tokenizer.token_to_id(str(d)) for d in range(10)]
        if None in self.digit_ids:
            raise RuntimeError("the tokenizer lacks a single-digit token")

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text).ids


def copy_batch(spec: LlamaSpec, rng: np.random.Generator, start_id: int | None = None):
    """A batch of copy sequences (the warm-up); with ``spec.bos`` each begins with ``start_id``."""
    n = spec.train_length - 1 if spec.bos else spec.train_length
    rows = [copy_sequence(spec.vocab_size, n, rng) for _ in range(spec.batch_size)]
    ids, weights = np.stack([r[0] for r in rows]).astype(np.int64), np.stack([r[1] for r in rows])
    if spec.bos:
        ids, weights = with_start(ids, weights, start_id)
    return torch.from_numpy(ids), torch.from_numpy(weights)


def with_start(ids: np.ndarray, weights: np.ndarray, start_id: int | None):
    """Each row prefixed with the start token (weight 0: it is never a target)."""
    if start_id is None:
        raise ValueError("a model trained with a start token (LlamaSpec.bos) needs the tokenizer's start id")
    ids = np.concatenate([np.full((ids.shape[0], 1), start_id, dtype=ids.dtype), ids], axis=1)
    weights = np.concatenate([np.zeros((weights.shape[0], 1), dtype=weights.dtype), weights], axis=1)
    return ids, weights


def start_windows(chunks: torch.Tensor, start_id: int) -> torch.Tensor:
    """Evaluation windows as a start-token model reads them: the start token in place of the window's first
    token, so that the length, and the text and positions of every scored token after it, are unchanged."""
    start = torch.full((chunks.shape[0], 1), start_id, dtype=chunks.dtype)
    return torch.cat([start, chunks[:, 1:]], dim=1)


def training_batch(
    data: Data,
    spec: LlamaSpec,
    rng: np.random.Generator,
    progress: float = 1.0,
    *,
    length: int | None = None,
    batch_size: int | None = None,
):
    """(input ids, per-token loss weights) for one step; weights up-weight the pass key's answer.

    ``progress`` (0 → 1 over training) drives a distance curriculum: early on the pass key sits
    near the question, and its depth spreads over the whole sequence by 40% of training.
    ``length`` and ``batch_size`` default to the spec's (fine-tuning at 4L overrides them). With ``spec.bos``
    every sequence is the start token followed by ``length`` − 1 tokens of the mix.
    """
    L = (length or spec.train_length) - (1 if spec.bos else 0)  # the start token takes one position
    B = batch_size or spec.batch_size
    nearest = max(0.0, 1.0 - progress / 0.4)
    ids = np.empty((B, L), dtype=np.int64)
    weights = np.ones((B, L), dtype=np.float32)
    for b in range(B):
        kind = rng.random()
        if kind < spec.passkey_share:
            seq, ans = passkey_example(data, L, float(rng.uniform(nearest, 1.0)), rng, template=TRAINING_TEMPLATE)
            weights[b, ans] += spec.answer_loss_weight
        elif kind < spec.passkey_share + spec.repeat_share:
            span = int(rng.integers(8, max(9, L // 8)))
            seq, _ = repeat_example(data, L, span, int(rng.integers(0, L - 2 * span + 1)), rng)
        elif kind < spec.passkey_share + spec.repeat_share + spec.copy_share:
            seq, weights[b] = copy_sequence(spec.vocab_size, L, rng)
        else:
            start = int(rng.integers(0, len(data.train) - L))
            seq = data.train[start : start + L].tolist()
        ids[b] = seq
    if spec.bos:
        ids, weights = with_start(ids, weights, data.start_id)
    return torch.from_numpy(ids), torch.from_numpy(weights)


def text_batch(stream: np.ndarray, batch_size: int, length: int, rng: np.random.Generator):
    """Plain language-modelling windows of ``length`` tokens at random offsets (all weights 1)."""
    starts = rng.integers(0, len(stream) - length, batch_size)
    ids = torch.from_numpy(np.stack([stream[s : s + length] for s in starts]).astype(np.int64))
    return ids, torch.ones(ids.shape, dtype=torch.float32)
