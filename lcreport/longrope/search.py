"""LongRoPE's search on a trained model (Ding et al. 2024, §3.2–3.3): one function for every use in the
book — the no-fine-tune search from PI/NTK/YaRN seeds, progressive extension on a fine-tuned model
(extra seeds), and the readjustment of the short factors at L (``short_of``).

Fitness is perplexity on ``settings.samples`` windows of the *search* book, which is held out from
training and from the evaluation books. The evolutionary algorithm itself is ``longrope.evolution``.

A search is a pure function of the model's weights, the search text, its settings and seed and the code
that scores a candidate, so its result is cached (``lcreport.cache.cached_json``, kind ``search``) under
a hash of all of them: a re-run loads it, and the work ledger records the minutes it cost.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import cache
from ..files import content_key
from ..models import llama as llama_module
from ..models import rope as rp
from ..models.lm_data import Data
from ..parallel import map_over_processes
from ..profiles import LlamaSpec, SearchSettings
from . import evaluation as ev
from .evolution import N_HAT_CHOICES, SearchResult, SearchSpace, evolutionary_search
from .extension import check_length, extended_model

#: where a readjustment search of the short factors starts (``search(short_start=…)``)
SHORT_STARTS = ("identity", "long")


def search(
    state,
    spec: LlamaSpec,
    data: Data,
    scale: float,
    settings: SearchSettings,
    *,
    seed: int = 0,
    length: int | None = None,
    extra_seeds=None,
    short_of=None,
    short_start: str = "identity",
    device="cpu",
    progress=None,
    use_cache: bool = True,
) -> SearchResult:
    """LongRoPE's evolutionary search on ``state`` (a base or a fine-tuned model) for factors at ``scale``.

    ``extra_seeds`` adds starting points (the fine-tuned model's own factors, stretched, for progressive
    extension). With ``short_of=long_factor`` it searches the *short* factors used up to L while the
    long ones stay fixed (the readjustment of §3.3); fitness is then perplexity at ``length`` ≤ L, and the
    population grows from one starting point, ``short_start``: the identity (factors 1, plain RoPE) or the
    long factors themselves.

    The result comes from the search cache when every input is the same (``search_payload``); with
    ``use_cache=False`` the search runs and nothing is cached (to time it, as ``parallel_job`` does).
    """
    inputs = dict(
        seed=seed, length=length, extra_seeds=extra_seeds, short_of=short_of, short_start=short_start, device=device
    )
    run = partial(_search, state, spec, data, scale, settings, progress=progress, **inputs)
    if not use_cache:
        return run()
    payload = search_payload(state, spec, data, scale, settings, **inputs)

    def make():
        return run().to_json()

    result, cached = cache.cached_json("search", payload, make, minutes_of=lambda r: r["seconds"] / 60)
    return SearchResult.from_json(result, from_cache=cached)


def search_payload(
    state,
    spec: LlamaSpec,
    data: Data,
    scale: float,
    settings: SearchSettings,
    *,
    seed: int,
    length,
    extra_seeds,
    short_of,
    short_start: str,
    device,
) -> dict:
    """Everything a search's result depends on: the weights, the search text, the settings, the starting
    points, the device type and the code that scores a candidate."""
    import dataclasses

    import torch
    import transformers

    from .. import parallel
    from . import evaluation, evolution, extension

    def exact(v):
        return None if v is None else content_key(np.asarray(v, dtype=np.float64).reshape(-1).tobytes())

    settings_fields = {k: v for k, v in dataclasses.asdict(settings).items() if k != "seeds"}  # ``seed`` is this one's
    return {
        "state": cache.tensors_key(state),
        "spec": dataclasses.asdict(spec),
        "search_text": content_key(np.ascontiguousarray(data.search).tobytes()),
        "scale": float(scale),
        "settings": settings_fields,
        "seed": int(seed),
        "length": None if length is None else int(length),
        # in the order given: it is the order of the starting population
        "extra_seeds": [[k, exact(v)] for k, v in (extra_seeds or {}).items()],
        "short_of": exact(short_of),
        "short_start": short_start if short_of is not None else None,
        "device": str(torch.device(device).type),
        "code": cache.source_key(evolution, evaluation, extension, rp, llama_module, parallel, _search),
        "torch": torch.__version__.split("+")[0],
        "transformers": transformers.__version__,
        "numpy": np.__version__,
    }


def _search(
    state,
    spec: LlamaSpec,
    data: Data,
    scale: float,
    settings: SearchSettings,
    *,
    seed: int,
    length,
    extra_seeds,
    short_of,
    short_start: str,
    device,
    progress,
) -> SearchResult:
    """The search itself (``search`` without the cache)."""
    L, dim = spec.train_length, spec.hidden // spec.heads
    target = length or int(round(scale * L))
    check_length(spec, target)
    chunks = ev.eval_chunks(data.search, target, settings.samples, seed)
    space = SearchSpace(
        dim // 2, scale, n_hat_choices=(0,) if short_of is not None else tuple(n for n in N_HAT_CHOICES if n < L)
    )
    if short_of is not None:
        if short_start not in SHORT_STARTS:
            raise ValueError(f"short_start must be one of {SHORT_STARTS}, got {short_start!r}")
        seeds = {short_start: np.ones(dim // 2) if short_start == "identity" else np.asarray(short_of)}
    else:
        seeds = {rp.SHORT[m]: factors(scale, dim, spec.rope_theta, L) for m, factors in rp.FACTOR_FUNCTIONS.items()}
    seeds.update(extra_seeds or {})

    def fitness(c) -> float:
        if short_of is not None:
            model = extended_model(
                state, spec, "longrope", scale, long_factor=short_of, short_factor=c.factors, device=device
            )
        else:
            model = extended_model(state, spec, "longrope", scale, long_factor=c.factors, n_hat=c.n_hat, device=device)
        return ev.perplexity(model, chunks, min(L, target))["ppl_all"]

    return evolutionary_search(
        fitness,
        space,
        seeds,
        population=settings.population,
        generations=settings.generations,
        mutations=settings.mutations,
        crossovers=settings.crossovers,
        seed=seed,
        progress=progress,
        map_fn=map_over_processes,
    )
