"""Run profiles: one table, three sizes of the same book.

``smoke`` proves the code paths in seconds (nbval in CI), ``cpu`` is the published
default on 2 CPU cores, ``gpu`` is what a GPU runner re-executes with papermill.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class LlamaSpec:
    """The small Llama trained for the LongRoPE chapters, and how it is trained (nanoGPT-style knobs)."""

    vocab_size: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    train_length: int          # L, the context the model is trained at
    rope_theta: float
    steps: int
    batch_size: int
    lr: float
    warmup: int
    passkey_share: float       # share of training sequences that hold a pass key
    repeat_share: float        # share holding a repeated random span (copying across distance)
    answer_loss_weight: float  # extra weight on the pass key's answer tokens
    copy_warmup_steps: int = 0  # first steps on pure copy data, where induction heads form (Olsson et al. 2022)
    copy_share: float = 0.0     # afterwards, share of pure copy sequences kept in the mix (so the heads survive)
    seed: int = 0


@dataclass(frozen=True)
class SearchSettings:
    """One LongRoPE search (Ding et al. 2024, Algorithm 1): population, generations, children per
    generation, fitness windows, and the random seeds searched independently."""

    population: int
    generations: int
    mutations: int
    crossovers: int
    samples: int               # windows of the search book that fitness averages over
    seeds: tuple[int, ...] = (0,)

    @property
    def evaluations_bound(self) -> int:
        """At most this many fitness evaluations (the initial population, then the children)."""
        return self.population + self.generations * (self.mutations + self.crossovers)


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
    # LongRoPE chapters: the model, the extension scales, the search, the evaluation
    llama: LlamaSpec = None
    scales: tuple[int, ...] = ()
    search: SearchSettings = None
    eval_chunks: int = 0
    passkey_trials: int = 0
    passkey_depths: tuple[float, ...] = ()
    # LongRoPE part 2: fine-tuning at ft_scale·L, progressive extension, depth × width, window vs gap
    ft_scale: int = 4
    ft_steps: int = 0
    ft_batch: int = 0
    ft_lr: float = 1e-3
    prog_scales: tuple[int, ...] = ()
    stage_search: SearchSettings = None  # the searches of part 2 (progressive extension, readjustment)
    stage_chunks: int = 0
    stage_trials: int = 0
    dw_models: tuple[tuple[int, int], ...] = ()  # (layers, hidden)
    dw_length: int = 0
    dw_steps: int = 0
    dw_multiples: tuple[int, ...] = ()
    overfit_lengths: tuple[int, ...] = ()
    smollm_lengths: tuple[int, ...] = ()  # empty: the SmolLM2 section is not run on this profile


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
        llama=LlamaSpec(vocab_size=512, hidden=64, layers=2, heads=4, intermediate=128, train_length=64,
                        rope_theta=10000.0, steps=30, batch_size=8, lr=3e-3, warmup=5,
                        passkey_share=0.4, repeat_share=0.2, answer_loss_weight=1.0,
                        copy_warmup_steps=5, copy_share=0.2),
        scales=(2, 4),
        search=SearchSettings(population=6, generations=2, mutations=2, crossovers=2, samples=2, seeds=(0,)),
        eval_chunks=4,
        passkey_trials=4,
        passkey_depths=(0.2, 0.8),
        ft_scale=2, ft_steps=3, ft_batch=2, prog_scales=(4,), stage_search=SearchSettings(4, 1, 1, 1, 1),
        stage_chunks=2, stage_trials=2, dw_models=((1, 64), (2, 64)), dw_length=16, dw_steps=4,
        dw_multiples=(1, 2, 4), overfit_lengths=(16, 32),
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
        llama=LlamaSpec(vocab_size=4096, hidden=256, layers=4, heads=8, intermediate=688, train_length=256,
                        rope_theta=10000.0, steps=2000, batch_size=16, lr=2e-3, warmup=100,
                        passkey_share=0.4, repeat_share=0.1, answer_loss_weight=2.0,
                        copy_warmup_steps=150, copy_share=0.25),
        scales=(2, 4, 8),
        search=SearchSettings(population=16, generations=8, mutations=4, crossovers=4, samples=3, seeds=(0, 1)),
        eval_chunks=24,
        passkey_trials=20,
        passkey_depths=(0.1, 0.5, 0.9),
        ft_scale=4, ft_steps=100, ft_batch=4, prog_scales=(16, 32), stage_search=SearchSettings(8, 3, 3, 3, 2),
        stage_chunks=12, stage_trials=10, dw_models=((2, 128), (4, 128), (8, 128), (4, 256)), dw_length=64,
        dw_steps=300, dw_multiples=(1, 2, 4, 8, 16), overfit_lengths=(32, 64, 128, 256),
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
        llama=LlamaSpec(vocab_size=16384, hidden=768, layers=12, heads=12, intermediate=2048, train_length=1024,
                        rope_theta=10000.0, steps=6000, batch_size=32, lr=1e-3, warmup=300,
                        passkey_share=0.3, repeat_share=0.1, answer_loss_weight=1.0,
                        copy_warmup_steps=300, copy_share=0.15),
        scales=(2, 4, 8, 16, 32),
        search=SearchSettings(population=64, generations=40, mutations=16, crossovers=16, samples=5, seeds=(0, 1, 2)),
        eval_chunks=64,
        passkey_trials=50,
        passkey_depths=(0.1, 0.3, 0.5, 0.7, 0.9),
        ft_scale=4, ft_steps=400, ft_batch=8, ft_lr=3e-4, prog_scales=(16, 32), stage_search=SearchSettings(32, 10, 8, 8, 4),
        stage_chunks=32, stage_trials=30, dw_models=((4, 256), (8, 512), (12, 768)), dw_length=256,
        dw_steps=1500, dw_multiples=(1, 2, 4, 8, 16), overfit_lengths=(128, 256, 512, 1024),
        smollm_lengths=(8192, 16384, 32768, 65536),
    ),
}

DEFAULT_PROFILE = "cpu"


#: When set, overrides every chapter's ``profile`` parameter: nbval re-executes the committed cpu-profile
#: notebooks on the smoke profile this way (the Makefile's ``nbval`` target). ``lcreport run`` clears it.
PROFILE_OVERRIDE_VAR = "LCREPORT_PROFILE"


class UnknownProfileError(ValueError):
    pass


def get_profile(name: "str | Profile") -> Profile:
    """The profile called ``name`` (a Profile passes through), or a clear error listing the choices."""
    if isinstance(name, Profile):
        return name
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownProfileError(
            f"unknown profile {name!r}: choose one of {', '.join(PROFILES)} "
            f"(e.g. `python -m lcreport run --profile cpu`)"
        ) from None


def requested_profile(parameter: str) -> str:
    """The profile a chapter runs: its papermill parameter, unless ``LCREPORT_PROFILE`` overrides it."""
    return os.environ.get(PROFILE_OVERRIDE_VAR) or parameter
