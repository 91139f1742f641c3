"""One figure style for the whole book, sized for a phone as well as a laptop.

Figures are inline SVG (``notebook.start_chapter``) with their text kept as text
(``svg.fonttype: none``), so a reader can select it and a browser test can read its size. A figure
is at most ``WIDTH`` inches wide and its smallest text ``MIN_FONT`` points: on a 390 px phone, where
the page column is about 358 px, the figure is shrunk to fit and its smallest text is still about
9.9 px (``MIN_FONT × 358 / (72 × WIDTH)``). Panels are stacked, never placed side by side.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

#: inches; the widest figure of the book (a one-column figure)
WIDTH = 5.0
#: points; the smallest text of any figure (tick labels, legends)
MIN_FONT = 10
#: inches; the height of one panel
PANEL_HEIGHT = 3.3

STYLE = {
    "figure.figsize": (WIDTH, PANEL_HEIGHT),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "svg.fonttype": "none",
    "font.size": MIN_FONT,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": MIN_FONT,
    "xtick.labelsize": MIN_FONT,
    "ytick.labelsize": MIN_FONT,
    "legend.fontsize": MIN_FONT,
    "legend.title_fontsize": MIN_FONT,
    "legend.frameon": True,
    "legend.framealpha": 0.85,
    "legend.edgecolor": "none",
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
}

#: one colour per method, so the same method looks the same in every chapter
COLORS = {
    "naive": "#d62728",
    "sdpa": "#1f77b4",
    "model": "#555555",
}


def use_style() -> None:
    plt.rcParams.update(STYLE)


def subplots(nrows: int = 1, ncols: int = 1, **kwargs):
    """``plt.subplots`` in the book's style: panels stacked in one column, ``WIDTH`` wide.

    ``ncols`` > 1 is refused: side-by-side panels are unreadable on a phone. ``figsize`` may set the
    height (its width is capped at ``WIDTH``).
    """
    if ncols != 1:
        raise ValueError(f"subplots(ncols={ncols}): the book stacks panels in one column (use nrows)")
    use_style()
    kwargs.setdefault("constrained_layout", True)
    width, height = kwargs.pop("figsize", (WIDTH, PANEL_HEIGHT * nrows))
    kwargs["figsize"] = (min(width, WIDTH), height)
    return plt.subplots(nrows, 1, **kwargs)


def _plain(value, _pos=None) -> str:
    """A tick label without powers: 256, 4,096, 50, 0.5, and 1/256 for a small reciprocal."""
    if value >= 1:
        return f"{value:,.0f}"
    if value > 0 and abs(1 / value - round(1 / value)) < 1e-9 and 1 / value >= 8:
        return f"1/{round(1 / value):,}"
    return f"{value:g}"


def log_x(ax, base: int = 2) -> None:
    """A logarithmic x axis whose ticks are plain numbers (256, 512, 1,024 …)."""
    ax.set_xscale("log", base=base)
    _readable_log(ax.xaxis, base)


def log_y(ax, base: int = 10) -> None:
    """A logarithmic y axis with ticks at 1, 2, 3, 5 and 7 of each decade (or every power of ``base``), as plain
    numbers."""
    ax.set_yscale("log", base=base)
    _readable_log(ax.yaxis, base)


def _readable_log(axis, base: int) -> None:
    subs = (1.0, 2.0, 3.0, 5.0, 7.0) if base == 10 else (1.0,)  # at least two ticks within any factor of 3
    axis.set_major_locator(LogLocator(base=base, subs=subs))
    axis.set_major_formatter(FuncFormatter(_plain))
    axis.set_minor_formatter(NullFormatter())


#: the longest legend label (characters) that still fits two legend columns in a WIDTH-wide figure
TWO_COLUMN_LABEL = 24


def legend_below(fig, ax=None, handles=None, **kwargs):
    """The figure's legend below its axes (it covers no data), in two columns when the labels are
    short enough to fit ``WIDTH``, else one. Uses the handles of ``ax`` (default: the first axes)."""
    if handles is None:
        handles, labels = (ax or fig.axes[0]).get_legend_handles_labels()
    else:
        labels = [h.get_label() for h in handles]
    ncols = 2 if max((len(str(label)) for label in labels), default=0) <= TWO_COLUMN_LABEL else 1
    return fig.legend(handles, labels, loc="outside lower center", ncols=ncols, **kwargs)
