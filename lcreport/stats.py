"""The statistics of the book, all from ``scipy.stats``: intervals for one arm, paired tests for two.

- ``mean_ci``: percentile-bootstrap interval of a mean (or of a function of it, e.g. exp for perplexity).
- ``wilson``: Wilson score interval of a proportion (``binomtest(...).proportion_ci``).
- ``paired_diff``: mean of per-unit differences b − a with a paired bootstrap 95% CI.
- ``mcnemar``: exact McNemar test of two arms' 0/1 outcomes on the same units (a binomial test
  on the discordant pairs).
- ``corrected_resampled_t``: two settings scored on the same folds of a repeated cross-validation,
  compared by Nadeau & Bengio's (2003) corrected resampled t-test (the folds overlap, so the plain
  t-test's variance is inflated by n_test/n_train).
- ``detectable_difference``: the smallest paired mean difference the design could detect.

Every comparison returned here is a dict in the shape of ``results.COMPARISON_FIELDS``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

LEVEL = 0.95
RESAMPLES = 2000


def mean_ci(values, *, transform=None, seed: int = 0, level: float = LEVEL, resamples: int = RESAMPLES):
    """(estimate, (lo, hi)) of ``transform(mean(values))`` with a percentile bootstrap interval."""
    x = np.asarray(values, dtype=float)
    f = transform or (lambda v: v)
    est = float(f(x.mean()))
    if len(x) < 2 or np.all(x == x[0]):
        return est, (est, est)
    res = stats.bootstrap(
        (x,),
        lambda s, axis=-1: f(np.mean(s, axis=axis)),
        confidence_level=level,
        n_resamples=resamples,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return est, (float(res.confidence_interval.low), float(res.confidence_interval.high))


def wilson(successes: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of successes / n."""
    if n <= 0:
        raise ValueError("a proportion needs at least one trial")
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def share(outcomes, level: float = LEVEL) -> dict:
    """A proportion from 0/1 outcomes as a figure: ``{"value", "ci95" (Wilson), "n"}``."""
    x = [int(o) for o in outcomes]
    return {"value": sum(x) / len(x) if x else float("nan"), "ci95": list(wilson(sum(x), len(x), level)), "n": len(x)}


def mean_t_interval(values, level: float = LEVEL) -> dict | float:
    """The mean of a few per-seed values with a t interval over them, as a figure ``{"value", "ci95", "n"}``;
    one value is returned alone, since one trained model has no interval."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return float(x.mean())
    lo, hi = stats.t.interval(level, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    return {"value": float(x.mean()), "ci95": [float(lo), float(hi)], "n": len(x)}


def paired_diff(a, b, *, seed: int = 0, level: float = LEVEL, resamples: int = RESAMPLES) -> dict:
    """Mean of b − a over paired units, with a paired bootstrap CI (``diff``, ``ci95``, ``n``, ``test``)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired arms must be 1-D and the same length, got {a.shape} and {b.shape}")
    d = b - a
    diff = float(d.mean())
    if len(d) < 2 or np.all(d == d[0]):
        lo = hi = diff
    else:
        res = stats.bootstrap(
            (a, b),
            lambda x, y, axis=-1: np.mean(y - x, axis=axis),
            paired=True,
            confidence_level=level,
            n_resamples=resamples,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return {"diff": diff, "ci95": [lo, hi], "n": int(len(d)), "test": "paired bootstrap (percentile)"}


def mcnemar(a, b) -> dict:
    """Exact McNemar test on paired 0/1 outcomes; ``diff`` = mean(b) − mean(a) with a paired bootstrap CI."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired arms must be 1-D and the same length, got {a.shape} and {b.shape}")
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    p = 1.0 if only_a + only_b == 0 else float(stats.binomtest(only_b, only_a + only_b, 0.5).pvalue)
    out = paired_diff(a.astype(float), b.astype(float))
    out.update(test="exact McNemar", p=p, discordant=[only_a, only_b])
    return out


def corrected_resampled_t(fold_a, fold_b, *, n_train: int, n_test: int, level: float = LEVEL) -> dict:
    """Mean of b − a over the k·r folds of an r-times repeated k-fold cross-validation, with the
    corrected resampled t-test of Nadeau & Bengio (2003): variance (1/(k·r) + n_test/n_train)·s²,
    k·r − 1 degrees of freedom (Bouckaert & Frank 2004). ``n`` is the number of folds."""
    a, b = np.asarray(fold_a, dtype=float), np.asarray(fold_b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"need the same two or more folds for both arms, got {a.shape} and {b.shape}")
    if n_train <= 0 or n_test <= 0:
        raise ValueError(f"n_train and n_test must be positive, got {n_train} and {n_test}")
    d = b - a
    k = len(d)
    diff = float(d.mean())
    se = float(np.sqrt((1 / k + n_test / n_train) * d.var(ddof=1)))
    dist = stats.t(df=k - 1)
    if se == 0:
        lo = hi = diff
        p = 1.0 if diff == 0 else 0.0
    else:
        half = float(dist.ppf(1 - (1 - level) / 2) * se)
        lo, hi = diff - half, diff + half
        p = float(2 * dist.sf(abs(diff) / se))
    return {
        "diff": diff,
        "ci95": [lo, hi],
        "n": int(k),
        "p": p,
        "test": "corrected resampled t-test (Nadeau & Bengio 2003)",
    }


def excludes_zero(comparison: dict) -> bool:
    """Whether a comparison's 95% interval lies wholly on one side of 0."""
    lo, hi = comparison["ci95"]
    return lo > 0 or hi < 0


def relation(comparison: dict) -> str:
    """How arm b stands to arm a on a lower-is-better metric, in words, by the 95% interval of b − a."""
    lo, hi = comparison["ci95"]
    return "lower than" if hi < 0 else "higher than" if lo > 0 else "not detectably different from"


#: the power at which a paired design's smallest detectable difference is stated
DETECT_POWER = 0.8


def detectable_difference(differences, level: float = LEVEL, power: float = DETECT_POWER) -> float:
    """Smallest true mean difference a paired design of this size and spread detects with ``power``
    (normal approximation: (z₁₋α/₂ + z_power) · sd / √n)."""
    d = np.asarray(differences, dtype=float)
    if len(d) < 2:
        return float("inf")
    z = stats.norm.ppf(1 - (1 - level) / 2) + stats.norm.ppf(power)
    return float(z * d.std(ddof=1) / np.sqrt(len(d)))


def paired_record(
    a, b, cid: str, experiment: str, scale, a_label: str, b_label: str, *, seed: int = 0, metric: str = "nll_last_L"
) -> dict:
    """b − a over paired units as one comparison of the results contract (``results.COMPARISON_FIELDS``):
    the paired bootstrap of ``paired_diff`` and the smallest difference the design detects (``detectable``)."""
    diff = paired_diff(a, b, seed=seed)
    return {
        "id": cid,
        "experiment": experiment,
        "scale": scale,
        "metric": metric,
        "a": a_label,
        "b": b_label,
        **diff,
        "detectable": detectable_difference(np.asarray(b, float) - np.asarray(a, float)),
    }
