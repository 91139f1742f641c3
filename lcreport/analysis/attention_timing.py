"""Measured cost of attention on the machine that runs the notebook.

Two implementations of softmax(QKᵀ/√d)V (Vaswani et al. 2017, Eq. 1):
``naive`` materialises the h×n×n score matrix; ``sdpa`` is
``torch.nn.functional.scaled_dot_product_attention``, which picks a fused,
memory-efficient kernel (FlashAttention-style, Dao et al. 2022) where one exists.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
import torch.utils.benchmark as benchmark
from tqdm import tqdm

from ..device import resolve_device, synchronize
from .complexity import attention_score_flops, attention_value_flops


def naive_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """softmax(QKᵀ/√d)·V with the full score matrix in memory."""
    scores = torch.matmul(q, k.transpose(-2, -1)).mul_(1.0 / math.sqrt(q.shape[-1]))
    return torch.matmul(torch.softmax(scores, dim=-1), v)


def sdpa_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return F.scaled_dot_product_attention(q, k, v)


ATTENTION_IMPLEMENTATIONS = {"naive": naive_attention, "sdpa": sdpa_attention}


def random_qkv(n: int, heads: int, head_dim: int, device, *, dtype=torch.float32, seed: int = 0):
    g = torch.Generator(device="cpu").manual_seed(seed)
    shape = (1, heads, n, head_dim)
    return [torch.randn(shape, generator=g, dtype=dtype).to(device) for _ in range(3)]


def time_call(fn, *, repeats: int, warmup: int, device) -> list[float]:
    """Wall-clock seconds of ``fn()`` over ``repeats`` runs, after ``warmup`` untimed ones.

    Measured with ``torch.utils.benchmark.Timer`` on all of torch's threads (its default is one):
    each sample is one ``Timer.timeit(number=1)``, whose clock waits for the device's kernels.
    ``timeit`` also runs the call twice untimed before each sample (torch's own warm-up), so a
    sample is always of a warm call and one sample costs three calls.
    """
    timer = benchmark.Timer(stmt="fn()", globals={"fn": fn}, timer=_clock(device), num_threads=torch.get_num_threads())
    if warmup:
        timer.timeit(number=warmup)  # untimed: lazy initialisation, the allocator, the caches
    return [timer.timeit(number=1).times[0] for _ in range(repeats)]


def _clock(device):
    """A clock that waits for ``device``'s queued kernels, so it measures work and not its launch."""

    def clock() -> float:
        synchronize(device)
        return time.perf_counter()

    return clock


def attention_flops(n: int, heads: int, head_dim: int) -> int:
    """Matmul FLOPs of one attention call (QKᵀ and AV), from the complexity module."""
    d = heads * head_dim
    return attention_score_flops(n, d) + attention_value_flops(n, d)


def attention_timings(
    lengths,
    *,
    heads: int,
    head_dim: int,
    device="auto",
    repeats: int = 5,
    warmup: int = 1,
    methods=("naive", "sdpa"),
    seed: int = 0,
) -> pd.DataFrame:
    """Time each implementation at each length; one row per (method, n) with median and IQR."""
    device = resolve_device(str(device))
    rows = []
    for n in tqdm(list(lengths), desc="attention timing"):
        q, k, v = random_qkv(n, heads, head_dim, device, seed=seed)
        for method in methods:
            fn = ATTENTION_IMPLEMENTATIONS[method]
            with torch.inference_mode():
                # q, k, v are bound above; ruff reads the `del` at the loop's end as making them undefined here
                t = np.array(time_call(lambda: fn(q, k, v), repeats=repeats, warmup=warmup, device=device))  # noqa: F821
            flops = attention_flops(n, heads, head_dim)
            med = float(np.median(t))
            rows.append(
                {
                    "method": method,
                    "n": n,
                    "median_s": med,
                    "q25_s": float(np.quantile(t, 0.25)),
                    "q75_s": float(np.quantile(t, 0.75)),
                    "repeats": repeats,
                    "flops": flops,
                    "gflop_per_s": flops / med / 1e9,
                    "times_s": [float(x) for x in t],
                }
            )
        del q, k, v
    return pd.DataFrame(rows)


def matmul_flops_per_second(size: int, *, device="auto", repeats: int = 5, warmup: int = 2) -> dict:
    """The machine's dense fp32 matmul throughput: 2·m³ FLOPs per (m×m)·(m×m) product."""
    device = resolve_device(str(device))
    g = torch.Generator(device="cpu").manual_seed(0)
    a = torch.randn(size, size, generator=g).to(device)
    b = torch.randn(size, size, generator=g).to(device)
    with torch.inference_mode():
        t = np.array(time_call(lambda: a @ b, repeats=repeats, warmup=warmup, device=device))
    flops = 2 * size**3
    return {
        "size": size,
        "median_s": float(np.median(t)),
        "gflop_per_s": flops / float(np.median(t)) / 1e9,
        "best_gflop_per_s": flops / float(t.min()) / 1e9,
    }


def interleaved_fractions(
    n: int,
    *,
    heads: int,
    head_dim: int,
    matmul_size: int,
    device="auto",
    rounds: int = 7,
    warmup: int = 1,
    methods=("naive", "sdpa"),
    seed: int = 0,
) -> pd.DataFrame:
    """Each kernel's FLOP rate as a fraction of the dense matmul's, measured interleaved.

    Every round times each attention kernel once, each followed at once by one dense
    (matmul_size)² matmul, so that a kernel and its reference share the machine's state (clock,
    caches, other load); the fraction of a round is the kernel's GFLOP/s over the matmul's in that
    round. One row per (round, method): seconds of both calls, both rates and the fraction, so the
    spread across rounds is reported, not one ratio of two medians taken minutes apart.
    """
    device = resolve_device(str(device))
    q, k, v = random_qkv(n, heads, head_dim, device, seed=seed)
    g = torch.Generator(device="cpu").manual_seed(seed)
    a = torch.randn(matmul_size, matmul_size, generator=g).to(device)
    b = torch.randn(matmul_size, matmul_size, generator=g).to(device)
    kernel_flops, matmul_flops = attention_flops(n, heads, head_dim), 2 * matmul_size**3
    rows = []
    with torch.inference_mode():
        for r in tqdm(range(rounds), desc=f"interleaved timing at n={n}"):
            for method in methods:
                fn = ATTENTION_IMPLEMENTATIONS[method]
                kernel_s = time_call(lambda: fn(q, k, v), repeats=1, warmup=warmup if r == 0 else 0, device=device)[0]
                matmul_s = time_call(lambda: a @ b, repeats=1, warmup=warmup if r == 0 else 0, device=device)[0]
                kernel_rate, matmul_rate = kernel_flops / kernel_s / 1e9, matmul_flops / matmul_s / 1e9
                rows.append(
                    {
                        "round": r,
                        "method": method,
                        "n": n,
                        "kernel_s": kernel_s,
                        "matmul_s": matmul_s,
                        "kernel_gflop_per_s": kernel_rate,
                        "matmul_gflop_per_s": matmul_rate,
                        "fraction_of_matmul": kernel_rate / matmul_rate,
                    }
                )
    return pd.DataFrame(rows)


def spread(values) -> dict:
    """Median and interquartile range of a sample: ``{"value", "q25", "q75", "n"}``."""
    x = np.asarray(list(values), dtype=float)
    return {
        "value": float(np.median(x)),
        "q25": float(np.quantile(x, 0.25)),
        "q75": float(np.quantile(x, 0.75)),
        "n": int(x.size),
    }


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x: the exponent of a power law y ∝ xᵏ."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def slope_interval(n, times, *, level: float = 0.95, resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the log–log slope of the median time against n: the repeats at
    each length are resampled independently (``scipy.stats.bootstrap`` with one sample per length)."""
    from scipy.stats import bootstrap

    samples = tuple(np.asarray(t, float) for t in times)
    if len(samples) < 2 or any(len(t) < 2 for t in samples):
        raise ValueError("a slope interval needs at least two lengths with at least two repeats each")

    def statistic(*ts):
        return loglog_slope(n, [np.median(t) for t in ts])

    res = bootstrap(
        samples,
        statistic,
        vectorized=False,
        confidence_level=level,
        n_resamples=resamples,
        method="percentile",
        random_state=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


# --- peak memory --------------------------------------------------------------------------


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # reported in kB
    raise OSError(f"/proc/self/status has no {field}")


def _reset_peak_rss() -> int:
    """Reset the kernel's resident-set high-water mark (Linux ≥ 4.0) and return the current RSS.

    Without the reset, the peak left behind by ``import torch`` would hide a smaller one.
    """
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_bytes("VmRSS")


def _measure_in_this_process(method: str, n: int, heads: int, head_dim: int, device) -> int:
    q, k, v = random_qkv(n, heads, head_dim, device)
    out_bytes = q.numel() * q.element_size()
    fn = ATTENTION_IMPLEMENTATIONS[method]
    with torch.inference_mode():
        fn(*random_qkv(16, heads, head_dim, device))  # load the kernels before the baseline
        if device.type == "cuda":
            synchronize(device)
            torch.cuda.reset_peak_memory_stats(device)
            base = torch.cuda.memory_allocated(device)
            fn(q, k, v)
            synchronize(device)
            return torch.cuda.max_memory_allocated(device) - base - out_bytes
        base = _reset_peak_rss()
        fn(q, k, v)
        return max(_status_bytes("VmHWM") - base - out_bytes, 0)


def attention_peak_memory(method: str, n: int, *, heads: int, head_dim: int, device="auto") -> int:
    """Extra peak memory (bytes) of one attention call, beyond its inputs and output.

    CUDA: the caching allocator's peak. CPU: the rise of the peak resident set size of a
    fresh process (the CPU allocator keeps no peak statistic), so each point runs alone.
    """
    device = resolve_device(str(device))
    if method not in ATTENTION_IMPLEMENTATIONS:
        raise ValueError(f"unknown attention method {method!r}: choose one of {list(ATTENTION_IMPLEMENTATIONS)}")
    if device.type == "cuda":
        return _measure_in_this_process(method, n, heads, head_dim, device)
    cmd = [sys.executable, "-m", "lcreport.analysis.attention_timing", method, str(n), str(heads), str(head_dim)]
    out = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "OMP_NUM_THREADS": str(torch.get_num_threads())},
    )
    return int(json.loads(out.stdout.strip().splitlines()[-1])["extra_peak_bytes"])


def attention_memory_table(
    lengths, *, heads: int, head_dim: int, device="auto", methods=("naive", "sdpa")
) -> pd.DataFrame:
    from .complexity import score_matrix_bytes

    rows = []
    for n in tqdm(list(lengths), desc="peak memory"):
        for method in methods:
            rows.append(
                {
                    "method": method,
                    "n": n,
                    "extra_peak_MiB": attention_peak_memory(method, n, heads=heads, head_dim=head_dim, device=device)
                    / 2**20,
                    "score_matrix_MiB": score_matrix_bytes(n, heads) / 2**20,
                }
            )
    return pd.DataFrame(rows)


if __name__ == "__main__":  # one memory measurement in a fresh process
    method, n, heads, head_dim = sys.argv[1], *map(int, sys.argv[2:5])
    extra = _measure_in_this_process(method, n, heads, head_dim, torch.device("cpu"))
    print(json.dumps({"extra_peak_bytes": extra}))
