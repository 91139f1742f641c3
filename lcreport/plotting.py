"""One figure style for the whole book."""
from __future__ import annotations

import matplotlib.pyplot as plt

STYLE = {
    "figure.figsize": (7.0, 4.2),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
}

#: one colour per method, so the same method looks the same in every chapter
COLORS = {
    "naive": "#d62728", "sdpa": "#1f77b4", "model": "#555555",
    "rope": "#7f7f7f", "linear": "#ff7f0e", "dynamic": "#2ca02c", "yarn": "#9467bd", "longrope": "#d62728",
}


def use_style() -> None:
    plt.rcParams.update(STYLE)


def subplots(*args, **kwargs):
    """``plt.subplots`` in the book's style."""
    use_style()
    kwargs.setdefault("constrained_layout", True)
    return plt.subplots(*args, **kwargs)
