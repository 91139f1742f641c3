"""The tokens chapter's sections, on stand-in tokenizers whose ratios are known in advance."""

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import pytest
from matplotlib.figure import Figure

from lcreport.analysis import tokens as tk
from lcreport.chapters import c02_tokens as ch
from lcreport.claims.rules import HAN_PER_TOKEN_CLAIMED, HAN_PER_TOKEN_TOLERANCE
from lcreport.data.texts import Passage


def fixed_ratio(name: str, chars_per_token: float) -> tk.Tokenizer:
    """A stand-in tokenizer that spends one token on every ``chars_per_token`` characters."""
    return tk.Tokenizer(name, lambda t: list(range(round(len(t) / chars_per_token))), 1000)


TOKS = {"dense": fixed_ratio("dense", 1.75), "GPT-2": fixed_ratio("GPT-2", 1.0)}
PASSAGES = [
    Passage(ch.ENGLISH, "word " * 140, 140),  # 700 characters, 140 words
    Passage(ch.NEWS, "汉" * 700, 350),  # 700 Han characters, 350 segmented words
    Passage(ch.NEWS, "汉" * 560 + "。" * 140, 350),  # 700 characters, 560 of them Han
    Passage("Classical Chinese prose", "子" * 700, None),
    Passage("Classical Chinese verse", "诗" * 700, None),
]
PROFILE = SimpleNamespace(token_passages=1, token_passage_chars=700, token_speed_chars=5000)


@pytest.fixture(scope="module")
def counted():
    return ch.passage_section(TOKS, PASSAGES, PROFILE)


def test_passage_figures_name_the_best_and_worst_tokenizer(counted):
    counts, summary, figures = counted
    assert len(counts) == len(TOKS) * len(PASSAGES)
    assert figures["passage_chars"] == 700 and figures["passages_per_source"] == 1
    assert figures["zh_chars_per_token_max"] == pytest.approx(1.75)
    assert figures["zh_chars_per_token_min"] == pytest.approx(1.0)
    assert (figures["zh_best_tokenizer"], figures["zh_worst_tokenizer"]) == ("dense", "GPT-2")
    assert figures["en_tokens_per_word_max"] == pytest.approx(5.0)  # 5 characters per word, 1 per token
    assert ch.median_table(summary).loc["GPT-2", ch.ENGLISH] == 1.0


def test_han_verdict_counts_each_definition_of_characters(counted):
    counts, _, _ = counted
    table, figures = ch.han_per_token_section(counts)
    assert figures["claim175_n_tokenizers"] == 2
    assert figures["claim175_holds_for"] == "dense" and figures["claim175_n_holds"] == 1
    # 汉字 only: dense holds 1.75 on the all-Han passage and 1.4 on the other, median 1.575 (−10%)
    assert figures["han_per_token_by_tokenizer"] == pytest.approx({"dense": 1.575, "GPT-2": 0.9})
    assert figures["han_per_token"] == figures["han_per_token_by_tokenizer"]
    assert figures["claim175_holds_for_han"] == "dense"
    assert figures["zh_chars_per_token_by_tokenizer"] == pytest.approx({"dense": 1.75, "GPT-2": 1.0})
    assert figures["han_per_token_min"] == pytest.approx(0.9) and figures["chars_per_token_zh_max"] == pytest.approx(
        1.75
    )
    assert figures["claim175_worst_error"] == pytest.approx(1 / 1.75 - 1)
    assert list(table.index) == ["dense", "GPT-2"]  # sorted by measured characters per token


def test_per_tokenizer_intervals_hold_the_median_and_its_bootstrap_interval(counted):
    counts, _, _ = counted
    _, figures = ch.han_per_token_section(counts)
    every, han = figures["zh_chars_per_token_ci"], figures["han_per_token_ci"]
    assert set(every) == set(han) == set(TOKS)
    assert every["dense"]["value"] == pytest.approx(1.75) and every["dense"]["n"] == 2
    assert han["dense"]["ci95"][0] <= han["dense"]["value"] <= han["dense"]["ci95"][1]
    assert figures["claim175_claimed"] == HAN_PER_TOKEN_CLAIMED
    spread = ch.median_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    assert spread["value"] == 3.0 and spread["ci95"][0] < 3.0 < spread["ci95"][1] and spread["n"] == 5


def test_novels_are_counted_in_every_tokenizer_and_the_article_novel_converted(counted):
    counts, _, _ = counted
    novels = [SimpleNamespace(key="austen/Short", text="a" * 700), SimpleNamespace(key="austen/Long", text="b" * 1400)]
    table, figures = ch.novel_section(TOKS, counts, novels)
    assert table.loc["Long", "GPT-2"] == 1400 and table.loc["Short", "dense"] == 400
    assert (figures["novel_longest_title"], figures["novel_longest_tokenizer"]) == ("Long", "GPT-2")
    assert figures["novel_tokens_longest"] == 1400
    # the article's 400,000 字 in the tokenizer with the fewest characters per token (GPT-2 here: 1 per token)
    assert figures["seed003_novel_tokenizer"] == "GPT-2"
    assert figures["seed003_novel_tokens_max"]["value"] == pytest.approx(400_000)
    assert figures["novels_per_window_min"] == pytest.approx(2_000_000 / 400_000)


