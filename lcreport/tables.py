"""Tables as a reader sees them: every DataFrame a chapter shows is rendered here.

``notebook.start_chapter`` registers :func:`to_html` as IPython's HTML formatter for pandas
DataFrames (and Stylers), so no chapter formats a table by hand and every table of the book
follows one set of rules:

- no 0..n index (a meaningful index becomes the first column);
- headers in words, with units: ``median_s`` → "median (s)", ``kv_gib`` → "kv (GiB)";
- numbers at a sensible precision with thousands separators (``16,384``, ``76.3``, ``0.0251``),
  never ``5.12e+08`` (large and tiny numbers are written ``5.12×10⁸``);
- a column named as a share (``attention share at 512``, ``share of trials``) whose values lie in
  [0, 1] is shown in percent (``2.0%``), as the prose speaks of it;
- yes/no instead of True/False, a dash for a missing value, lists joined with commas;
- Markdown code spans in a cell (``\\`x <| y\\```) shown as code, not as backticks;
- TeX in a cell (``\\times``, ``\\text{…}``) typeset by MathJax, not shown as source;
- the table sits in a horizontally scrollable box (``book/_static/lcreport.css``), so a wide
  table never makes the page wider than a phone's screen.

The plain-text form (``text/plain``) stays pandas' own, so a notebook read in a terminal or
compared by nbval is unchanged.
"""

from __future__ import annotations

import html
import math
import numbers
import re

#: header suffixes that name a unit, and how the header shows it
UNITS = {
    "_s": "s",
    "_ms": "ms",
    "_us": "µs",
    "_gib": "GiB",
    "_mib": "MiB",
    "_gb": "GB",
    "_mb": "MB",
    "_gflops": "GFLOP/s",
    "_tflops": "TFLOP/s",
    "_per_s": "/s",
    "_pct": "%",
    "_min": "min",
}
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_TEX = re.compile(r"\\[A-Za-z]+|\^\{")
_CODE = re.compile(r"`([^`]+)`")


def column_label(name) -> str:
    """``tokens_per_s`` → "tokens /s"; ``median_s`` → "median (s)"; a label with spaces is kept."""
    if isinstance(name, tuple):
        return " · ".join(column_label(n) for n in name if str(n))
    text = str(name)
    if " " in text or not text:
        return text
    for suffix, unit in sorted(UNITS.items(), key=lambda kv: -len(kv[0])):
        if text.lower().endswith(suffix) and len(text) > len(suffix):
            stem = text[: -len(suffix)].replace("_", " ")
            return f"{stem} {unit}" if unit.startswith("/") else f"{stem} ({unit})"
    return text.replace("_", " ")


def number_text(value: float) -> str:
    """A number for a table: thousands separators, about three significant digits, no e-notation."""
    v = float(value)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    a = abs(v)
    if v == 0:
        return "0"
    if a >= 1e15 or a < 1e-3:
        mantissa, exponent = f"{v:.2e}".split("e")
        return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    if v.is_integer() or a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:,.1f}"
    return f"{v:.3g}"


def cell_text(value) -> tuple[str, bool]:
    """(HTML of one cell, whether it is numeric)."""
    import numpy as np

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–", False
    if isinstance(value, (bool, np.bool_)):
        return ("yes" if value else "no"), False
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}", True
    if isinstance(value, numbers.Real):
        return number_text(value), True
    if isinstance(value, (list, tuple, np.ndarray)):
        parts = [cell_text(v)[0] for v in value]
        text = ", ".join(parts)
        return (f"[{text}]" if isinstance(value, tuple) and len(value) == 2 else text), False
    if isinstance(value, dict):
        return "; ".join(f"{html.escape(str(k))}: {cell_text(v)[0]}" for k, v in value.items()), False
    text = str(value)
    if _TEX.search(text):  # TeX from a source article: typeset inline by MathJax
        return f"\\({html.escape(text)}\\)", False
    return _CODE.sub(r"<code>\1</code>", html.escape(text)), False


def _is_number(value) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and math.isnan(value))
    )


def is_share_column(name, values) -> bool:
    """A column that holds shares: 'share' in its name, every number in [0, 1]."""
    numbers_ = [v for v in values if _is_number(v)]
    return "share" in str(name).lower() and bool(numbers_) and all(0 <= float(v) <= 1 for v in numbers_)


def percent_text(value) -> str:
    """0.02514 → "2.5%"; 0.9967 → "99.7%"; 1 → "100%"."""
    v = 100 * float(value)
    return f"{v:.0f}%" if v.is_integer() else f"{v:.1f}%"


def to_html(table) -> str:
    """The reader's HTML of a DataFrame or Styler (the Styler's own formats are not used)."""
    import pandas as pd

    frame = table.data if hasattr(table, "data") and not isinstance(table, pd.DataFrame) else table
    if not isinstance(frame.index, pd.RangeIndex):
        names = [n for n in frame.index.names]
        frame = frame.reset_index(
            names=[n if n is not None else "" for n in names] if len(names) > 1 else (names[0] or "")
        )
    head = "".join(f"<th>{html.escape(column_label(c))}</th>" for c in frame.columns)
    percent = (
        [is_share_column(c, frame[c]) for c in frame.columns]
        if frame.columns.is_unique
        else [False] * len(frame.columns)
    )
    rows = []
    for record in frame.itertuples(index=False, name=None):
        cells = []
        for value, as_percent in zip(record, percent):
            text, numeric = (percent_text(value), True) if as_percent and _is_number(value) else cell_text(value)
            cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<div class="lcreport-table-wrap"><table class="lcreport-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def register(shell) -> None:
    """Make :func:`to_html` the HTML form of every DataFrame and Styler shown in ``shell``."""
    import pandas as pd
    from pandas.io.formats.style import Styler

    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type(pd.DataFrame, to_html)
    formatter.for_type(Styler, to_html)
