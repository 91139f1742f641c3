import numpy as np
import pytest

from lcreport.longrope import evolution as ls
from lcreport.models import rope

SPACE = ls.SearchSpace(n_factors=16, scale=4)


def test_projection_keeps_factors_monotone_on_grid_and_in_bounds():
    f = SPACE.project(np.random.default_rng(0).uniform(0, 7, 16))
    assert SPACE.valid(f)
    assert f.min() >= 1.0 and f.max() <= 5.0


@pytest.mark.parametrize("seed", range(5))
def test_mutation_and_crossover_stay_in_the_search_space(seed):
    rng = np.random.default_rng(seed)
    a = ls.Candidate(tuple(SPACE.project(rope.factors_yarn(4, 32, 10000.0, 256))), 0)
    b = ls.Candidate(tuple(SPACE.project(rope.factors_pi(4, 32, 10000.0, 256))), 8)
    for _ in range(50):
        a = ls.mutate(a, SPACE, rng)
        c = ls.crossover(a, b, SPACE, rng)
        assert SPACE.valid(a.factors) and SPACE.valid(c.factors)
        assert a.n_hat in SPACE.n_hat_choices and c.n_hat in (a.n_hat, b.n_hat)


def _seeds():
    return {
        "PI": rope.factors_pi(4, 32, 1e4, 256),
        "NTK": rope.factors_ntk(4, 32, 1e4, 256),
        "YaRN": rope.factors_yarn(4, 32, 1e4, 256),
    }


def test_search_finds_the_optimum_of_a_synthetic_objective():
    target = SPACE.project(np.linspace(1.0, 4.6, 16) ** 1.0)

    def fitness(c):
        return float(np.sum((np.array(c.factors) - target) ** 2)) + 0.01 * (c.n_hat != 4)

    result = ls.evolutionary_search(
        fitness, SPACE, _seeds(), population=32, generations=60, mutations=10, crossovers=10, seed=0
    )
    assert result.best_fitness < min(result.initial.values()) / 20
    assert np.max(np.abs(np.array(result.best.factors) - target)) < 0.35
    assert [h["best"] for h in result.history] == sorted([h["best"] for h in result.history], reverse=True)


def test_search_is_deterministic_under_a_seed():
    def fitness(c):
        return float(np.sum(np.array(c.factors)) + c.n_hat)

    kw = dict(population=8, generations=4, mutations=3, crossovers=3)
    r1 = ls.evolutionary_search(fitness, SPACE, _seeds(), seed=7, **kw)
    r2 = ls.evolutionary_search(fitness, SPACE, _seeds(), seed=7, **kw)
    assert r1.best == r2.best and r1.history == r2.history


def test_population_must_leave_room_for_parents():
    with pytest.raises(ValueError, match="population"):
        ls.evolutionary_search(lambda c: 0.0, SPACE, _seeds(), population=4, generations=1, mutations=2, crossovers=2)
