"""The figures of LongRoPE part 1: training loss, plain RoPE beyond L, every method by length, the searched
rescale factors, and the search's convergence. Each returns its matplotlib Figure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...models import rope as rp
from ...plotting import legend_below, log_x, log_y, subplots


def plot_training_loss(history: pd.DataFrame, n_params: int, L: int):
    """Training loss against tokens seen."""
    fig, ax = subplots()
    ax.plot(history.tokens / 1e6, history.loss)
    ax.set_xlabel("training tokens (millions)")
    ax.set_ylabel("training loss (nats/token, weighted)")
    ax.set_title(f"Training the {n_params / 1e6:.1f}M-parameter Llama\nat L = {L}")
    return fig


def plot_plain_rope(plain: pd.DataFrame, L: int):
    """Plain RoPE's perplexity (all tokens and last L tokens) against the evaluation length."""
    fig, ax = subplots()
    ax.plot(plain.index, plain["ppl (all tokens)"], marker="o", label="all tokens", color=rp.COLOURS["rope"])
    ax.plot(
        plain.index, plain["ppl (last L tokens)"], marker="s", ls="--", label="last L tokens", color=rp.COLOURS["rope"]
    )
    ax.axvline(L, color="k", ls=":", lw=1, label="training length L")
    log_x(ax)
    log_y(ax)
    ax.set_xlabel("evaluation length (tokens, log scale)")
    ax.set_ylabel("perplexity on held-out books (log scale)")
    ax.set_title("Plain RoPE beyond its training length")
    ax.legend()
    return fig


def plot_methods(results: pd.DataFrame, L: int, emphasised: str):
    """Two panels, perplexity over all tokens and over the last L tokens, every method by length, with
    95% intervals; LongRoPE searches other than ``emphasised`` are drawn fainter."""
    fig, axes = subplots(2, figsize=(5.0, 7.6), sharex=True)
    for ax, (col, lo, hi, title) in zip(
        axes, [("ppl all", "all lo", "all hi", "all tokens"), ("ppl last L", "last lo", "last hi", "last L tokens")]
    ):
        for label, g in results.groupby("method", sort=False):
            strong = label == emphasised or g.kind.iloc[0] != "longrope"
            ax.errorbar(
                g.scale * L,
                g[col],
                yerr=[g[col] - g[lo], g[hi] - g[col]],
                marker="o",
                capsize=3,
                label=label,
                color=rp.COLOURS.get(g.kind.iloc[0]),
                alpha=0.9 if strong else 0.5,
            )
        log_x(ax)
        log_y(ax)
        ax.set_ylabel(f"perplexity, {title}")
        ax.set_title(f"Perplexity over {title}")
    axes[1].set_xlabel("evaluation length (tokens, log scale)")
    legend_below(fig, axes[1])
    return fig


def plot_searched_factors(searches: dict, spec, scales, search_seeds, chosen: dict):
    """One panel per scale: the searched λᵢ of every search seed against PI's, NTK's and YaRN's; the
    search chosen on validation (``chosen``: scale → seed) drawn solid."""
    dim = spec.hidden // spec.heads
    L = spec.train_length
    fig, axes = subplots(len(scales), figsize=(5.0, 3.0 * len(scales) + 1.2), sharex=True)
    i_idx = np.arange(dim // 2)
    for ax, s in zip(np.atleast_1d(axes), scales):
        for method in rp.FACTOR_FUNCTIONS:
            ax.plot(
                i_idx,
                rp.FACTOR_FUNCTIONS[method](s, dim, spec.rope_theta, L),
                color=rp.COLOURS[method],
                label=rp.SHORT[method],
            )
        for sd in search_seeds:
            r = searches[(s, sd)]
            ax.plot(
                i_idx,
                r.best.factors,
                color=rp.COLOURS["longrope"],
                ls="-" if sd == chosen[s] else "--",
                label=f"searched (seed {sd}, n̂={r.best.n_hat}{', chosen' if sd == chosen[s] else ''})",
            )
        ax.set_title(f"s = {s}")
        ax.set_ylabel("rescale factor λᵢ")
    np.atleast_1d(axes)[-1].set_xlabel("frequency index i (high → low frequency)")
    legend_below(fig, np.atleast_1d(axes)[0])
    return fig


def plot_convergence(searches: dict):
    """Best search perplexity against fitness evaluations, one line per (scale, search seed)."""
    fig, ax = subplots()
    for (s, sd), r in searches.items():
        h = pd.DataFrame(r.history)
        ax.plot(h.evaluations, h.best, marker=".", label=f"s={s}, seed {sd}")
    log_y(ax)
    ax.set_xlabel("fitness evaluations")
    ax.set_ylabel("best search perplexity (log scale)")
    ax.set_title("Convergence of the evolutionary search")
    legend_below(fig, ax)
    return fig
