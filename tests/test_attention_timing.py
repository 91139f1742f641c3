import math
import time

import pytest
import torch

from lcreport.analysis import attention_timing as at


def test_naive_and_sdpa_compute_the_same_attention():
    q, k, v = at.random_qkv(64, 2, 16, torch.device("cpu"))
    torch.testing.assert_close(at.naive_attention(q, k, v), at.sdpa_attention(q, k, v), rtol=1e-5, atol=1e-5)


def test_loglog_slope_recovers_a_power_law():
    n = [128, 256, 512, 1024]
    assert at.loglog_slope(n, [3.0 * x**2 for x in n]) == pytest.approx(2.0)
    assert at.loglog_slope(n, [x**1.5 for x in n]) == pytest.approx(1.5)


def test_timing_table_has_one_row_per_method_and_length():
    df = at.attention_timings([32, 64], heads=2, head_dim=8, device="cpu", repeats=2, warmup=0)
    assert sorted(zip(df.method, df.n)) == [("naive", 32), ("naive", 64), ("sdpa", 32), ("sdpa", 64)]
    assert (df.q25_s <= df.median_s).all() and (df.median_s <= df.q75_s).all()
    assert (df.flops == 4 * df.n**2 * 16).all()


def test_naive_attention_materialises_the_score_matrix_and_sdpa_does_not():
    n, heads = 1024, 4
    matrix_mib = heads * n * n * 4 / 2**20  # 16 MiB
    naive = at.attention_peak_memory("naive", n, heads=heads, head_dim=32, device="cpu") / 2**20
    sdpa = at.attention_peak_memory("sdpa", n, heads=heads, head_dim=32, device="cpu") / 2**20
    assert naive >= matrix_mib
    assert sdpa < matrix_mib / 2


def test_unknown_attention_method_is_rejected():
    with pytest.raises(ValueError, match="naive"):
        at.attention_peak_memory("flash3", 64, heads=1, head_dim=8, device="cpu")


def test_matmul_throughput_is_positive_and_finite():
    r = at.matmul_flops_per_second(64, device="cpu", repeats=2, warmup=1)
    assert r["gflop_per_s"] > 0 and math.isfinite(r["gflop_per_s"])


def test_time_call_returns_one_sample_per_repeat_each_of_a_whole_call():
    calls = []

    def fn():
        calls.append(1)
        time.sleep(0.002)

    times = at.time_call(fn, repeats=3, warmup=1, device=torch.device("cpu"))
    assert len(times) == 3 and all(t >= 0.002 for t in times)
    assert len(calls) >= 1 + 3  # the warm-up, then each timed call


def test_time_call_runs_on_all_of_torchs_threads():
    seen, threads = [], torch.get_num_threads()
    at.time_call(lambda: seen.append(torch.get_num_threads()), repeats=2, warmup=0, device=torch.device("cpu"))
    assert set(seen) == {threads}  # torch.utils.benchmark.Timer would otherwise run on one thread
    assert torch.get_num_threads() == threads


def test_interleaved_fractions_alternate_kernel_and_matmul_and_keep_every_round():
    from lcreport.analysis import attention_timing as at

    rows = at.interleaved_fractions(64, heads=2, head_dim=16, matmul_size=32, device="cpu", rounds=3, warmup=0)
    assert list(rows["round"]) == [0, 0, 1, 1, 2, 2] and list(rows.method) == ["naive", "sdpa"] * 3
    assert (rows.fraction_of_matmul == rows.kernel_gflop_per_s / rows.matmul_gflop_per_s).all()
    sp = at.spread([1.0, 2.0, 3.0, 4.0])
    assert sp == {"value": 2.5, "q25": 1.75, "q75": 3.25, "n": 4}
