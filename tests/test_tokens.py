"""Real tokenizers load offline, tokenize as their reference implementations do, and fail clearly."""

import pytest

from lcreport.analysis import tokens as tk
from lcreport.data import texts


@pytest.fixture(scope="module")
def loaded():
    toks, failed = tk.load_tokenizers()
    return toks, failed


def test_ten_tokenizers_load_and_baichuan_says_why_not(loaded):
    toks, failed = loaded
    assert len(toks) == 10
    assert set(failed) == {"Baichuan"}
    assert "architecture baichuan is not supported" in failed["Baichuan"]


def test_gpt2_bpe_is_the_real_gpt2_vocabulary(loaded):
    toks, _ = loaded
    assert toks["GPT-2"].encode("Hello world") == [15496, 995]
    assert toks["GPT-2"].vocab_size == 50257
    assert toks["cl100k_base"].encode("Hello world") == [9906, 1917]


def test_phi3_reproduces_every_llamacpp_reference_tokenization(loaded):
    rate, misses = tk.gguf_match_rate(loaded[0]["Phi-3"], "phi-3")
    assert rate == 1.0, misses


def test_llama3_reproduces_llamacpp_but_for_one_vietnamese_word(loaded):
    rate, misses = tk.gguf_match_rate(loaded[0]["Llama-3"], "llama-bpe")
    assert rate > 0.95
    assert [m["text"] for m in misses] == ["Cửa Việt"]


def test_llama2_differs_from_llamacpp_only_on_leading_whitespace(loaded):
    rate, misses = tk.gguf_match_rate(loaded[0]["Llama-2"], "llama-spm")
    assert 0.5 < rate < 1.0  # the chapter reports this rate; it is not hidden
    assert all(m["text"][:1].isspace() for m in misses), [m["text"] for m in misses if not m["text"][:1].isspace()]
    for m in misses:  # the difference is the SentencePiece dummy-prefix token at the start
        assert m["expected"][1:] == m["got"] or m["expected"][0] in (259, 268, 1678, 29871)


def test_reference_cases_parse(loaded):
    cases = tk.gguf_reference_cases("phi-3")
    assert len(cases) == 47 and all(isinstance(ids, list) for _, ids in cases)


def test_missing_vocabulary_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("LCREPORT_DATA", str(tmp_path))
    with pytest.raises(tk.TokenizerUnavailableError, match="python -m lcreport fetch mistral-vocabs"):
        tk.load_tokenizer("Mistral SentencePiece")


def test_unknown_tokenizer():
    with pytest.raises(KeyError, match="choose from GPT-2"):
        tk.load_tokenizer("GPT-5")


def test_claim_check():
    assert tk.claim_check(1.6, 1.75, 0.15)["holds"]
    assert not tk.claim_check(1.0, 1.75, 0.15)["holds"]
    assert tk.claim_check(1.4, 1.75, 0.15)["relative_error"] == pytest.approx(-0.2)


def test_han_counting():
    assert texts.count_han("子曰：学而时习之，ok 1998") == 7
    assert texts.is_han("龍") and not texts.is_han("。") and not texts.is_han("a")


def test_people_daily_loses_its_tags_but_keeps_its_word_count():
    text, words = texts.people_daily_paragraphs()[0]
    assert text.startswith("迈向充满希望的新世纪——一九九八年新年讲话")
    assert "/" not in text and words == 13  # 16 tagged items, 3 of them punctuation (/w)


def test_passages_are_deterministic_and_long_enough():
    a = texts.passages("Classical Chinese verse", count=4, min_chars=500)
    b = texts.passages("Classical Chinese verse", count=4, min_chars=500)
    assert a == b and all(p.chars >= 500 for p in a)
    with pytest.raises(ValueError, match="only"):
        texts.passages("Classical Chinese prose", count=1000, min_chars=2000)
