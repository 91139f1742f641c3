"""LongRoPE's n̂ as the reference code does it (chapter 04, section 8): a start token, and the original RoPE
on the first n̂ positions.

The paper keeps the first n̂ positions un-interpolated so that the initial tokens, which draw a large share
of attention, keep the positions the model knows. The reference code (microsoft/LongRoPE) evaluates with a
start token prepended to every window and gives positions below n̂ the original model's cos and sin (no
attention scale); ``extension.install_start_positions`` does the same. A model trained without a start token
has no fixed first token for n̂ to protect, so the sweep runs on two base models that differ only in that:
the chapter's base model, and one trained from the same seed with a start token at the head of every
training sequence (``LlamaSpec.bos``); each is read the way it was trained (the start-token model with the
start token in place of each window's first token, so the scored text is the same for both).

The factors are YaRN's at LongRoPE's attention temperature (the best starting point of the search, the same
for both models), so n̂ is the only thing that changes within a model. n̂ is chosen on the validation split;
every n̂ is compared with n̂ = 0 on the held-out windows (paired bootstrap).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ... import stats
from ...longrope import evaluation as ev
from ...longrope.extension import extended_model
from ...models import rope as rp
from ...models.lm_data import start_windows
from ...profiles import Profile
from ..base_model import BaseModel, trained_base
from ..sections import Section, nll_rows
from .no_finetuning import evaluation_chunks, validation_chunks

#: the two base models of the sweep: label → tag used in figure and comparison ids
MODELS = {"no start token": "nostart", "start token": "start"}


def start_token_base(P: Profile, device) -> BaseModel:
    """The chapter's base model recipe, trained with a start token at the head of every sequence."""
    return trained_base(replace(P.llama, bos=True), device)


def reading(base: BaseModel):
    """How ``base`` reads a window: with the start token first if it was trained so, else as it is."""
    if base.spec.bos:
        return lambda chunks: start_windows(chunks, base.data.start_id)
    return lambda chunks: chunks


def chosen_text(comparisons: list[dict], chosen: int) -> str:
    """The n̂ chosen on validation against n̂ = 0 on the held-out windows, in words (n̂ = 0 has no comparison)."""
    if chosen == 0:
        return "that is, no position kept at the original RoPE"
    c = next(c for c in comparisons if c["id"].endswith(f"_{chosen}_vs_0"))
    lo, hi = c["ci95"]
    return (
        f"whose held-out NLL is {stats.relation(c)} that of n̂ = 0 (difference {c['diff']:+.4f} nats per token, "
        f"95% interval {lo:+.4f} to {hi:+.4f}, {c['n']} windows)"
    )


def check_sweep(values, train_length: int) -> tuple[int, ...]:
    """The n̂ values of a sweep: 0 (the reference arm) and at least one more, each below L."""
    values = tuple(int(v) for v in values)
    if 0 not in values or len(set(values)) < 2:
        raise ValueError(f"an n̂ sweep needs 0 and at least one other value; got {values} (set Profile.nhat_values)")
    if any(v < 0 or v >= train_length for v in values):
        raise ValueError(f"n̂ values must lie in [0, L = {train_length}); got {values}")
    return tuple(sorted(set(values)))


def nhat_sweep(base: BaseModel, start_base: BaseModel, P: Profile, *, seed: int) -> Section:
    """Each base model × each n̂ of ``P.nhat_values`` at the top scale: perplexity of the last L tokens on
    the held-out windows (the same scored text for both models) and on the validation split; every n̂ against
    n̂ = 0 (comparison ``nhat_<tag>_<n̂>_vs_0``, one 95% test each, uncorrected for their number), and the n̂
    chosen on validation."""
    values = check_sweep(P.nhat_values, base.L)
    top, L = max(P.scales), base.L
    n = int(top * L)
    dim = base.spec.hidden // base.spec.heads
    factors = rp.FACTOR_FUNCTIONS["yarn"](top, dim, base.spec.rope_theta, L)
    rows, trials, comparisons, figures = [], [], [], {"nhat_sweep_values": list(values)}
    for b, (label, tag) in zip((base, start_base), MODELS.items()):
        read = reading(b)
        held, val = read(evaluation_chunks(b, n, P, seed)), read(validation_chunks(b, n))
        held_nll, val_ppl = {}, {}
        for nh in values:
            m = extended_model(b.state, b.spec, "longrope", top, long_factor=factors, n_hat=nh, device=b.device)
            held_nll[nh] = np.asarray(ev.perplexity(m, held, L, all_tokens=False)["nll_last_chunks"])
            val_ppl[nh] = ev.perplexity(m, val, L, all_tokens=False)["ppl_last"]
            trials += nll_rows(held_nll[nh], "nhat", f"{label}, n̂ = {nh}", top, seed, n)
        chosen = min(values, key=val_ppl.get)
        for nh in values:
            c = None
            if nh:
                c = stats.paired_record(
                    held_nll[0],
                    held_nll[nh],
                    f"nhat_{tag}_{nh}_vs_0",
                    "nhat",
                    top,
                    f"{label}, n̂ = 0",
                    f"{label}, n̂ = {nh}",
                    seed=seed,
                )
                comparisons.append(c)
            # the choice is made on differences far below the perplexity's printed precision: show them
            rows.append(
                {
                    "base model": label,
                    "n̂": nh,
                    "validation ppl": val_ppl[nh],
                    "validation NLL − n̂ = 0": float(np.log(val_ppl[nh]) - np.log(val_ppl[0])),
                    "held-out ppl": float(np.exp(held_nll[nh].mean())),
                    "NLL − n̂ = 0": 0.0 if c is None else c["diff"],
                    "95% CI": None if c is None else tuple(c["ci95"]),
                    "chosen on validation": "✓" if nh == chosen else "",
                }
            )
        own = [c for c in comparisons if c["id"].startswith(f"nhat_{tag}_")]
        figures.update(
            {
                f"nhat_{tag}_chosen": chosen,
                f"nhat_{tag}_chosen_text": chosen_text(own, chosen),
                f"nhat_{tag}_better": sum(stats.excludes_zero(c) and c["diff"] < 0 for c in own),
                f"nhat_{tag}_worse": sum(stats.excludes_zero(c) and c["diff"] > 0 for c in own),
                f"nhat_{tag}_ppl_zero": float(np.exp(held_nll[0].mean())),
            }
        )
        # the model at its own length, plain RoPE, read its own way: the two recipes' starting point
        figures[f"nhat_{tag}_ppl_at_L"] = ev.perplexity(
            b.model, read(evaluation_chunks(b, L, P, seed)), L, all_tokens=False
        )["ppl_last"]
    figures["nhat_comparisons"] = len(comparisons)
    figures["nhat_tests_per_model"] = len(values) - 1
    figures["nhat_heldout_windows"] = int(len(held_nll[0]))
    figures["nhat_start_model_from_cache"] = "loaded from the cache" if start_base.from_cache else "trained in this run"
    table = pd.DataFrame(rows).set_index(["base model", "n̂"])
    return Section(table, figures, trials, comparisons)
