"""The one training loop, run through accelerate: on one process it is the plain PyTorch loop, bit for bit."""

import dataclasses

import numpy as np
import pytest
import torch

from lcreport.models import llama, training
from lcreport.profiles import PROFILES

SPEC = dataclasses.replace(PROFILES["smoke"].llama, steps=4, warmup=2)


def random_batches(seed=0, n=4):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randint(0, SPEC.vocab_size, (4, 32), generator=g), torch.rand(4, 32, generator=g)) for _ in range(n)]


def plain_loop(model, batches, lr=3e-3, warmup=2):
    """The textbook loop the accelerate version must reproduce on one process."""
    from transformers import get_cosine_schedule_with_warmup

    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    schedule = get_cosine_schedule_with_warmup(opt, num_warmup_steps=warmup, num_training_steps=len(batches))
    model.train()
    for ids, w in batches:
        loss = llama.lm_loss(model, ids, w)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        schedule.step()
    return model


def test_one_process_equals_the_plain_loop_bit_for_bit():
    batches = random_batches()
    ours, history = training.optimise(
        llama.build_model(SPEC),
        lambda step: batches[step],
        steps=len(batches),
        lr=3e-3,
        warmup=2,
        device=torch.device("cpu"),
        log_every=1,
    )
    reference = plain_loop(llama.build_model(SPEC), batches)
    for (name, a), (_, b) in zip(ours.state_dict().items(), reference.state_dict().items()):
        assert torch.equal(a, b), name
    assert [h["step"] for h in history] == [0, 1, 2, 3] and history[0]["lr"] == 0.0  # warm-up starts at 0


def test_gradient_accumulation_changes_the_steps_not_the_data():
    batches = random_batches(1)
    one, h1 = training.optimise(
        llama.build_model(SPEC),
        lambda s: batches[s],
        steps=4,
        lr=3e-3,
        warmup=2,
        device=torch.device("cpu"),
        log_every=1,
    )
    two, h2 = training.optimise(
        llama.build_model(SPEC),
        lambda s: batches[s],
        steps=4,
        lr=3e-3,
        warmup=2,
        device=torch.device("cpu"),
        log_every=1,
        accumulation=2,
    )
    diffs = [(a - b).abs().max().item() for a, b in zip(one.state_dict().values(), two.state_dict().values())]
    assert max(diffs) < 5e-2  # same data in two halves: close, not identical (weights per half differ)
    assert np.isfinite([h["loss"] for h in h2]).all()


def test_typical_minutes_ignore_a_stall():
    """Logged every 25 steps at 1 s a step, with one stretch ten times slower: the wall time counts the
    stall, the median rate does not."""
    from lcreport.models.training import typical_minutes

    seconds, history = 0.0, []
    for i, step in enumerate(range(0, 200, 25)):
        history.append({"step": step, "seconds": seconds})
        seconds += 25 * (10.0 if i == 3 else 1.0)
    history.append({"step": 199, "seconds": history[-1]["seconds"] + 24})
    assert history[-1]["seconds"] / 60 > 5.0
    assert typical_minutes(history) == pytest.approx(200 / 60)
    assert typical_minutes(history[:1]) == pytest.approx(0.0)


def test_bf16_trains_under_autocast_and_returns_an_fp32_model_with_its_own_attention():
    batches = random_batches(2)
    kwargs = dict(steps=4, lr=3e-3, warmup=2, device=torch.device("cpu"), log_every=1)
    fp32, h32 = training.optimise(llama.build_model(SPEC), lambda s: batches[s], **kwargs)
    bf16, h16 = training.optimise(llama.build_model(SPEC), lambda s: batches[s], precision="bf16", **kwargs)
    assert all(p.dtype == torch.float32 for p in bf16.parameters())  # master weights stay fp32
    assert bf16.config._attn_implementation == fp32.config._attn_implementation  # the training kernel is undone
    with torch.no_grad():
        assert bf16(input_ids=batches[0][0][:1]).logits.dtype == torch.float32  # no autocast left on the model
    losses32, losses16 = np.array([h["loss"] for h in h32]), np.array([h["loss"] for h in h16])
    assert not np.array_equal(losses32, losses16)  # autocast did act
    assert np.allclose(losses32, losses16, rtol=2e-2)  # and only at bf16's precision


def test_an_unknown_precision_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="fp32, bf16"):
        dataclasses.replace(SPEC, precision="fp16")
    with pytest.raises(ValueError, match="fix the profile"):
        training.optimise(
            llama.build_model(SPEC), lambda s: random_batches()[s], steps=1, lr=1e-3, warmup=1,
            device=torch.device("cpu"), precision="half",
        )  # fmt: skip
