"""Long inputs to a BERT-family encoder: truncation, sliding windows, stretched positions.

The encoder is all-MiniLM-L6-v2 (Wang et al. 2020, MiniLM; Reimers & Gurevych 2019,
Sentence-BERT), a ``BertModel`` with 512 learned position embeddings. Everything runs
frozen: the only trained part is a linear head (classification) or nothing (retrieval by
cosine similarity), so context is the only variable.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..data.assets import require


class InputTooLongError(ValueError):
    pass


def load_encoder(device="cpu"):
    """(tokenizer, model) of all-MiniLM-L6-v2 from the checksum-verified asset, in eval mode."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging

    path = require("minilm")
    logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).to(device).eval()
    return tokenizer, model


def max_positions(model) -> int:
    return model.config.max_position_embeddings


# --- strategies -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Strategy:
    """How a long document reaches the encoder.

    ``truncate``: the first ``max_length`` tokens (special tokens included), the rest dropped.
    ``slide``: windows of ``max_length`` tokens overlapping by ``stride`` tokens, covering all.
    ``whole``: the document in one window (needs a model with enough positions).
    """

    kind: str
    max_length: int
    stride: int = 0

    @property
    def label(self) -> str:
        if self.kind == "truncate":
            return f"truncate {self.max_length}"
        if self.kind == "slide":
            return f"sliding {self.max_length}/{self.stride}"
        return f"whole ({self.max_length} positions)"


def encode_windows(tokenizer, text: str, strategy: Strategy) -> dict:
    """Token windows for one document, as the tokenizer builds them (``stride`` + overflow)."""
    if strategy.kind == "slide":
        if not 0 <= strategy.stride < strategy.max_length - 2:
            raise ValueError(f"stride {strategy.stride} must be in [0, {strategy.max_length - 2})")
        enc = tokenizer(
            text,
            max_length=strategy.max_length,
            truncation=True,
            stride=strategy.stride,
            return_overflowing_tokens=True,
            padding="longest",
            return_tensors="pt",
        )
    elif strategy.kind in ("truncate", "whole"):
        enc = tokenizer(text, max_length=strategy.max_length, truncation=True, return_tensors="pt")
    else:
        raise ValueError(f"unknown strategy {strategy.kind!r}: truncate, slide or whole")
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


def check_fits(model, n_tokens: int) -> None:
    """The error a reader gets instead of the model's shape mismatch deep inside BertEmbeddings."""
    limit = max_positions(model)
    if n_tokens > limit:
        raise InputTooLongError(
            f"{n_tokens} tokens do not fit this encoder's {limit} learned positions: "
            f"use Strategy('truncate', {limit}) or Strategy('slide', {limit}, stride), "
            f"or a model with more positions"
        )


@torch.inference_mode()
def window_embeddings(model, windows: dict, *, batch_size: int = 16) -> torch.Tensor:
    """Mean-pooled last hidden states, one row per window (Sentence-BERT's pooling)."""
    check_fits(model, windows["input_ids"].shape[1])
    device = next(model.parameters()).device
    out = []
    for i in range(0, windows["input_ids"].shape[0], batch_size):
        ids = windows["input_ids"][i : i + batch_size].to(device)
        mask = windows["attention_mask"][i : i + batch_size].to(device)
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).to(hidden.dtype)
        out.append(((hidden * m).sum(1) / m.sum(1).clamp(min=1)).cpu())
    return torch.cat(out)


def shared_window_embeddings(model, documents: list[dict]) -> list[torch.Tensor]:
    """``window_embeddings`` of each document's windows (``encode_windows`` output), every distinct window
    encoded once: copies of one haystack that differ in a planted sentence share each window before it.

    A window is its unpadded tokens; windows of one length are encoded together, unpadded. Identical
    windows get the identical vector (so identical documents tie exactly), and each vector equals what
    ``window_embeddings`` gives for that window alone (padding does not change an embedding)."""
    index, rows = {}, []
    for windows in documents:
        keys = []
        for ids, mask in zip(windows["input_ids"], windows["attention_mask"]):
            key = tuple(ids[mask.bool()].tolist())
            keys.append(index.setdefault(key, len(index)))
        rows.append(keys)
    by_length = {}
    for key, i in index.items():
        by_length.setdefault(len(key), []).append((i, key))
    vectors = [None] * len(index)
    for group in by_length.values():
        ids = torch.tensor([key for _, key in group])
        emb = window_embeddings(model, {"input_ids": ids, "attention_mask": torch.ones_like(ids)})
        for (i, _), v in zip(group, emb):
            vectors[i] = v
    return [torch.stack([vectors[i] for i in keys]) for keys in rows]


