"""One way a chapter section returns its output (``Section``) and records it (``record``), and the trial rows of
the results contract (``results/<chapter>.trials.csv``: experiment, arm, scale, seed, unit, metric, value)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .. import stats
from ..notebook import glue_all


@dataclass
class Section:
    """One section's output: the table it shows, the figures it glues (name → value, or name →
    {"value", "ci95", "n"}), one row per scored unit, paired comparisons, and what later sections read."""

    table: pd.DataFrame
    figures: dict
    trials: list = field(default_factory=list)
    comparisons: list = field(default_factory=list)
    results: object = None


def record(run, section: Section) -> pd.DataFrame:
    """Glue the section's figures, add its trials and comparisons to ``run``; return its table."""
    glue_all(run, section.figures)
    if section.trials:
        run.add_trials(section.trials)
    for comparison in section.comparisons:
        run.compare(comparison)
    return section.table


def passkey_trial_rows(trial_rows, experiment: str, arm: str, scale: float, seed: int) -> list[dict]:
    """Pass-key trials in the results contract: metrics ``exact`` (0/1) and ``per_digit``, with ``depth``."""
    return [
        {
            "experiment": experiment,
            "arm": arm,
            "scale": scale,
            "seed": seed,
            "unit": t["unit"],
            "metric": m,
            "value": t[m],
            "depth": t["depth"],
            "length": t["length"],
        }
        for t in trial_rows
        for m in ("exact", "per_digit")
    ]


def nll_rows(
    values, experiment: str, arm: str, scale: float, seed: int, length: int, metric: str = "nll_last_L"
) -> list[dict]:
    """Per-window mean NLL values (one row per window, in window order) in the results contract."""
    return [
        {
            "experiment": experiment,
            "arm": arm,
            "scale": scale,
            "seed": seed,
            "unit": i,
            "metric": metric,
            "value": float(v),
            "length": length,
        }
        for i, v in enumerate(values)
    ]


def nll_trial_rows(result: dict, experiment: str, arm: str, scale: float, seed: int, length: int) -> list[dict]:
    """Per-chunk mean NLL over the last L tokens (``nll_last_L``) and over all tokens (``nll_all``)."""
    return nll_rows(result["nll_last_chunks"], experiment, arm, scale, seed, length, "nll_last_L") + nll_rows(
        result["nll_all_chunks"], experiment, arm, scale, seed, length, "nll_all"
    )


def exact_share(trials) -> dict:
    """Share of whole keys recovered, with its Wilson 95% interval and n."""
    return stats.share(t["exact"] for t in trials)
