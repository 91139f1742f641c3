"""Scoring a small Llama beyond its training length: perplexity on held-out windows, pass keys,
copying across distance, and RULER's effective length.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..models import lm_data
from ..models.lm_data import TRAINING_TEMPLATE, Data, PasskeyTemplate, passkey_example, repeat_example


@torch.inference_mode()
def token_nll(model, ids: torch.Tensor, batch_size: int = 4) -> torch.Tensor:
    """Negative log-likelihood of every predicted token, shape (chunks, length − 1)."""
    device = next(model.parameters()).device
    out = []
    for i in range(0, ids.shape[0], batch_size):
        x = ids[i:i + batch_size].to(device)
        logits = model(input_ids=x).logits[:, :-1].float()
        out.append(F.cross_entropy(logits.transpose(1, 2), x[:, 1:], reduction="none").cpu())
    return torch.cat(out)


def eval_chunks(stream: np.ndarray, length: int, count: int, seed: int = 0) -> torch.Tensor:
    """``count`` windows of ``length`` tokens at evenly spaced offsets of a held-out stream."""
    if len(stream) < length + count:
        raise ValueError(f"held-out stream of {len(stream)} tokens is too short for {count} × {length}")
    starts = np.linspace(0, len(stream) - length, count).astype(int)
    return torch.from_numpy(np.stack([stream[s:s + length] for s in starts]).astype(np.int64))


def perplexity(model, chunks: torch.Tensor, last: int) -> dict:
    """Perplexity over all predicted tokens and over the last ``last`` tokens of each chunk.

    Also the per-chunk mean NLLs, for bootstrap intervals.
    """
    nll = token_nll(model, chunks)
    per_all, per_last = nll.mean(1).numpy(), nll[:, -last:].mean(1).numpy()
    return {"ppl_all": float(np.exp(per_all.mean())), "ppl_last": float(np.exp(per_last.mean())),
            "nll_all_chunks": per_all, "nll_last_chunks": per_last}


@torch.inference_mode()
def answer_argmax(model, x: torch.Tensor, answer: slice) -> torch.Tensor:
    """The model's argmax at each answer position given the true tokens before it (teacher forcing).

    The answer ends the sequence, so only the last ``len(answer) + 1`` positions' logits are computed
    (``logits_to_keep``); the hidden states, and so the predictions, are the same as from full logits."""
    length = x.shape[1]
    if answer.stop != length:
        raise ValueError(f"the answer must end the sequence ({answer} in a sequence of {length} tokens)")
    keep = answer.stop - answer.start + 1
    logits = model(input_ids=x, logits_to_keep=keep).logits
    return logits[:, :-1].argmax(-1)


@torch.inference_mode()
def passkey_scores(model, data: Data, length: int, depths, trials: int, seed: int = 0, source=None, *,
                   per_trial: bool = False, template: PasskeyTemplate = TRAINING_TEMPLATE, batch_size: int = 10):
    """Exact-match and per-digit accuracy of the pass key, by depth.

    One teacher-forced pass: the key is exactly right under greedy decoding iff every one of
    its tokens is the argmax given the correct ones before it, so exact match here equals
    greedy exact match; per-digit accuracy is the graded measure.

    ``template`` sets the wording and key format (``lm_data.TEMPLATES``); trials are scored
    ``batch_size`` at a time. With ``per_trial=True`` returns ``(rows, trial_rows)``: the same by-depth rows (same draws, same
    numbers) and one row per trial — ``unit`` (a running index over depths × trials, the same key and
    text for every model scored at this length and seed), ``depth``, ``exact`` (0/1) and ``per_digit``.
    """
    rng = np.random.default_rng(seed)
    device = next(model.parameters()).device
    rows, trial_rows = [], []
    for depth in depths:
        seqs, answers = [], None
        for _ in range(trials):
            ids, ans = passkey_example(data, length, depth, rng, source=source, template=template)
            seqs.append(ids); answers = ans
        x = torch.tensor(seqs)
        pred = torch.cat([answer_argmax(model, x[i:i + batch_size].to(device), answers).cpu()
                          for i in range(0, trials, batch_size)])
        truth = x[:, answers]
        correct = pred == truth
        rows.append({"length": length, "depth": depth, "exact": correct.all(1).float().mean().item(),
                     "per_digit": correct.float().mean().item(), "trials": trials})
        for exact, digits in zip(correct.all(1).tolist(), correct.float().mean(1).tolist()):
            trial_rows.append({"length": length, "depth": depth, "unit": len(trial_rows), "exact": int(exact),
                               "per_digit": digits})
    return (rows, trial_rows) if per_trial else rows


@torch.inference_mode()
def copy_exact(model, vocab_size: int, length: int, trials: int, seed: int = 0, *, answer: int = 8,
               batch_size: int = 10) -> list[int]:
    """Copying across half the window, in the format of the copy sequences the model was trained on
    (``lm_data.copy_sequence``: random tokens, then the same tokens again): one 0/1 per trial, 1 when the model's
    argmax (teacher forcing) gives every one of the last ``answer`` tokens, each a copy of the token
    ``length // 2`` positions back."""
    if not 0 < answer < length // 2:
        raise ValueError(f"the copied answer must be 1 to {length // 2 - 1} tokens for length {length}, got {answer}")
    rng = np.random.default_rng(seed)
    x = torch.tensor(np.stack([lm_data.copy_sequence(vocab_size, length, rng)[0] for _ in range(trials)]).astype(np.int64))
    sl = slice(length - answer, length)
    device = next(model.parameters()).device
    pred = torch.cat([answer_argmax(model, x[i:i + batch_size].to(device), sl).cpu() for i in range(0, trials, batch_size)])
    return (pred == x[:, sl]).all(1).int().tolist()


@torch.inference_mode()
def repeat_losses(model, data: Data, length: int, distances, span: int = 24, trials: int = 8, seed: int = 0,
                  source=None) -> list[dict]:
    """Loss on the second copy of a random span (first token excluded) against the distance between copies."""
    rng = np.random.default_rng(seed)
    rows = []
    for distance in distances:
        seqs, sl = [], None
        for _ in range(trials):
            ids, sl = repeat_example(data, length, span, distance, rng, source=source)
            seqs.append(ids)
        nll = token_nll(model, torch.tensor(seqs))
        # nll[:, t] scores token t+1: the copy's tokens after its first
        copy = nll[:, sl.start:sl.stop - 1]
        rows.append({"length": length, "distance": distance, "copy_loss": copy.mean().item()})
    return rows


def effective_length(lengths, values, reference: float, tolerance: float, *, higher_is_better: bool = False,
                     contiguous: bool = False):
    """RULER-style effective context (Hsieh et al. 2024, §5): the longest tested length whose measurement
    stays within ``tolerance`` (relative) of the reference — the model at its own L.

    RULER reports "the maximum length exceeding the threshold"; with ``contiguous=True`` every shorter
    length must pass too (the first failure ends the window). ``None`` if no length passes.
    """
    best = None
    for n, v in sorted(zip(lengths, values)):
        ok = v >= reference * (1 - tolerance) if higher_is_better else v <= reference * (1 + tolerance)
        if ok:
            best = n
        elif contiguous:
            break
    return best