def test_the_threshold_is_the_claims_rule():
    assert (HAN_PER_TOKEN_CLAIMED, HAN_PER_TOKEN_TOLERANCE) == (1.75, 0.15)
    edge = tk.Tokenizer("edge", lambda t: list(range(round(len(t) / (1.75 * 0.84)))), 1000)
    counts = tk.count_table({"edge": edge}, [Passage(ch.NEWS, "汉" * 1470, 1)])
    assert ch.han_per_token_section(counts)[1]["claim175_n_holds_han"] == 0  # 16% short of 1.75


def test_vendor_figures_span_the_measured_ratios(counted):
    counts, _, _ = counted
    vendor, figures = ch.vendor_section(counts)
    assert figures["kimi_tokens_low"] == pytest.approx(2_000_000 / 1.75)
    assert figures["kimi_tokens_high"] == pytest.approx(2_000_000)
    assert figures["seed003_han_high"] == pytest.approx(350_000)
    assert figures["qwen_over_kimi"] == 5 == figures["qwen_over_kimi_claimed"]
    assert (figures["kimi_chars"], figures["qwen_chars"]) == (2_000_000, 10_000_000)
    assert (figures["gpt4t_tokens"], figures["seed003_tokens"]) == (128_000, 200_000)
    assert list(vendor.index) == [c for c, *_ in ch.VENDOR_FIGURES]
    assert vendor.loc["C000-1", "own tokenizer"] == "not public"  # Kimi's tokenizer is not published
    assert vendor.loc["C000-2", "own tokenizer"] == "cl100k_base"
    ratios = ch.per_tokenizer_median(counts, ch.NEWS, "chars_per_token").astype(float)
    if "cl100k_base" in ratios.index:  # GPT-4-turbo's 128K tokens, converted with its own tokenizer
        assert figures["gpt4t_han_own"] == pytest.approx(128_000 * ratios["cl100k_base"])
    from lcreport.tables import to_html

    assert "1,142,857<" in to_html(ch.whole_numbers(vendor))  # 2,000,000 / 1.75, no decimals


def test_gpt2_window_words(counted):
    counts, _, _ = counted
    figures = ch.gpt2_window_words(counts)
    assert figures == pytest.approx(
        {"gpt2_tokens_per_word": 5.0, "gpt2_words_in_1024": 1024 / 5, "gpt2_positions": 1024}
    )


def test_speed_text_and_section():
    text = ch.speed_text(PASSAGES[:2], 2000)
    assert len(text) == 2000 and text.startswith("word ")
    speed, figures = ch.speed_section(TOKS, PASSAGES[:2], PROFILE)
    assert figures["speed_chars"] == 5000
    assert set(speed.index) == set(TOKS) and figures["speed_fastest"] == speed.index[0]
    assert figures["speed_ratio"] >= 1
    assert speed.loc["GPT-2", "tokens"] == 5000


def test_failures_print_one_line_each_and_nothing_when_all_load():
    assert ch.load_failures({}) == ""
    assert ch.load_failures({"A": "gone", "B": "missing"}) == "A: gone\nB: missing\n"


def test_gguf_section_reports_rates_and_misses(monkeypatch):
    monkeypatch.setattr(tk, "gguf_reference_cases", lambda stem: [("a", [1]), ("b" * 40, [2])])
    always_one = tk.Tokenizer("x", lambda t: [1], 10)
    table, figures = ch.gguf_section({name: always_one for name in ch.GGUF_REFERENCES})
    assert figures == {"gguf_match_llama2": 0.5, "gguf_match_llama3": 0.5, "gguf_match_phi3": 0.5}
    assert table.loc["Phi-3", "exact matches"] == "50.0%"
    assert table.loc["Phi-3", "mismatched inputs"] == repr("b" * ch.GGUF_MISS_CHARS)


def test_catalogue_and_sample_counts():
    catalogue = ch.tokenizer_catalogue({"GPT-2": TOKS["GPT-2"]})
    assert list(catalogue.index) == list(tk.TOKENIZERS)
    assert catalogue.loc["GPT-2", "status"] == "loaded" and catalogue.loc["Qwen", "vocabulary"] == "–"
    samples = ch.sample_counts(TOKS)
    assert (samples.loc["GPT-2"] == samples.loc["characters"]).all()


def test_chars_per_token_plot_returns_its_figure(counted):
    _, summary, _ = counted
    fig = ch.plot_chars_per_token(summary, list(TOKS))
    assert isinstance(fig, Figure)
    assert "seed 003: 1.75 Chinese characters per token" in [t.get_text() for t in fig.legends[0].get_texts()]
