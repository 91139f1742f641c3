"""The book's figure style: phone-sized, stacked, readable log axes, legends below the data."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from lcreport import plotting  # noqa: E402


def test_panels_are_stacked_and_no_figure_is_wider_than_the_column():
    fig, axes = plotting.subplots(3, figsize=(9, 7))
    assert len(axes) == 3 and fig.get_size_inches()[0] == plotting.WIDTH
    with pytest.raises(ValueError, match="stacks panels"):
        plotting.subplots(1, 2)


def test_log_axes_tick_plain_numbers():
    fig, ax = plotting.subplots()
    ax.plot([256, 4096], [40, 900])
    plotting.log_x(ax)
    plotting.log_y(ax)
    fig.canvas.draw()
    xs = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    ys = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "1,024" in xs and not any("^" in t or "10" == t[:2] and "$" in t for t in xs), xs
    assert {"50", "70", "100", "200", "300", "500"} <= set(ys), ys  # several ticks per decade


def test_legend_columns_follow_the_label_length():
    fig, ax = plotting.subplots()
    ax.plot([1, 2], label="short")
    ax.plot([1, 2], label="also short")
    assert plotting.legend_below(fig, ax)._ncols == 2
    fig, ax = plotting.subplots()
    ax.plot([1, 2], label="a label far too long for two columns")
    assert plotting.legend_below(fig, ax)._ncols == 1


def test_smallest_text_is_readable_on_a_phone():
    """At a 358 px column the smallest text is at least 9 px (the browser test measures the same)."""
    plotting.use_style()
    smallest = min(
        matplotlib.rcParams[k]
        for k in ("font.size", "xtick.labelsize", "ytick.labelsize", "legend.fontsize", "axes.labelsize")
    )
    assert smallest * 358 / (72 * plotting.WIDTH) >= 9


def test_small_tick_values_read_as_fractions():
    assert [plotting._plain(v) for v in (4096, 0.5, 0.25, 1 / 256, 0.3)] == ["4,096", "0.5", "0.25", "1/256", "0.3"]
