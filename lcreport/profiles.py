"""Run profiles: one table (``profiles.yaml``), three sizes of the same book.

``smoke`` proves the code paths in seconds (nbval in CI), ``cpu`` is the published
default on 2 CPU cores, ``gpu`` is what a GPU runner re-executes with papermill.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

#: the training precisions a profile may name: full fp32, or bf16 autocast over fp32 master weights
TRAINING_PRECISIONS = ("fp32", "bf16")


def check_precision(precision: str) -> str:
    if precision not in TRAINING_PRECISIONS:
        raise ValueError(
            f"training precision {precision!r} is not one of {', '.join(TRAINING_PRECISIONS)}: fix the profile"
        )
    return precision


@dataclass(frozen=True)
class LlamaSpec:
    """The small Llama trained for the LongRoPE chapters, and how it is trained (nanoGPT-style knobs)."""

    vocab_size: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    train_length: int  # L, the context the model is trained at
    rope_theta: float
    steps: int
    batch_size: int
    lr: float
    warmup: int
    passkey_share: float  # share of training sequences that hold a pass key
    repeat_share: float  # share holding a repeated random span (copying across distance)
    answer_loss_weight: float  # extra weight on the pass key's answer tokens
    copy_warmup_steps: int = 0  # first steps on pure copy data, where induction heads form (Olsson et al. 2022)
    copy_share: float = 0.0  # afterwards, share of pure copy sequences kept in the mix (so the heads survive)
    seed: int = 0
    bos: bool = False  # every training sequence starts with a start token (the tokenizer's end-of-text)
    precision: str = "fp32"  # training (and fine-tuning) precision: "fp32", or "bf16" autocast over fp32 weights

    def __post_init__(self):
        check_precision(self.precision)


@dataclass(frozen=True)
class SearchSettings:
    """One LongRoPE search (Ding et al. 2024, Algorithm 1): population, generations, children per
    generation, fitness windows, and the random seeds searched independently."""

    population: int
    generations: int
    mutations: int
    crossovers: int
    samples: int  # windows of the search book that fitness averages over
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
    bert_repeats: int  # the stratified k-fold cross-validation is repeated this many times
    # BERT chapter, section 6: fine-tuned B/I/O tagging of direct speech (``chapters.c03_bert.tagging``)
    tag_doc_tokens: int  # tokens per held-out document
    tag_test_docs: int  # held-out documents scored
    tag_contexts: tuple[int, ...]  # context lengths trained and read at ([CLS] and [SEP] included)
    tag_overlap: int  # tokens shared by consecutive sliding windows of the longest context
    tag_steps: int  # fine-tuning steps per context and seed
    tag_batch_tokens: int  # tokens per step (the batch is this over the context)
    tag_lr: float
    tag_seeds: tuple[int, ...]
    tag_precision: str  # fine-tuning precision of the tagger ("fp32" or "bf16", as ``LlamaSpec.precision``)
    # LongRoPE chapters: the model, the extension scales, the search, the evaluation
    llama: LlamaSpec = None
    scales: tuple[int, ...] = ()
    search: SearchSettings = None
    eval_chunks: int = 0
    base_seeds: tuple[int, ...] = (0,)  # base models trained from scratch (seed of ``llama``: the first)
    passkey_trials: int = 0
    passkey_depths: tuple[float, ...] = ()
    nhat_values: tuple[int, ...] = ()  # the n̂ sweep of part 1 (0 and the values compared with it)
    # LongRoPE part 2: fine-tuning at ft_scale·L, progressive extension, depth × width, window vs gap
    ft_scale: int = 4
    ft_steps: int = 0
    ft_batch: int = 0
    ft_lr: float = 1e-3
    ft_seeds: tuple[int, ...] = (0,)  # fine-tune seeds (data order) of every fine-tuned arm but the control
    prog_scales: tuple[int, ...] = ()
    stage_search: SearchSettings = None  # the searches of part 2 (progressive extension, readjustment)
    stage_chunks: int = 0
    stage_trials: int = 0
    stage_depths: tuple[float, ...] = ()  # pass-key depths of part 2's evaluations
    window_trials: int = 0  # effective window: trials per pass-key depth (``passkey_depths``) per task and length
    dw_models: tuple[tuple[int, int], ...] = ()  # (layers, hidden)
    dw_length: int = 0
    dw_steps: int = 0
    dw_multiples: tuple[int, ...] = ()
    overfit_lengths: tuple[int, ...] = ()
    smollm_lengths: tuple[int, ...] = ()  # empty: the SmolLM2 section is not run on this profile

    def __post_init__(self):
        check_precision(self.tag_precision)


#: the table itself, as data: one entry per profile, every field of ``Profile`` (nested ones as mappings)
PROFILES_FILE = Path(__file__).with_name("profiles.yaml")


def _build(cls, values: dict):
    """A frozen dataclass from a mapping; lists become tuples, nested dataclass fields are built too."""
    kwargs = {}
    for f in fields(cls):
        if f.name not in values:
            continue
        v = values[f.name]
        nested = {"llama": LlamaSpec, "search": SearchSettings, "stage_search": SearchSettings}.get(f.name)
        if nested is not None and v is not None:
            v = _build(nested, v)
        elif isinstance(v, list):
            v = tuple(tuple(x) if isinstance(x, list) else x for x in v)
        kwargs[f.name] = v
    unknown = set(values) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"{PROFILES_FILE.name}: unknown {cls.__name__} field(s) {', '.join(sorted(unknown))}")
    return cls(**kwargs)


def load_profiles(path: Path = PROFILES_FILE) -> dict[str, Profile]:
    import yaml

    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: _build(Profile, {"name": name, **values}) for name, values in table.items()}


PROFILES: dict[str, Profile] = load_profiles()

DEFAULT_PROFILE = "cpu"


#: When set, overrides every chapter's ``profile`` parameter: nbval re-executes the committed cpu-profile
#: notebooks on the smoke profile this way (the Makefile's ``nbval`` target). ``lcreport run`` clears it.
PROFILE_OVERRIDE_VAR = "LCREPORT_PROFILE"


class UnknownProfileError(ValueError):
    pass


def get_profile(name: str | Profile) -> Profile:
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
