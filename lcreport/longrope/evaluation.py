"""Scoring a small Llama beyond its training length: perplexity on held-out windows, pass keys,
copying across distance, and RULER's effective length.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..models.lm_data import Data
from ..tasks.copying import CopyTask, copy_sequence, repeat_example
from ..tasks.passkey import TRAINING_TEMPLATE, PasskeyTask, PasskeyTemplate, passkey_example

#: tokens per forward pass when scoring: the budget that scored fastest among those timed for the cpu-profile
#: model on the project's two-core machine (short windows gain from batching, long ones do not). It sets the
#: speed only: a window's scores do not depend on the windows beside it beyond float rounding (tested).
BATCH_TOKENS = 2048

#: config fields of models whose logits are not the output layer applied to the last hidden state; ``_scored_nll``
#: applies that layer itself, so it refuses such models rather than score them wrongly
LOGIT_TRANSFORMS = ("final_logit_softcapping", "logit_scale", "logits_scaling")


def batch_for(length: int, tokens: int = BATCH_TOKENS) -> int:
    """Windows of ``length`` tokens per forward pass: ``tokens // length``, at least one."""
    if length < 1:
        raise ValueError(f"a window has at least one token, got {length}")
    return max(1, tokens // length)


@torch.inference_mode()
def _scored_nll(model, ids: torch.Tensor, batch_size: int | None, last: int, whole: bool):
    """(every predicted token's NLL if ``whole`` else None, the last ``last`` predicted tokens' NLL).

    One forward pass per batch; the output layer is applied to the last ``last + 1`` positions for the
    second (``logits_to_keep`` as ``LlamaForCausalLM`` does it), and to every position only when ``whole``,
    so a window's last-``last`` NLL is computed the same way, to the bit, whether or not the rest is asked for.
    """
    length = ids.shape[1]
    if not 0 < last < length:
        raise ValueError(f"can score the last 1 to {length - 1} tokens of a {length}-token window, not {last}")
    transforms = [f for f in LOGIT_TRANSFORMS if getattr(model.config, f, None) not in (None, 1, 1.0)]
    if transforms:
        raise ValueError(
            f"{type(model).__name__} transforms its logits ({', '.join(transforms)}), which this scorer "
            "does not apply: score it from model(...).logits instead"
        )
    batch_size = batch_size or batch_for(length)
    device, head = next(model.parameters()).device, model.get_output_embeddings()
    every, tail = [], []
    for i in range(0, ids.shape[0], batch_size):
        x = ids[i : i + batch_size].to(device)
        hidden = model.base_model(input_ids=x).last_hidden_state
        logits = head(hidden[:, length - last - 1 :])[:, :-1].float()
        tail.append(F.cross_entropy(logits.transpose(1, 2), x[:, length - last :], reduction="none").cpu())
        if whole:
            logits = head(hidden)[:, :-1].float()
            every.append(F.cross_entropy(logits.transpose(1, 2), x[:, 1:], reduction="none").cpu())
    return (torch.cat(every) if whole else None), torch.cat(tail)


def token_nll(model, ids: torch.Tensor, batch_size: int | None = None, *, last: int | None = None) -> torch.Tensor:
    """Negative log-likelihood of every predicted token, shape (chunks, length − 1); with ``last``, of the
    last ``last`` predicted tokens only, shape (chunks, last), computing only their logits. ``batch_size``
    (windows per forward pass) defaults to ``batch_for(length)``."""
    return _scored_nll(model, ids, batch_size, ids.shape[1] - 1 if last is None else last, whole=False)[1]


def eval_chunks(stream: np.ndarray, length: int, count: int, seed: int = 0) -> torch.Tensor:
    """``count`` windows of ``length`` tokens at evenly spaced offsets of a held-out stream."""
    if len(stream) < length + count:
        raise ValueError(f"held-out stream of {len(stream)} tokens is too short for {count} × {length}")
    starts = np.linspace(0, len(stream) - length, count).astype(int)
    return torch.from_numpy(np.stack([stream[s : s + length] for s in starts]).astype(np.int64))


def perplexity(model, chunks: torch.Tensor, last: int, *, all_tokens: bool = True) -> dict:
    """Perplexity over all predicted tokens and over the last ``last`` tokens of each chunk (every predicted
    token when ``last`` is the window's length), with the per-chunk mean NLLs for paired comparisons.

    With ``all_tokens=False`` only the last ``last`` tokens are scored (``ppl_last`` and ``nll_last_chunks``;
    no logits computed for the rest); they are the same numbers either way.
    """
    every, tail = _scored_nll(model, chunks, None, min(last, chunks.shape[1] - 1), whole=all_tokens)
    per_last = tail.mean(1).numpy()
    out = {"ppl_last": float(np.exp(per_last.mean())), "nll_last_chunks": per_last}
    if all_tokens:
        per_all = every.mean(1).numpy()
        out.update({"ppl_all": float(np.exp(per_all.mean())), "nll_all_chunks": per_all})
    return out


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
def passkey_scores(
    model,
    data: Data,
    length: int,
    depths,
    trials: int,
    seed: int = 0,
    source=None,
    *,
    per_trial: bool = False,
    template: PasskeyTemplate = TRAINING_TEMPLATE,
    batch_size: int | None = None,
):
    """Exact-match and per-digit accuracy of the pass key, by depth.

    One teacher-forced pass: the key is exactly right under greedy decoding iff every one of
    its tokens is the argmax given the correct ones before it, so exact match here equals
    greedy exact match; per-digit accuracy is the graded measure.

    ``template`` sets the wording and key format (``tasks.passkey.TEMPLATES``); trials are scored
    ``batch_size`` at a time (default ``batch_for(length)``). With ``per_trial=True`` returns
    ``(rows, trial_rows)``: the same by-depth rows (same draws, same
    numbers) and one row per trial — ``unit`` (a running index over depths × trials, the same key and
    text for every model scored at this length and seed), ``depth``, ``exact`` (0/1) and ``per_digit``.
    """
    rng = np.random.default_rng(seed)
    device = next(model.parameters()).device
    batch_size = batch_size or batch_for(length)
    rows, trial_rows = [], []
    for depth in depths:
        seqs, answers = [], None
        for _ in range(trials):
            ids, ans = passkey_example(data, length, depth, rng, source=source, template=template)
            seqs.append(ids)
            answers = ans
        x = torch.tensor(seqs)
        pred = torch.cat(
            [
                answer_argmax(model, x[i : i + batch_size].to(device), answers).cpu()
                for i in range(0, trials, batch_size)
            ]
        )
        truth = x[:, answers]
        correct = pred == truth
        rows.append(
            {
                "length": length,
                "depth": depth,
                "exact": correct.all(1).float().mean().item(),
                "per_digit": correct.float().mean().item(),
                "trials": trials,
            }
        )
        for exact, digits in zip(correct.all(1).tolist(), correct.float().mean(1).tolist()):
            trial_rows.append(
                {"length": length, "depth": depth, "unit": len(trial_rows), "exact": int(exact), "per_digit": digits}
            )
    return (rows, trial_rows) if per_trial else rows


def passkey_trials(model, data: Data, length: int, task: PasskeyTask, *, seed: int = 0):
    """``task`` scored at ``length``: (by-depth rows, one row per trial), as ``passkey_scores(per_trial=True)``."""
    return passkey_scores(
        model,
        data,
        length,
        task.depths,
        task.trials,
        seed=seed,
        source=task.stream(data),
        per_trial=True,
        template=task.template,
    )


@torch.inference_mode()
def copy_exact(
    model, vocab_size: int, length: int, trials: int, seed: int = 0, *, answer: int = 8, batch_size: int | None = None
) -> list[int]:
    """Copying across half the window, in the format of the copy sequences the model was trained on
    (``tasks.copying.copy_sequence``: random tokens, then the same tokens again): one 0/1 per trial, 1 when the model's
    argmax (teacher forcing) gives every one of the last ``answer`` tokens, each a copy of the token
    ``length // 2`` positions back."""
    CopyTask(answer).check(length)
    rng = np.random.default_rng(seed)
    x = torch.tensor(np.stack([copy_sequence(vocab_size, length, rng)[0] for _ in range(trials)]).astype(np.int64))
    sl = slice(length - answer, length)
    device = next(model.parameters()).device
    batch_size = batch_size or batch_for(length)
    pred = torch.cat(
        [answer_argmax(model, x[i : i + batch_size].to(device), sl).cpu() for i in range(0, trials, batch_size)]
    )
    return (pred == x[:, sl]).all(1).int().tolist()


@torch.inference_mode()
def repeat_losses(
    model, data: Data, length: int, distances, span: int = 24, trials: int = 8, seed: int = 0, source=None
) -> list[dict]:
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
        copy = nll[:, sl.start : sl.stop - 1]
        rows.append({"length": length, "distance": distance, "copy_loss": copy.mean().item()})
    return rows


def effective_length(
    lengths, values, reference: float, tolerance: float, *, higher_is_better: bool = False, contiguous: bool = False
):
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
