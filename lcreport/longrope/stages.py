"""LongRoPE part 2: what happens after the search — fine-tuning, progressive extension, short-context
readjustment, the short/long switch during generation, claimed vs effective context, and the small
models of the depth × width experiment. The searches themselves are ``longrope.search``.

Ding et al. 2024 (LongRoPE), §3.3: fine-tune at 256k with searched factors, search again on the
fine-tuned model for 2048k (progressive extension), then re-search short factors at 8k
(readjustment); transformers' ``longrope`` switches between ``short_factor`` and ``long_factor``
at ``original_max_position_embeddings``. Also the small models of the depth × width experiment.

These are the building blocks; the chapter's sections that run them are ``chapters.c05_finetuning``'s
``arms`` (sections 1–2), ``readjustment`` (3–4), ``windows`` (5–7) and ``smollm2`` (8). The effective-window
rule that reads the task scores is ``tasks.effective_window``.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from ..files import content_key
from ..models import checkpoints, llama, training
from ..models.lm_data import Data
from ..profiles import LlamaSpec
from ..stats import wilson
from ..tasks.copying import COPY_TASK
from ..tasks.effective_window import COPY, PASSKEY_TRAIN, PASSKEY_UNSEEN, WINDOW_TASKS
from ..tasks.passkey import HELD_OUT_TEMPLATE, TRAINING_TEMPLATE, PasskeyTask
from . import evaluation as ev
from .extension import extended_model

#: the perplexity window of the depth × width models (section 6): the longest length whose perplexity of the
#: last L₀ tokens stays within 20% of the model's own at L₀
PPL_TOLERANCE = 0.20
#: tokens of the copied answer scored in the copy task
COPY_ANSWER = COPY_TASK.answer


def state_of(model) -> dict:
    """The weights of a model (tied lm_head dropped), detached onto the CPU: a base for re-configuring."""
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items() if k != "lm_head.weight"}


# --- fine-tuning at s·L -------------------------------------------------------------------------------


def fine_tuned(
    base_state,
    spec: LlamaSpec,
    data: Data,
    method: str,
    scale: float,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    device,
    long_factor=None,
    base_key: str,
    seed: int = 0,
    log=print,
):
    """``method`` configured for ``scale``·L and fine-tuned at that length on the pre-training mix; cached.

    ``method="control"`` fine-tunes plain RoPE at L with ``scale``× the batch (the same tokens), so that
    more training is not mistaken for extension. Returns (model, history, from_cache, minutes).
    """
    L = spec.train_length
    if method == "control":

        def build(state):
            return llama.build_model(spec, state).to(device)

        length, batch = L, batch_size * int(round(scale))
    else:

        def build(state):
            return extended_model(state, spec, method, scale, long_factor=long_factor, device=device)

        length, batch = int(round(scale * L)), batch_size
    payload = {
        "base": base_key,
        "method": method,
        "scale": scale,
        "steps": steps,
        "batch": batch,
        "lr": lr,
        "length": length,
        "seed": seed,
        "precision": spec.precision,
        "factors": None if long_factor is None else [round(float(x), 4) for x in long_factor],
    }
    t0 = time.time()

    def make():
        model = build(base_state)
        return training.fine_tune(
            model,
            data,
            length=length,
            steps=steps,
            batch_size=batch,
            lr=lr,
            device=device,
            seed=seed,
            spec=spec,
            desc=f"fine-tuning {method}",
            precision=spec.precision,
        )

    model, history, cached = checkpoints.cached_weights("llama-ft", content_key(payload), data, make, build, log=log)
    return model, history, cached, (time.time() - t0) / 60


# --- evaluation at several lengths ------------------------------------------------------------------------


def evaluate(
    model,
    data: Data,
    spec: LlamaSpec,
    lengths,
    *,
    chunks: int,
    depths,
    trials: int,
    seed: int = 0,
    units: list | None = None,
    key_units: list | None = None,
):
    """Perplexity (all tokens and last L) and pass-key accuracy at each length, on the evaluation books.

    With a list as ``units``, one entry per evaluation window is appended to it (``length``, ``window``,
    ``nll last L``: the window's mean NLL over its last L tokens), for paired comparisons between models
    scored on the same windows; with a list as ``key_units``, one entry per pass-key prompt (``length``,
    ``unit``, ``depth``, ``exact``: 0/1), the same prompts for every model. The returned rows do not change.
    """
    rows = []
    for n in lengths:
        ppl = ev.perplexity(model, ev.eval_chunks(data.heldout, n, chunks, seed), spec.train_length)
        if units is not None:
            units += [{"length": n, "window": i, "nll last L": float(v)} for i, v in enumerate(ppl["nll_last_chunks"])]
        keys, per_trial = ev.passkey_trials(
            model, data, n, PasskeyTask(TRAINING_TEMPLATE, tuple(depths), trials), seed=seed
        )
        if key_units is not None:
            key_units += [{k: t[k] for k in ("length", "unit", "depth", "exact")} for t in per_trial]
        rows.append(
            {
                "length": n,
                "ppl all": ppl["ppl_all"],
                "ppl last L": ppl["ppl_last"],
                "pass key exact": float(np.mean([k["exact"] for k in keys])),
                "pass key digits": float(np.mean([k["per_digit"] for k in keys])),
            }
        )
    return rows


def task_trials(
    model, data: Data, spec: LlamaSpec, length: int, task: str, *, depths, trials: int, seed: int = 0
) -> list[int]:
    """0/1 outcomes of ``task`` (one of ``WINDOW_TASKS``) at ``length``: ``trials`` pass keys at each of ``depths``
    (held-out text), or as many copies; the same prompts for every model at this length and seed."""
    if task == COPY:
        return ev.copy_exact(model, spec.vocab_size, length, trials * len(depths), seed=seed, answer=COPY_ANSWER)
    template = {PASSKEY_TRAIN: TRAINING_TEMPLATE, PASSKEY_UNSEEN: HELD_OUT_TEMPLATE}.get(task)
    if template is None:
        raise ValueError(f"unknown task {task!r}: choose from {', '.join(WINDOW_TASKS)}")
    _, rows = ev.passkey_trials(model, data, length, PasskeyTask(template, tuple(depths), trials), seed=seed)
    return [r["exact"] for r in rows]


def window_scores(
    model, data: Data, spec: LlamaSpec, lengths, tasks, *, depths, trials: int, seed: int = 0, units: list | None = None
) -> list[dict]:
    """Each task at each length: hits, n, the share done exactly and its Wilson 95% interval (``lower``,
    ``upper``). With a list as ``units``, one entry per trial is appended (``length``, ``task``, ``trial``,
    ``exact``)."""
    rows = []
    for n in lengths:
        for task in tasks:
            outcomes = task_trials(model, data, spec, n, task, depths=depths, trials=trials, seed=seed)
            hits = int(sum(outcomes))
            lower, upper = wilson(hits, len(outcomes))
            rows.append(
                {
                    "length": n,
                    "task": task,
                    "hits": hits,
                    "n": len(outcomes),
                    "rate": hits / len(outcomes),
                    "lower": lower,
                    "upper": upper,
                }
            )
            if units is not None:
                units += [{"length": n, "task": task, "trial": i, "exact": int(v)} for i, v in enumerate(outcomes)]
    return rows


# --- the short/long switch during generation ----------------------------------------------------------------


@torch.inference_mode()
def switch_pitfall(model, ids: torch.Tensor, boundary: int) -> dict:
    """Score a continuation that crosses ``original_max_position_embeddings`` two ways.

    *Cached*: prefill ``boundary`` tokens (short factors, since the sequence is still ≤ L), then feed the
    rest one token at a time with the KV cache; the new keys get the long factors, the cached ones keep the
    short ones (the mismatch behind vLLM issue #27414 and the open point of llama.cpp PR #24875).
    *Recomputed*: one forward pass over the whole sequence (every position rotated with the long factors),
    which is what re-prefilling the cache at the switch gives. Returns NLLs of the continuation tokens,
    their agreement, and the times of both.
    """
    device = next(model.parameters()).device
    x = ids.to(device)[None]
    t0 = time.perf_counter()
    full = model(input_ids=x).logits[0, boundary - 1 : -1].float()
    t_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = model(input_ids=x[:, :boundary], use_cache=True)
    cache, logits = out.past_key_values, [out.logits[0, -1].float()]
    for t in range(boundary, x.shape[1] - 1):
        out = model(input_ids=x[:, t : t + 1], past_key_values=cache, use_cache=True)
        cache = out.past_key_values
        logits.append(out.logits[0, -1].float())
    t_cached = time.perf_counter() - t0
    cached = torch.stack(logits)
    target = x[0, boundary:]
    nll_full = F.cross_entropy(full, target, reduction="none")
    nll_cached = F.cross_entropy(cached, target, reduction="none")
    return {
        "ppl recomputed": float(nll_full.mean().exp()),
        "ppl cached": float(nll_cached.mean().exp()),
        "argmax agreement": float((full.argmax(-1) == cached.argmax(-1)).float().mean()),
        "max |Δlogit|": float((full - cached).abs().max()),
        "seconds recomputed": t_full,
        "seconds cached": t_cached,
        "tokens": int(target.numel()),
    }


# --- depth × width, and the train/held-out gap against the window ----------------------------------------------


def small_spec(spec: LlamaSpec, *, layers: int, hidden: int, length: int, steps: int) -> LlamaSpec:
    """A text-only small Llama of the given depth and width, trained at ``length`` (same tokenizer, seed, lr)."""
    heads = max(2, hidden // 32)
    return replace(
        spec,
        layers=layers,
        hidden=hidden,
        heads=heads,
        intermediate=int(hidden * 8 / 3) // 8 * 8,
        train_length=length,
        steps=steps,
        batch_size=max(1, spec.batch_size * spec.train_length // length),
        warmup=max(1, steps // 20),
        passkey_share=0.0,
        repeat_share=0.0,
        answer_loss_weight=0.0,
        copy_warmup_steps=0,
        copy_share=0.0,
    )


def length_profile(model, data: Data, spec: LlamaSpec, multiples, chunks: int, seed: int = 0) -> list[dict]:
    """Plain-RoPE perplexity of the last L tokens at multiples of the model's training length."""
    L = spec.train_length
    rows = []
    for m in multiples:
        ppl = ev.perplexity(model, ev.eval_chunks(data.heldout, m * L, chunks, seed), L)
        rows.append({"multiple of L": m, "length": m * L, "ppl last L": ppl["ppl_last"]})
    return rows


def train_gap(model, data: Data, spec: LlamaSpec, chunks: int, seed: int = 0) -> dict:
    """Perplexity at L on training books vs held-out books, and the gap in nats (log ratio)."""
    L = spec.train_length
    train = ev.perplexity(model, ev.eval_chunks(data.train, L, chunks, seed), L)["ppl_all"]
    held = ev.perplexity(model, ev.eval_chunks(data.heldout, L, chunks, seed), L)["ppl_all"]
    return {"train ppl": train, "held-out ppl": held, "gap (nats)": float(np.log(held / train))}
