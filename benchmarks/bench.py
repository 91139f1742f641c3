"""How fast this machine runs the book's work, against its own ceiling: ``make bench`` (not part of ``make test``).

In one process, each figure the median of ``--repeats`` (at least 3) repeats:

- the machine's matmul rate (1,024² operands) in fp32 and bf16: the ceiling every rate below is set against;
- training tokens per second of the cpu profile's base model (chapter 04) through the book's training loop, fp32
  against bf16 autocast, and bf16 with the fused ``sdpa`` kernel (which the loop does not use on a CPU: the figures
  say why); and bf16 through ``torch.compile`` in a bare loop (no accelerate, no gradient clipping), with the
  seconds its first step spends compiling and the steps after which it pays that back: the loop does not compile;
- the share of the bf16 ceiling that bf16 training reaches by 6·N·T (N the model's parameters, the tied output
  layer counted once, since the input lookup costs no multiply; attention scores left out);
- evaluation windows per second (fp32, as every reported score) at L and at 4·L;
- the LongRoPE search's fitness evaluations per second;
- quality: each base seed's held-out loss trained in fp32 and in bf16 (same seed, so same initial weights and data
  order: paired), from the model cache when present, else trained now (about 10 minutes per fp32 model and 6 per
  bf16 model on two cores), with each model's pass-key retrieval at L beside it.

Writes ``results/bench.json`` (``figures``, each with its n of repeats; ``targets``; ``provenance``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lcreport.device import resolve_device  # noqa: E402
from lcreport.models import llama, training  # noqa: E402
from lcreport.profiles import PROFILES, SearchSettings  # noqa: E402

#: the targets the training speed is held to (bf16 against fp32, and against the bf16 matmul ceiling)
TARGET_SPEEDUP, TARGET_SHARE = 1.6, 0.5
#: the search timed: scale 2, a small population, one generation of children
BENCH_SEARCH = SearchSettings(population=12, generations=1, mutations=4, crossovers=4, samples=2)


def median_of(values) -> dict:
    values = [float(v) for v in values]
    return {"value": statistics.median(values), "n": len(values), "repeats": values}


def matmul_gflops(dtype, size: int = 1024, calls: int = 20) -> float:
    """One repeat: the rate of ``calls`` products of two ``size``² matrices (after two untimed ones)."""
    a, b = torch.randn(size, size).to(dtype), torch.randn(size, size).to(dtype)
    for _ in range(2):
        a @ b
    t0 = time.perf_counter()
    for _ in range(calls):
        a @ b
    return 2 * size**3 * calls / (time.perf_counter() - t0) / 1e9


def train_tokens_per_s(spec, precision: str, *, steps: int = 10, skip: int = 2, attention: str | None = None) -> float:
    """One repeat: tokens per second of ``training.optimise`` on random batches of the spec's shape, at the median
    step time after ``skip`` untimed steps. ``attention`` overrides the kernel used while training in bf16."""
    g = torch.Generator().manual_seed(0)
    shape = (spec.batch_size, spec.train_length)
    batches = [(torch.randint(0, spec.vocab_size, shape, generator=g), torch.ones(shape)) for _ in range(steps)]
    kept = training.CPU_BF16_TRAIN_ATTENTION
    if attention:
        training.CPU_BF16_TRAIN_ATTENTION = attention
    try:
        _, history = training.optimise(
            llama.build_model(spec),
            lambda s: batches[s],
            steps=steps,
            lr=spec.lr,
            warmup=1,
            device=torch.device("cpu"),
            log_every=1,
            precision=precision,
        )
    finally:
        training.CPU_BF16_TRAIN_ATTENTION = kept
    seconds = np.diff([h["seconds"] for h in history])[skip - 1 :]
    return spec.batch_size * spec.train_length / float(np.median(seconds))


def compiled_training(spec, *, steps: int = 8) -> dict:
    """bf16 training steps through ``torch.compile`` (eager attention, as the loop trains): the first step's seconds
    (compilation) and tokens per second after it."""
    model = llama.build_model(spec).train()
    model.set_attn_implementation(training.CPU_BF16_TRAIN_ATTENTION)
    opt = torch.optim.AdamW(model.parameters(), lr=spec.lr)
    ids = torch.randint(0, spec.vocab_size, (spec.batch_size, spec.train_length))
    loss_of = torch.compile(lambda x: llama.lm_loss(model, x))
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        with training.autocast_for(torch.device("cpu"), "bf16"):
            loss = loss_of(ids)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t0)
    return {
        "compile_seconds": times[0],
        "tokens_per_s": spec.batch_size * spec.train_length / float(np.median(times[2:])),
    }


def eval_windows_per_s(spec, length: int, windows: int = 64) -> float:
    """One repeat: windows of ``length`` tokens scored per second (fp32 perplexity of every token, batched as the
    chapters score)."""
    from lcreport.longrope.evaluation import perplexity

    model = llama.build_model(spec, max_positions=length)
    ids = torch.randint(0, spec.vocab_size, (windows, length), generator=torch.Generator().manual_seed(1))
    perplexity(model, ids[:4], length)  # untimed: first-call overheads
    t0 = time.perf_counter()
    perplexity(model, ids, length)
    return windows / (time.perf_counter() - t0)


def search_evals_per_s(spec, data, seed: int) -> float:
    """One repeat: fitness evaluations per second of the LongRoPE search at scale 2 (fp32, never from the cache)."""
    from lcreport.longrope.search import search

    state = llama.build_model(spec).state_dict()
    t0 = time.perf_counter()
    result = search(state, spec, data, 2, BENCH_SEARCH, seed=seed, use_cache=False)
    return result.evaluations / (time.perf_counter() - t0)


def heldout_loss(model, data, spec, windows: int) -> float:
    """Mean NLL per token of ``windows`` held-out windows of L tokens (fp32), the chapters' evaluation books."""
    from lcreport.longrope.evaluation import eval_chunks, token_nll

    return float(token_nll(model, eval_chunks(data.heldout, spec.train_length, windows)).mean())


