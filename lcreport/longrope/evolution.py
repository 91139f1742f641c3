"""LongRoPE's evolutionary search of per-frequency rescale factors (Ding et al. 2024, §3.2, Algorithm 1).

A candidate is (λ₁ … λ_{d/2}, n̂): frequency i is divided by λᵢ, and the first n̂ positions
keep the original RoPE. The search keeps λ non-decreasing across dimensions (low
frequencies are interpolated at least as much as high ones) and on a 0.01 grid within
[1, 1.25·s]; n̂ comes from the paper's set. The population starts from PI, NTK and YaRN
and their mutations; each generation keeps the best parents and adds mutants and
crossovers. Fitness is any function to minimise (the chapter uses perplexity at the
target length); nothing here knows about models.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

#: n̂ choices from the paper (Table 1); those not below the training length are dropped.
N_HAT_CHOICES = (0, 1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 64, 128, 256)
MUTATION_PROBABILITY = 0.3  # the paper's p


@dataclass(frozen=True)
class SearchSpace:
    n_factors: int  # head_dim / 2
    scale: float  # s = target length / training length
    lower: float = 1.0
    upper: float | None = None  # default 1.25·s
    step: float = 0.01
    n_hat_choices: tuple[int, ...] = N_HAT_CHOICES

    @property
    def hi(self) -> float:
        return self.upper if self.upper is not None else 1.25 * self.scale

    def project(self, factors) -> np.ndarray:
        """Onto the grid, within the bounds, non-decreasing (cumulative maximum)."""
        f = np.clip(np.asarray(factors, dtype=np.float64), self.lower, self.hi)
        f = np.round(f / self.step) * self.step
        return np.clip(np.maximum.accumulate(f), self.lower, self.hi)

    def valid(self, factors) -> bool:
        f = np.asarray(factors)
        on_grid = np.allclose(np.round(f / self.step) * self.step, f, atol=1e-9)
        return bool(
            len(f) == self.n_factors
            and on_grid
            and np.all(np.diff(f) >= -1e-9)
            and f.min() >= self.lower - 1e-9
            and f.max() <= self.hi + 1e-9
        )


@dataclass(frozen=True)
class Candidate:
    factors: tuple[float, ...]
    n_hat: int = 0

    @property
    def key(self):
        return (tuple(round(x, 4) for x in self.factors), self.n_hat)


@dataclass
class SearchResult:
    best: Candidate
    best_fitness: float
    history: list = field(default_factory=list)  # per generation: best, median, evaluations
    evaluations: int = 0
    seconds: float = 0.0
    initial: dict = field(default_factory=dict)  # fitness of the PI / NTK / YaRN seeds
    from_cache: bool = field(
        default=False, compare=False
    )  # loaded from the search cache (``seconds``: the run that made it)

    def to_json(self) -> dict:
        return {
            "factors": [float(x) for x in self.best.factors],
            "n_hat": int(self.best.n_hat),
            "best_fitness": float(self.best_fitness),
            "history": self.history,
            "evaluations": int(self.evaluations),
            "seconds": float(self.seconds),
            "initial": {k: float(v) for k, v in self.initial.items()},
        }

    @classmethod
    def from_json(cls, d: dict, *, from_cache: bool = False) -> SearchResult:
        return cls(
            Candidate(tuple(float(x) for x in d["factors"]), int(d["n_hat"])),
            float(d["best_fitness"]),
            list(d["history"]),
            int(d["evaluations"]),
            float(d["seconds"]),
            dict(d["initial"]),
            from_cache,
        )


def mutate(c: Candidate, space: SearchSpace, rng: np.random.Generator, p: float = MUTATION_PROBABILITY) -> Candidate:
    """Each λᵢ, with probability p, is redrawn on the grid between its neighbours (so λ stays monotone)."""
    f = np.array(c.factors)
    for i in range(len(f)):
        if rng.random() < p:
            lo = f[i - 1] if i > 0 else space.lower
            hi = f[i + 1] if i + 1 < len(f) else space.hi
            steps = int(round((hi - lo) / space.step))
            f[i] = lo + space.step * int(rng.integers(0, steps + 1))
    n_hat = int(rng.choice(space.n_hat_choices)) if rng.random() < p else c.n_hat
    return Candidate(tuple(space.project(f)), n_hat)


def crossover(a: Candidate, b: Candidate, space: SearchSpace, rng: np.random.Generator) -> Candidate:
    """Each λᵢ and n̂ from either parent at random, then made monotone again."""
    take_a = rng.random(len(a.factors)) < 0.5
    f = np.where(take_a, a.factors, b.factors)
    return Candidate(tuple(space.project(f)), a.n_hat if rng.random() < 0.5 else b.n_hat)


def evolutionary_search(
    fitness: Callable[[Candidate], float],
    space: SearchSpace,
    seeds: dict,
    *,
    population: int,
    generations: int,
    mutations: int,
    crossovers: int,
    seed: int = 0,
    progress=None,
    map_fn=None,
) -> SearchResult:
    """Algorithm 1 of the paper. ``seeds`` maps a name (PI, NTK, YaRN) to its factors.

    Each generation's new candidates are scored together by ``map_fn(fitness, candidates)`` (default: one
    after the other; ``parallel.map_over_processes`` spreads them over processes). Every candidate is
    scored once, and the random draws do not depend on how, so the result is the same either way.
    """
    if mutations + crossovers >= population:
        raise ValueError("population must exceed mutations + crossovers (the rest are kept parents)")
    rng = np.random.default_rng(seed)
    cache: dict = {}
    t0 = time.perf_counter()

    evaluate = map_fn or (lambda fn, items: [fn(x) for x in items])

    def score_all(candidates) -> None:
        new = list({c.key: c for c in candidates if c.key not in cache}.values())
        for c, value in zip(new, evaluate(fitness, new)):
            cache[c.key] = float(value)

    def score(c: Candidate) -> float:
        if c.key not in cache:
            score_all([c])
        return cache[c.key]

    start = [Candidate(tuple(space.project(f)), 0) for f in seeds.values()]
    score_all(start)
    initial = {name: score(c) for name, c in zip(seeds, start)}
    pop = list(start)
    while len(pop) < population:
        pop.append(mutate(start[len(pop) % len(start)], space, rng))
    n_parents = population - mutations - crossovers
    history = []
    iterator = range(generations) if progress is None else progress(range(generations))
    for gen in iterator:
        score_all(pop)
        ranked = sorted(pop, key=score)
        parents = ranked[:n_parents]
        fits = [score(c) for c in ranked]
        history.append(
            {"generation": gen, "best": fits[0], "median": float(np.median(fits)), "evaluations": len(cache)}
        )
        children = [mutate(parents[int(rng.integers(len(parents)))], space, rng) for _ in range(mutations)]
        for _ in range(crossovers):
            i, j = rng.choice(len(parents), size=2, replace=len(parents) < 2)
            children.append(crossover(parents[i], parents[j], space, rng))
        pop = parents + children
    score_all(pop)
    best = min(pop, key=score)
    history.append(
        {
            "generation": generations,
            "best": score(best),
            "median": float(np.median([score(c) for c in pop])),
            "evaluations": len(cache),
        }
    )
    return SearchResult(best, score(best), history, len(cache), time.perf_counter() - t0, initial)
