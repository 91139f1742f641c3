"""The benchmark's building blocks (benchmarks/bench.py; ``make bench`` runs it whole, ``make test`` does not)."""

import importlib.util
import sys
from pathlib import Path

import pytest

from lcreport.models import training
from lcreport.profiles import PROFILES

_spec = importlib.util.spec_from_file_location("bench", Path(__file__).parents[1] / "benchmarks" / "bench.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench"] = bench
_spec.loader.exec_module(bench)


def test_median_of_keeps_every_repeat_and_their_count():
    m = bench.median_of([3.0, 1.0, 2.0])
    assert m == {"value": 2.0, "n": 3, "repeats": [3.0, 1.0, 2.0]}


def test_fewer_than_three_repeats_are_refused():
    with pytest.raises(SystemExit, match="at least 3"):
        bench.run(2, with_quality=False)


def test_a_training_rate_is_positive_and_the_attention_override_is_undone():
    kept = training.CPU_BF16_TRAIN_ATTENTION
    rate = bench.train_tokens_per_s(PROFILES["smoke"].llama, "bf16", steps=4, attention="sdpa")
    assert rate > 0 and training.CPU_BF16_TRAIN_ATTENTION == kept
