"""What every chapter notebook does first and last: resolve the run once, seed, glue, save."""

from __future__ import annotations

import random

import numpy as np
import torch

from .device import resolve_device
from .profiles import get_profile, requested_profile
from .results import Run, jsonable


def start_chapter(
    chapter: str, profile: str = "cpu", device: str = "auto", seed: int = 0, float_format: str = ",.3g"
) -> Run:
    """Resolve the notebook's parameters once (profile, device, seed), seed every generator, return the Run.

    The Run carries the frozen ``Profile`` (``run.profile``) and the ``torch.device``
    (``run.device``) that every later call receives; nothing else reads the parameters again.
    Also sets the book's table and figure style, so that no notebook repeats it.
    """
    import pandas as pd

    from .plotting import use_style

    prof = get_profile(requested_profile(profile))
    dev = resolve_device(device)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    pd.set_option("display.float_format", lambda v: format(v, float_format))
    pd.set_option("display.max_colwidth", 120)
    use_style()
    _figures_as_svg()
    _tables_for_readers()
    return Run(chapter=chapter, profile=prof, device=dev, seed=seed)


def _figures_as_svg() -> None:
    """Inline figures as SVG (sharp at any zoom on the site), without the date matplotlib stamps in
    them and with fixed element ids, so that a re-executed notebook differs only where a figure does."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    if get_ipython() is None:  # not in a kernel (unit tests, scripts)
        return
    import matplotlib
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    matplotlib.rcParams["svg.hashsalt"] = "lcreport"
    # bbox_inches=None: the SVG is exactly the figure's size (constrained layout keeps every label
    # inside it), so a figure is never wider than plotting.WIDTH and its text never smaller on a phone
    set_matplotlib_formats("svg", metadata={"Date": None}, bbox_inches=None)


def _tables_for_readers() -> None:
    """Every DataFrame the chapter shows is rendered by ``lcreport.tables`` (formatted numbers, no index)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        from .tables import register

        register(shell)


def provenance_table(run: Run):
    import pandas as pd

    p = run.provenance()
    rows = {
        "profile": p["profile"],
        "device": p["device"],
        "machine": p["machine"],
        "seed": p["seed"],
        **{k: v for k, v in p["versions"].items()},
        "lcreport source hash": p["lcreport_source_hash"],
        "git commit": p["git_commit"][:12],
        "started (UTC)": p["started_utc"],
    }
    # every value as text: a seed or a version is a name here, not a quantity to right-align
    return pd.DataFrame({"value": {k: str(v) for k, v in rows.items()}}).rename_axis("provenance")


def glue(run: Run, key: str, value, *, unit: str | None = None, ci95=None, n: int | None = None, display: bool = False):
    """Record a key figure in the results file and glue it for the prose (myst-nb)."""
    from myst_nb import glue as _glue

    value = jsonable(value)  # numpy scalars print as "np.float64(…)", which glue cannot format
    run.record(key, value, unit=unit, ci95=ci95, n=n)
    _glue(key, value, display=display)
    if ci95 is not None:  # the interval and the sample size, for the prose: {glue:text}`key_lo` …
        _glue(f"{key}_lo", float(ci95[0]), display=False)
        _glue(f"{key}_hi", float(ci95[1]), display=False)
    if n is not None:
        _glue(f"{key}_n", int(n), display=False)
    return value


def glue_all(run: Run, figures: dict) -> None:
    """Glue every entry of ``figures`` (name → value, or name → {"value", "ci95", "n"})."""
    for key, value in figures.items():
        if isinstance(value, dict) and "value" in value and set(value) <= {"value", "ci95", "n", "unit"}:
            glue(run, key, value["value"], ci95=value.get("ci95"), n=value.get("n"), unit=value.get("unit"))
        else:
            glue(run, key, value)


def glue_comparisons(run: Run) -> None:
    """Glue every paired comparison the chapter recorded, for its findings and prose:
    ``cmp_<id>`` (the difference b − a), ``cmp_<id>_lo`` / ``_hi`` (its 95% interval), ``cmp_<id>_n``
    and, for an exact test, ``cmp_<id>_p``; with a smallest detectable difference, ``cmp_<id>_mde``. Nothing is
    recorded twice: the comparisons are already in
    ``results/<chapter>.json``."""
    from myst_nb import glue as _glue

    for c in run.comparisons:
        key = f"cmp_{c['id']}"
        _glue(key, float(c["diff"]), display=False)
        _glue(f"{key}_lo", float(c["ci95"][0]), display=False)
        _glue(f"{key}_hi", float(c["ci95"][1]), display=False)
        _glue(f"{key}_n", int(c["n"]), display=False)
        if c.get("p") is not None:
            _glue(f"{key}_p", float(c["p"]), display=False)
        if c.get("detectable") is not None:
            _glue(f"{key}_mde", float(c["detectable"]), display=False)


def glue_verdicts(table) -> None:
    """Glue each claim's verdict in ``table`` (a verdict table or the ledger: columns ``id`` and ``verdict``) as
    ``verdict_<id>`` with ``-`` as ``_`` (``verdict_C002_4``), so that prose names a verdict without typing it.
    Nothing is recorded: a verdict is computed from the results, not a result."""
    from myst_nb import glue as _glue

    for row in table.itertuples():
        _glue(f"verdict_{row.id.replace('-', '_')}", str(row.verdict), display=False)
