"""The reader's tables: numbers, headers, index and markup as lcreport.tables renders them."""

import numpy as np
import pandas as pd
import pytest

from lcreport.tables import cell_text, column_label, number_text, to_html


@pytest.mark.parametrize(
    "value, text",
    [
        (16384, "16,384"),
        (16384.0, "16,384"),
        (512000000.0, "512,000,000"),
        (76.345, "76.3"),
        (1.375, "1.38"),
        (0.02514, "0.0251"),
        (1234.56, "1,235"),
        (256.25, "256.2"),
        (0.0, "0"),
        (3.2e-05, "3.20×10⁻⁵"),
        (2.5e17, "2.50×10¹⁷"),
        (float("nan"), "–"),
        (-0.5, "-0.5"),
    ],
)
def test_numbers_read_like_a_paper(value, text):
    assert number_text(value) == text


def test_no_e_notation_and_no_python_literals():
    for value in (5.12e8, 1e-4, np.float64(3.5e12), True, np.bool_(False), None):
        text, _ = cell_text(value)
        assert "e+" not in text and "e-" not in text and text not in {"True", "False", "None"}, text
    assert cell_text(True)[0] == "yes" and cell_text(np.bool_(False))[0] == "no"
    assert cell_text((0.1, 0.25))[0] == "[0.1, 0.25]"


@pytest.mark.parametrize(
    "name, label",
    [
        ("median_s", "median (s)"),
        ("tokens_per_s", "tokens /s"),
        ("kv_gib", "kv (GiB)"),
        ("han_per_token", "han per token"),
        ("KV GiB, GQA 8B (high)", "KV GiB, GQA 8B (high)"),
    ],
)
def test_headers_in_words_with_units(name, label):
    assert column_label(name) == label


def test_default_index_dropped_named_index_kept_as_a_column():
    plain = to_html(pd.DataFrame({"a": [1, 2]}))
    assert "<th>a</th>" in plain and "<th></th>" not in plain and plain.count("<tr>") == 3
    named = to_html(pd.DataFrame({"tokens": [5]}, index=pd.Index(["GPT-2"], name="tokenizer")))
    assert "<th>tokenizer</th><th>tokens</th>" in named and "<td>GPT-2</td>" in named


def test_tex_is_typeset_and_html_escaped():
    text, _ = cell_text(r"\text{Context Window Size} = \text{Layer Depth} \times \text{Hidden Units}")
    assert text.startswith("\\(") and text.endswith("\\)")
    assert cell_text("a < b")[0] == "a &lt; b"
    assert cell_text("O(n^2 * d)")[0] == "O(n^2 * d)"  # no TeX command: left as text
    assert cell_text("the line `1 <| input_ids` fails")[0] == "the line <code>1 &lt;| input_ids</code> fails"


def test_numeric_cells_are_marked_for_right_alignment_and_wrapped_for_scrolling():
    html = to_html(pd.DataFrame({"model": ["x"], "n": [4096]}))
    assert '<td class="num">4,096</td>' in html and "<td>x</td>" in html
    assert html.startswith('<div class="lcreport-table-wrap">')


def test_a_styler_is_rendered_from_its_data():
    html = to_html(pd.DataFrame({"flag": [True]}).style)
    assert "<td>yes</td>" in html


def test_share_columns_in_percent_only_when_they_are_shares():
    html = to_html(pd.DataFrame({"attention share at 512": [0.02514, 1.0], "ratio": [0.02514, 3.0]}))
    assert '<td class="num">2.5%</td>' in html and '<td class="num">100%</td>' in html
    assert '<td class="num">0.0251</td>' in html  # not a share column: a plain number
    not_shares = to_html(pd.DataFrame({"share of tokens": [0.5, 2.0]}))
    assert "%" not in not_shares  # a value above 1 is not a share
