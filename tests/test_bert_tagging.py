"""The BERT chapter's token-level experiment: labels from quotation marks, spans, F1, windows, a tiny run."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from lcreport.chapters.c03_bert import tagging as bt
from lcreport.results import COMPARISON_FIELDS, TRIAL_COLUMNS, Run

O, I = bt.O, bt.I  # noqa: E741 - the I/O tags, named as the module names them


#: every test of this module runs torch on one thread (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tokenizer(encoder):
    return encoder[0]


def test_quotation_marks_go_and_label_what_they_enclosed():
    text, quote = bt.strip_quotes('He said, "Yes, I do."\n\n"Well," she said, "no.')
    assert text == "He said, Yes, I do." + bt.PARAGRAPH_MARK + "Well, she said, no."
    inside = "".join(c for c, q in zip(text, quote) if q)
    assert inside == "Yes, I do.Well,no."
    assert sorted(set(quote[quote > 0])) == [1, 2, 3]  # three quotations, the last left open


def test_a_paragraph_break_closes_an_open_quotation():
    text, quote = bt.strip_quotes('"An open speech\n\nNarration follows.')
    assert quote[text.index("Narration")] == 0 and quote[0] == 1


def test_token_tags_follow_the_characters(tokenizer):
    ids, tags = bt.token_tags(tokenizer, 'He said, "yes indeed." Then he left.')
    words = tokenizer.convert_ids_to_tokens(ids.tolist())
    tagged = [w for w, t in zip(words, tags) if t == I]
    assert tagged == ["yes", "indeed", "."] and len(ids) == len(tags)


def test_spans_are_maximal_runs_and_f1_is_exact():
    gold = [O, I, I, O, O, I, I, I, O]
    assert bt.spans(gold) == {(1, 3), (5, 8)}
    assert bt.span_f1(gold, gold) == 1.0
    assert bt.span_f1(gold, [O, I, I, O, O, I, I, O, O]) == 0.5  # one boundary off by a token: that span is lost
    assert bt.span_f1(gold, [O] * 9) == 0.0
    with pytest.raises(ValueError, match="no gold and no predicted span"):
        bt.span_f1([O, O], [O, O])


def test_windows_cover_the_document_and_the_last_is_flush():
    assert bt.window_starts(10, 4, 4) == [0, 4, 6]
    assert bt.window_starts(10, 4, 2) == [0, 2, 4, 6]
    assert bt.window_starts(3, 4, 4) == [0]


class _Echo(torch.nn.Module):
    """A 'tagger' that predicts I for odd token ids, to test how windows are read back."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, input_ids, attention_mask=None):
        logits = torch.stack([(input_ids % 2 == 0).float(), (input_ids % 2 == 1).float()], -1)
        return SimpleNamespace(logits=logits)


def test_predict_reads_every_token_once_whatever_the_windows():
    tok = SimpleNamespace(cls_token_id=100, sep_token_id=102, pad_token_id=0)
    ids = np.arange(1, 24)
    for context, overlap in ((6, 0), (6, 2), (10, 4)):
        assert (bt.predict(_Echo(), tok, ids, context, overlap) == ids % 2).all()
    with pytest.raises(ValueError, match="overlap"):
        bt.predict(_Echo(), tok, ids, 6, 4)


def test_finding_follows_the_interval():
    assert bt.finding({"ci95": [0.01, 0.05]}, 0.02).startswith("the longer context scores higher")
    assert bt.finding({"ci95": [-0.05, -0.01]}, 0.02).startswith("the longer context scores lower")
    assert bt.finding({"ci95": [-0.01, 0.02]}, 0.02).startswith("no detectable difference")


TINY = SimpleNamespace(
    name="test",
    tag_doc_tokens=128,
    tag_test_docs=2,
    tag_contexts=(32, 64),
    tag_overlap=16,
    tag_steps=2,
    tag_batch_tokens=128,
    tag_lr=1e-4,
    tag_seeds=(0,),
    tag_precision="bf16",
)


def test_a_tagger_is_cached_and_a_damaged_one_fine_tuned_again(tokenizer, tmp_path, monkeypatch):
    monkeypatch.setenv("LCREPORT_CACHE", str(tmp_path))
    corpus = bt.build_corpus(tokenizer, TINY.tag_doc_tokens, TINY.tag_test_docs)
    made, cached1 = bt.trained_tagger(tokenizer, corpus, TINY, 0, "cpu")
    loaded, cached2 = bt.trained_tagger(tokenizer, corpus, TINY, 0, "cpu")
    assert (cached1, cached2) == (False, True)
    ids = corpus.test[0][0]
    assert np.array_equal(bt.predict(made, tokenizer, ids, 64), bt.predict(loaded, tokenizer, ids, 64))
    for name, value in made.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[name]), name
    (weights,) = tmp_path.glob("tagger/*/model.safetensors")
    weights.write_bytes(weights.read_bytes()[:-8])
    logs = []
    _, cached3 = bt.trained_tagger(tokenizer, corpus, TINY, 0, "cpu", log=logs.append)
    assert cached3 is False and "hash" in logs[0]
    assert bt.trained_tagger(tokenizer, corpus, TINY, 1, "cpu")[1] is False  # another seed: another tagger


def test_a_tiny_run_records_trials_comparisons_and_figures(tokenizer, tmp_path, monkeypatch):
    monkeypatch.setenv("LCREPORT_CACHE", str(tmp_path))
    P = SimpleNamespace(
        name="test",
        tag_doc_tokens=128,
        tag_test_docs=2,
        tag_contexts=(32, 64),
        tag_overlap=16,
        tag_steps=2,
        tag_batch_tokens=128,
        tag_lr=1e-4,
        tag_seeds=(0,),
        tag_precision="bf16",
    )
    run = Run("bert", P, torch.device("cpu"), seed=0)
    result = bt.run_tagging(run, tokenizer)
    assert result.table.index.tolist() == ["chunks 32", "chunks 64", "sliding 64/16"]
    assert len(run.trials) == 3 * 2 and all(set(TRIAL_COLUMNS) <= set(t) and t["metric"] == "f1" for t in run.trials)
    assert [c["id"] for c in run.comparisons] == [
        "token_f1_chunks_32_vs_chunks_64",
        "token_f1_chunks_64_vs_sliding_64_16",
    ]
    assert all(set(COMPARISON_FIELDS) <= set(c) for c in run.comparisons)
    f = result.figures
    assert f["tokf1_gain"]["n"] == 2 and 0 <= f["tokf1_512"]["value"] <= 1 and f["tag_train_tokens"] == 256


def test_a_tagger_folder_transformers_cannot_read_is_corrupt_not_a_crash(tmp_path):
    from lcreport.cache import CorruptCacheError
    from lcreport.chapters.c03_bert.tagging import _load_tagger_folder

    (tmp_path / "config.json").write_text("{ not json")
    with pytest.raises(CorruptCacheError, match="cannot load the cached tagger"):
        _load_tagger_folder(tmp_path, "cpu")