def document_embedding(model, tokenizer, text: str, strategy: Strategy) -> torch.Tensor:
    """One vector per document: the window embeddings averaged (length-weighted for ``slide``)."""
    windows = encode_windows(tokenizer, text, strategy)
    emb = window_embeddings(model, windows)
    weights = windows["attention_mask"].sum(1, keepdim=True).float()
    return (emb * weights).sum(0) / weights.sum()


def window_token_coverage(windows: dict, tokenizer) -> list[list[int]]:
    """The content token ids of each window (special tokens and padding removed)."""
    special = set(tokenizer.all_special_ids)
    return [
        [t for t, m in zip(ids.tolist(), mask.tolist()) if m and t not in special]
        for ids, mask in zip(windows["input_ids"], windows["attention_mask"])
    ]


# --- stretched position embeddings ------------------------------------------------------------


def stretch_positions(model, new_max: int):
    """A copy of the model whose learned position table is linearly interpolated to ``new_max`` rows.

    The naive "just extend it" move, without any training: position p of the new table is
    the old table read at p·(512−1)/(new_max−1).
    """
    emb = model.embeddings.position_embeddings.weight.detach()
    table = F.interpolate(emb.T.unsqueeze(0), size=new_max, mode="linear", align_corners=True)[0].T
    stretched = copy.deepcopy(model)
    new = torch.nn.Embedding(new_max, emb.shape[1]).to(emb.device)
    new.weight.data.copy_(table)
    stretched.embeddings.position_embeddings = new
    stretched.config.max_position_embeddings = new_max
    for name in ("position_ids", "token_type_ids"):
        buf = getattr(stretched.embeddings, name, None)
        if buf is not None:
            fresh = (
                torch.arange(new_max, device=buf.device).expand((1, -1))
                if name == "position_ids"
                else torch.zeros((1, new_max), dtype=buf.dtype, device=buf.device)
            )
            stretched.embeddings.register_buffer(name, fresh, persistent=False)
    return stretched


# --- data: passages and needles ---------------------------------------------------------------


def token_spans(tokenizer, text: str, n_spans: int, n_tokens: int) -> list[str]:
    """``n_spans`` passages of ``n_tokens`` tokens each, evenly spaced through ``text``."""
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    if len(offsets) < n_spans * n_tokens:
        raise ValueError(f"text has {len(offsets)} tokens, fewer than {n_spans} × {n_tokens}")
    step = (len(offsets) - n_tokens) // max(n_spans - 1, 1)
    return [text[offsets[i * step][0] : offsets[i * step + n_tokens - 1][1]] for i in range(n_spans)]


COLORS = [
    "red",
    "blue",
    "green",
    "yellow",
    "purple",
    "orange",
    "silver",
    "golden",
    "black",
    "white",
    "crimson",
    "amber",
]
ITEMS = [
    "key",
    "ring",
    "letter",
    "lantern",
    "compass",
    "violin",
    "teapot",
    "map",
    "clock",
    "feather",
    "anchor",
    "mirror",
]
PLACES = [
    "cellar",
    "attic",
    "orchard",
    "chapel",
    "stable",
    "library",
    "greenhouse",
    "boathouse",
    "pantry",
    "tower",
    "garden",
    "kitchen",
]