def passkey_at_L(model, data, spec, profile) -> tuple[float, int]:
    """(share of pass keys recovered whole at L with the training template, prompts): chapter 04's retrieval bar."""
    from lcreport.longrope.evaluation import passkey_trials
    from lcreport.tasks.passkey import PasskeyTask

    rows, _ = passkey_trials(model, data, spec.train_length, PasskeyTask.of_profile(profile), seed=0)
    return float(np.mean([r["exact"] for r in rows])), int(sum(r["trials"] for r in rows))


def quality(profile, data, device) -> dict:
    """Per base seed, the held-out loss of the model trained in fp32 and in bf16 (from the cache, or trained now), and
    its pass-key retrieval at L (a fragile outcome of training, shown beside the loss: not part of the target)."""
    from lcreport.models.checkpoints import trained_model

    rows = []
    for seed in profile.base_seeds:
        row = {"seed": seed}
        for precision in ("fp32", "bf16"):
            spec = replace(profile.llama, seed=seed, precision=precision)
            model, history, cached = trained_model(spec, data, device, log=lambda *a: None)
            row[f"loss_{precision}"] = heldout_loss(model, data, spec, profile.eval_chunks)
            row[f"passkey_exact_at_L_{precision}"], row["passkey_prompts"] = passkey_at_L(model, data, spec, profile)
            row[f"from_cache_{precision}"] = bool(cached)
            row[f"train_minutes_{precision}"] = training.typical_minutes(history)
        rows.append(row)
    fp32 = [r["loss_fp32"] for r in rows]
    bf16 = [r["loss_bf16"] for r in rows]
    return {
        "seeds": rows,
        "windows": profile.eval_chunks,
        "fp32_range": [min(fp32), max(fp32)],
        "bf16_mean": float(np.mean(bf16)),
        "paired_mean_difference": float(np.mean(np.subtract(bf16, fp32))),
        "within_fp32_spread": bool(min(fp32) <= np.mean(bf16) <= max(fp32)),
    }


def machine_name() -> str:
    from lcreport.results import machine_description

    return machine_description(torch.device("cpu"))


