"""What every chapter notebook does first and last: provenance, seeds, glue, save."""
from __future__ import annotations

import random

import numpy as np
import torch

from .device import resolve_device
from .profiles import get_profile
from .results import Run


def start_chapter(chapter: str, profile: str, device: str = "auto", seed: int = 0) -> Run:
    """Validate the parameters, seed every generator and return the chapter's ``Run``."""
    prof = get_profile(profile)
    dev = resolve_device(device)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return Run(chapter=chapter, profile=prof.name, device=str(dev), seed=seed)


def provenance_table(run: Run):
    import pandas as pd

    p = run.provenance()
    rows = {"profile": p["profile"], "device": p["device"], "machine": p["machine"],
            "seed": p["seed"], **{k: v for k, v in p["versions"].items()},
            "lcreport source hash": p["lcreport_source_hash"], "git commit": p["git_commit"][:12],
            "started (UTC)": p["started_utc"]}
    return pd.DataFrame({"value": rows}).rename_axis("provenance")


def glue(run: Run, key: str, value, *, unit: str | None = None, display: bool = False):
    """Record a key figure in the results file and glue it for the prose (myst-nb)."""
    from myst_nb import glue as _glue

    from .results import _jsonable

    value = _jsonable(value)  # numpy scalars print as "np.float64(…)", which glue cannot format
    run.record(key, value, unit=unit)
    _glue(key, value, display=display)
    return value
