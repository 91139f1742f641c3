"""Training the small Llama: one loop (AdamW, transformers' warm-up + cosine schedule), pre-training
from scratch at L and fine-tuning at a longer length. ``optimise`` is the only loop in the project.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np
import torch
from tqdm import tqdm

from ..profiles import LlamaSpec, check_precision
from .llama import build_model, lm_loss
from .lm_data import Data, copy_batch, text_batch, training_batch

#: the attention kernel a CPU uses while it trains in bf16: transformers' eager attention (softmax in fp32)
#: trains 1.25x faster than the fused CPU kernel of ``sdpa`` under bf16 autocast, whose backward dominates a
#: step at these sizes (``make bench`` measures both); evaluation keeps the model's own kernel
CPU_BF16_TRAIN_ATTENTION = "eager"


def accelerator_for(device, gradient_accumulation_steps: int = 1):
    """The ``accelerate.Accelerator`` of this process, always without accelerate's own mixed precision: its setting
    is fixed once per process, and one process (the benchmark, the tests) trains in both precisions, so the loop
    applies the autocast itself (``autocast_for``). Under ``accelerate launch`` or ``torchrun`` it picks up the
    process group (DDP); alone it is a plain single process."""
    from accelerate import Accelerator

    return Accelerator(cpu=device.type == "cpu", gradient_accumulation_steps=gradient_accumulation_steps)


def autocast_for(device, precision: str):
    """``precision`` "bf16": autocast to bfloat16 on ``device`` (CPU or GPU) over fp32 master weights; a CPU without
    native bf16 instructions emulates it and trains slower (``make bench`` shows the rates). "fp32": no autocast."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=check_precision(precision) == "bf16")


@contextmanager
def training_attention(model, device, precision: str):
    """While training in bf16 on a CPU, ``model`` uses ``CPU_BF16_TRAIN_ATTENTION``; its own kernel comes back after."""
    attention = model.config._attn_implementation
    if precision == "bf16" and torch.device(device).type == "cpu":
        model.set_attn_implementation(CPU_BF16_TRAIN_ATTENTION)
    try:
        yield model
    finally:
        model.set_attn_implementation(attention)


def optimise(
    model,
    batch,
    *,
    steps: int,
    lr: float,
    warmup: int,
    device,
    desc: str = "training",
    log_every: int = 25,
    tokens_per_step: int = 0,
    accumulation: int = 1,
    precision: str = "fp32",
):
    """The training loop: AdamW, linear warm-up then cosine decay (transformers' schedule), run through
    ``accelerate``; ``batch(step)`` → (ids, weights) of the whole (global) batch.

    With N processes every process draws the same global batch (same generator) and trains on its
    rows ``rank::N``, so the data seen is the same as with one process; DDP averages the gradients.
    ``accumulation`` > 1 splits each process's rows into that many micro-batches (gradient accumulation).
    One process gives the same weights, bit for bit, as the plain loop (a unit test checks).
    ``precision`` "bf16" runs the forward pass under bf16 autocast (the backward follows its dtypes); the weights
    and the optimiser state stay fp32, so the returned model, with its own attention kernel back, evaluates in fp32.
    """
    with training_attention(model, device, precision):
        return _optimise(
            model, batch, steps, lr, warmup, device, desc, log_every, tokens_per_step, accumulation, precision
        )


def _optimise(model, batch, steps, lr, warmup, device, desc, log_every, tokens_per_step, accumulation, precision):
    from transformers import get_cosine_schedule_with_warmup

    acc = accelerator_for(device, accumulation)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    # the schedule is stepped once per optimiser step, by hand: accelerate's wrapper would step it once
    # per process, and every process here sees a share of one global batch
    schedule = get_cosine_schedule_with_warmup(opt, num_warmup_steps=warmup, num_training_steps=steps)
    model, opt = acc.prepare(model.to(acc.device).train(), opt)
    rank, world = acc.process_index, acc.num_processes
    history, t0 = [], time.time()
    bar = tqdm(range(steps), desc=desc, mininterval=10, disable=not acc.is_main_process)
    for step in bar:
        rate = schedule.get_last_lr()[0]
        ids, weights = batch(step)
        ids, weights = ids[rank::world].to(acc.device), weights[rank::world].to(acc.device)
        for part in range(accumulation):
            with acc.accumulate(model):
                with autocast_for(acc.device, precision):
                    loss = lm_loss(model, ids[part::accumulation], weights[part::accumulation])
                acc.backward(loss)
                if acc.sync_gradients:
                    acc.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                opt.zero_grad(set_to_none=True)
        schedule.step()
        if step % log_every == 0 or step == steps - 1:
            mean_loss = acc.reduce(loss.detach(), reduction="mean").item()
            history.append(
                {
                    "step": step,
                    "loss": mean_loss,
                    "lr": rate,
                    "seconds": time.time() - t0,
                    "tokens": (step + 1) * tokens_per_step,
                }
            )
            bar.set_postfix(loss=f"{mean_loss:.3f}")
    return acc.unwrap_model(model).eval(), history


def typical_minutes(history) -> float:
    """Training minutes at the median rate between logged steps: the time the run takes on an unloaded
    machine, where the wall time (the last entry's ``seconds``) also counts stalls while the machine was
    busy with other work. Falls back to the wall time with fewer than two logged steps."""
    steps = np.array([h["step"] for h in history], dtype=float)
    seconds = np.array([h["seconds"] for h in history], dtype=float)
    if len(steps) < 2:
        return float(seconds[-1] / 60) if len(seconds) else 0.0
    rate = np.median(np.diff(seconds) / np.diff(steps))
    return float(rate * (steps[-1] + 1) / 60)


def train(spec: LlamaSpec, data: Data, device, *, log_every: int = 25):
    """Pre-training from scratch at L: a copy warm-up, then the three-way data mix. Returns (model, history)."""
    rng = np.random.default_rng(spec.seed)

    def batch(step):
        if step < spec.copy_warmup_steps:
            return copy_batch(spec, rng, data.start_id)
        return training_batch(data, spec, rng, progress=step / spec.steps)

    return optimise(
        build_model(spec),
        batch,
        steps=spec.steps,
        lr=spec.lr,
        warmup=spec.warmup,
        device=device,
        log_every=log_every,
        tokens_per_step=spec.batch_size * spec.train_length,
        precision=spec.precision,
    )


def fine_tune(
    model,
    data: Data,
    *,
    length: int,
    steps: int,
    batch_size: int,
    lr: float,
    device,
    seed: int = 0,
    spec: LlamaSpec | None = None,
    desc: str = "fine-tuning",
    precision: str = "fp32",
):
    """Continue training ``model`` (already configured with its RoPE extension) at ``length``.

    The short fine-tune of PI (Chen et al. 2023, §3: 1,000 steps) and LongRoPE (Ding et al. 2024,
    §4: 400 steps at 128k, 600 at 256k), at this study's scale. With ``spec`` the batches are the
    pre-training mix (book text, pass keys, repeated spans) at the new length, so the skills measured
    afterwards are the ones the model was trained on; without it, book text only. Returns (model, history).
    """
    rng = np.random.default_rng(seed)
    if spec is None:

        def batch(step):
            return text_batch(data.train, batch_size, length, rng)
    else:

        def batch(step):
            return training_batch(data, spec, rng, length=length, batch_size=batch_size)

    return optimise(
        model,
        batch,
        steps=steps,
        lr=lr,
        warmup=max(1, steps // 10),
        device=device,
        desc=desc,
        log_every=max(1, steps // 20),
        tokens_per_step=batch_size * length,
        precision=precision,
    )