def run(repeats: int, with_quality: bool, profile_name: str = "cpu") -> dict:
    if repeats < 3:
        raise SystemExit(f"--repeats {repeats}: the benchmark reports medians of at least 3 repeats")
    torch.manual_seed(0)
    P = PROFILES[profile_name]
    spec = P.llama
    say = lambda *a: print("[bench]", *a, flush=True)  # noqa: E731
    f = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        f[f"matmul_gflops_{name}"] = median_of(matmul_gflops(dtype) for _ in range(repeats))
        say(f"matmul {name}: {f[f'matmul_gflops_{name}']['value']:.0f} GFLOP/s")
    arms = {"fp32": ("fp32", "sdpa"), "bf16": ("bf16", None), "bf16_sdpa": ("bf16", "sdpa")}
    for arm, (precision, attention) in arms.items():
        f[f"train_tokens_per_s_{arm}"] = median_of(
            train_tokens_per_s(spec, precision, attention=attention) for _ in range(repeats)
        )
        say(f"training {arm}: {f[f'train_tokens_per_s_{arm}']['value']:.0f} tokens/s")
    n_params = sum(p.numel() for p in llama.build_model(spec).parameters())
    t32, t16 = f["train_tokens_per_s_fp32"]["value"], f["train_tokens_per_s_bf16"]["value"]
    ceiling16, ceiling32 = f["matmul_gflops_bf16"]["value"], f["matmul_gflops_fp32"]["value"]
    f["model_parameters"] = {"value": n_params, "n": 1}
    f["train_speedup_bf16"] = {"value": t16 / t32, "n": repeats}
    f["train_share_of_ceiling_bf16"] = {"value": 6 * n_params * t16 / 1e9 / ceiling16, "n": repeats}
    f["train_share_of_ceiling_fp32"] = {"value": 6 * n_params * t32 / 1e9 / ceiling32, "n": repeats}
    compiled = [compiled_training(spec) for _ in range(repeats)]
    f["train_tokens_per_s_bf16_compiled"] = median_of(c["tokens_per_s"] for c in compiled)
    # the first repeat compiles from scratch; later ones reuse the process's (and inductor's on-disk) caches, so the
    # cost a fresh training run pays once is the first repeat's
    f["compile_seconds"] = {
        "value": compiled[0]["compile_seconds"],
        "n": 1,
        "later_repeats": [c["compile_seconds"] for c in compiled[1:]],
    }
    step_eager = spec.batch_size * spec.train_length / t16
    step_compiled = spec.batch_size * spec.train_length / f["train_tokens_per_s_bf16_compiled"]["value"]
    saved = step_eager - step_compiled
    f["compile_pays_back_after_steps"] = {
        "value": f["compile_seconds"]["value"] / saved if saved > 0 else None,
        "n": 1,
        "base_model_steps": spec.steps,
    }
    say(f"compiled bf16: {f['train_tokens_per_s_bf16_compiled']['value']:.0f} tokens/s")
    L = spec.train_length
    f["eval_windows_per_s"] = median_of(eval_windows_per_s(spec, L) for _ in range(repeats))
    f["eval_windows_per_s"]["length"] = L
    f["eval_windows_per_s_4L"] = median_of(eval_windows_per_s(spec, 4 * L, 16) for _ in range(repeats))
    f["eval_windows_per_s_4L"]["length"] = 4 * L
    from lcreport.models.lm_data import Data

    data = Data(spec)
    f["search_evals_per_s"] = median_of(search_evals_per_s(spec, data, seed) for seed in range(repeats))
    say(f"search: {f['search_evals_per_s']['value']:.2f} evaluations/s")
    for key in ("eval_windows_per_s", "eval_windows_per_s_4L"):
        f[key]["tokens_per_s"] = f[key]["value"] * f[key]["length"]
    out = {"figures": f}
    if with_quality:
        say("quality: held-out loss per base seed, fp32 and bf16 (trained now unless cached)")
        out["quality"] = quality(P, data, resolve_device("cpu"))
    speedup, share = f["train_speedup_bf16"]["value"], f["train_share_of_ceiling_bf16"]["value"]
    out["targets"] = {
        "train_speedup_bf16": {"target": TARGET_SPEEDUP, "value": speedup, "met": speedup >= TARGET_SPEEDUP},
        "train_share_of_ceiling_bf16": {"target": TARGET_SHARE, "value": share, "met": share >= TARGET_SHARE},
    }
    if with_quality:
        q = out["quality"]
        out["targets"]["bf16_loss_within_fp32_spread"] = {
            "target": "the bf16 seeds' mean held-out loss within the fp32 seeds' range",
            "value": q["bf16_mean"],
            "met": q["within_fp32_spread"],
        }
    import transformers

    out["provenance"] = {
        "processor": machine_name(),
        "profile": profile_name,
        "torch_threads": torch.get_num_threads(),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "repeats": repeats,
    }
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "results" / "bench.json"))
    parser.add_argument("--no-quality", action="store_true", help="skip the fp32/bf16 held-out loss of the base seeds")
    args = parser.parse_args(argv)
    out = run(args.repeats, not args.no_quality)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    for name, t in out["targets"].items():
        print(f"[bench] {name}: {t['value']:.3g} (target {t['target']}): {'met' if t['met'] else 'MISSED'}")
    print(f"[bench] wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
