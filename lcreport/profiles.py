"""Run profiles: one table, three sizes of the same book.

``smoke`` proves the code paths in seconds (nbval in CI), ``cpu`` is the published
default on 2 CPU cores, ``gpu`` is what a GPU runner re-executes with papermill.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    """Sizes every chapter reads; a chapter never invents its own."""

    name: str
    description: str
    # complexity chapter: attention timing sweep
    attention_lengths: tuple[int, ...]
    attention_heads: int
    attention_head_dim: int
    timing_repeats: int
    timing_warmup: int
    matmul_size: int
    memory_lengths: tuple[int, ...]
    # tokens chapter: passages per source, their minimum length, the speed-test text
    token_passages: int
    token_passage_chars: int
    token_speed_chars: int
    # BERT chapter: classification passages, strategies, folds; needle retrieval
    bert_passages_per_book: int
    bert_passage_tokens: int
    bert_truncations: tuple[int, ...]
    bert_window: int
    bert_stride: int
    bert_stretch: tuple[int, ...]
    bert_folds: int
    needle_haystack_tokens: int
    needle_depths: tuple[float, ...]
    needle_candidates: int
    needle_sets: int
    extra: dict = field(default_factory=dict)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        description="toy sizes for CI: proves the code path, not the science",
        attention_lengths=(64, 128, 256),
        attention_heads=2,
        attention_head_dim=32,
        timing_repeats=3,
        timing_warmup=1,
        matmul_size=256,
        memory_lengths=(256, 512),
        token_passages=3,
        token_passage_chars=300,
        token_speed_chars=20_000,
        bert_passages_per_book=4,
        bert_passage_tokens=300,
        bert_truncations=(64, 128),
        bert_window=128,
        bert_stride=32,
        bert_stretch=(1024,),
        bert_folds=2,
        needle_haystack_tokens=300,
        needle_depths=(0.1, 0.5, 0.9),
        needle_candidates=4,
        needle_sets=1,
    ),
    "cpu": Profile(
        name="cpu",
        description="the published default: 2 CPU cores, whole book within the hour",
        attention_lengths=(256, 512, 1024, 2048, 4096, 8192),
        attention_heads=8,
        attention_head_dim=64,
        timing_repeats=7,
        timing_warmup=2,
        matmul_size=2048,
        memory_lengths=(1024, 2048, 4096, 8192),
        token_passages=20,  # the Analects hold about 20 passages of 1,000 characters
        token_passage_chars=1000,
        token_speed_chars=300_000,
        bert_passages_per_book=16,
        bert_passage_tokens=2048,
        bert_truncations=(32, 64, 128, 256, 512),
        bert_window=512,
        bert_stride=128,
        bert_stretch=(1024, 2048),
        bert_folds=4,
        needle_haystack_tokens=1536,
        needle_depths=(0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95),
        needle_candidates=8,
        needle_sets=1,
    ),
    "gpu": Profile(
        name="gpu",
        description="a GPU runner (one H100-class GPU), re-executed with papermill",
        attention_lengths=(1024, 2048, 4096, 8192, 16384, 32768),
        attention_heads=32,
        attention_head_dim=128,
        timing_repeats=20,
        timing_warmup=5,
        matmul_size=8192,
        memory_lengths=(4096, 8192, 16384, 32768),
        token_passages=20,  # limited by the smallest corpus; tokenizers run on the CPU anyway
        token_passage_chars=1000,
        token_speed_chars=1_000_000,
        bert_passages_per_book=40,
        bert_passage_tokens=4096,
        bert_truncations=(32, 64, 128, 256, 512),
        bert_window=512,
        bert_stride=128,
        bert_stretch=(1024, 2048, 4096),
        bert_folds=5,
        needle_haystack_tokens=4000,
        needle_depths=(0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95),
        needle_candidates=12,
        needle_sets=3,
    ),
}

DEFAULT_PROFILE = "cpu"


class UnknownProfileError(ValueError):
    pass


def get_profile(name: str | None = None) -> Profile:
    """Return the profile called ``name``; ``None`` reads ``LCREPORT_PROFILE`` (default cpu)."""
    if name is None:
        name = os.environ.get("LCREPORT_PROFILE", DEFAULT_PROFILE)
    if isinstance(name, Profile):
        return name
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownProfileError(
            f"unknown profile {name!r}: choose one of {', '.join(PROFILES)} "
            f"(e.g. `python -m lcreport run --profile cpu`)"
        ) from None