def needles(k: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """k distinct (fact, question) pairs: 'The red key is hidden in the cellar.' / 'Where is the red key hidden?'"""
    if k > len(ITEMS):
        raise ValueError(f"at most {len(ITEMS)} distinct needles, {k} asked for")
    colors = rng.permutation(COLORS)[:k]
    items = rng.permutation(ITEMS)[:k]
    places = rng.permutation(PLACES)[:k]
    return [
        (f"The {c} {i} is hidden in the {p}.", f"Where is the {c} {i} hidden?")
        for c, i, p in zip(colors, items, places)
    ]


def insert_at_depth(tokenizer, haystack: str, needle: str, depth: float) -> str:
    """Insert ``needle`` at a sentence boundary near ``depth`` (0 = start, 1 = end) of the haystack, in tokens."""
    if not 0 <= depth <= 1:
        raise ValueError(f"depth must be in [0, 1], got {depth}")
    enc = tokenizer(haystack, add_special_tokens=False, return_offsets_mapping=True)
    target = enc["offset_mapping"][min(int(depth * len(enc["offset_mapping"])), len(enc["offset_mapping"]) - 1)][0]
    cut = haystack.rfind(". ", 0, target)
    cut = 0 if cut < 0 or depth == 0 else cut + 2
    return haystack[:cut] + needle + " " + haystack[cut:]


def needle_token_position(tokenizer, document: str, needle: str) -> int:
    """Index (in content tokens) where the needle starts."""
    return len(tokenizer(document[: document.index(needle)], add_special_tokens=False)["input_ids"])


def retrieval_accuracy(query_emb: torch.Tensor, doc_embs: list[torch.Tensor], correct: int) -> float:
    """Top-1 by cosine similarity; a tie among m best that includes the right document scores 1/m.

    ``doc_embs[i]`` is one vector, or a matrix of window vectors scored by their best window.
    """
    scores = []
    for d in doc_embs:
        sims = F.cosine_similarity(query_emb.unsqueeze(0), d.reshape(-1, d.shape[-1]), dim=-1)
        scores.append(sims.max().item())
    scores = np.round(np.array(scores), 6)  # identical documents must tie exactly
    best = np.flatnonzero(scores == scores.max())
    return 1.0 / len(best) if correct in best else 0.0


# --- a small trained head ----------------------------------------------------------------------


def train_linear_head(
    x: torch.Tensor,
    y: torch.Tensor,
    n_classes: int,
    *,
    epochs: int = 300,
    lr: float = 0.05,
    weight_decay: float = 1e-3,
    seed: int = 0,
) -> torch.nn.Linear:
    """Multinomial logistic regression on frozen features (full-batch Adam, standardised inputs)."""
    g = torch.Generator().manual_seed(seed)
    head = torch.nn.Linear(x.shape[1], n_classes)
    with torch.no_grad():
        head.weight.copy_(torch.randn(head.weight.shape, generator=g) * 0.01)
        head.bias.zero_()
    opt = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=weight_decay)
    for _ in range(epochs):
        opt.zero_grad()
        F.cross_entropy(head(x), y).backward()
        opt.step()
    return head


def stratified_folds(y: torch.Tensor, n_classes: int, folds: int, rng: np.random.Generator) -> np.ndarray:
    """The fold (0 … folds−1) of each example, each class dealt round-robin after a shuffle."""
    fold_of = np.empty(len(y), dtype=int)
    for c in range(n_classes):
        idx = np.flatnonzero(y.numpy() == c)
        fold_of[rng.permutation(idx)] = np.arange(len(idx)) % folds
    return fold_of


def cross_validated_predictions(
    x: torch.Tensor, y: torch.Tensor, n_classes: int, *, folds: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class, fold) of every example, each predicted by a head trained on the other folds."""
    fold_of = stratified_folds(y, n_classes, folds, np.random.default_rng(seed))
    predicted = np.empty(len(y), dtype=np.int64)
    for f in range(folds):
        tr, te = torch.from_numpy(fold_of != f), torch.from_numpy(fold_of == f)
        mu, sd = x[tr].mean(0), x[tr].std(0).clamp(min=1e-6)
        head = train_linear_head((x[tr] - mu) / sd, y[tr], n_classes, seed=seed + f)
        with torch.no_grad():
            predicted[fold_of == f] = head((x[te] - mu) / sd).argmax(1).numpy()
    return predicted, fold_of


def fold_accuracies(predicted: np.ndarray, y: torch.Tensor, fold_of: np.ndarray, folds: int) -> list[float]:
    """Accuracy on each of ``folds`` folds, in fold order."""
    return [
        (torch.from_numpy(predicted[fold_of == f]) == y[torch.from_numpy(fold_of == f)]).float().mean().item()
        for f in range(folds)
    ]


def cross_validated_accuracy(
    x: torch.Tensor, y: torch.Tensor, n_classes: int, *, folds: int, seed: int = 0
) -> list[float]:
    """Accuracy on each of ``folds`` stratified folds (train the head on the others)."""
    predicted, fold_of = cross_validated_predictions(x, y, n_classes, folds=folds, seed=seed)
    return fold_accuracies(predicted, y, fold_of, folds)


def embed_all(model, tokenizer, texts, strategy: Strategy, *, desc: str = "") -> tuple[torch.Tensor, float]:
    """Document embeddings for ``texts`` and the mean seconds per document."""
    t0 = time.perf_counter()
    vecs = [
        document_embedding(model, tokenizer, t, strategy) for t in tqdm(texts, desc=desc or strategy.label, leave=False)
    ]
    return torch.stack(vecs), (time.perf_counter() - t0) / len(texts)


def mean_and_sem(values) -> tuple[float, float]:
    """Mean and standard error of the mean (0 for a single value)."""
    v = np.asarray(values, float)
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else 0.0
