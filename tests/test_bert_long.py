"""Windows cover every token, overlap as asked, pool to one vector; too-long input fails clearly."""

import numpy as np
import pytest
import torch

from lcreport.models import bert as bl

TEXT = " ".join(f"word{i}" for i in range(700))


def test_sliding_windows_cover_every_token_with_the_requested_overlap(encoder):
    tokenizer, _ = encoder
    all_ids = tokenizer(TEXT, add_special_tokens=False)["input_ids"]
    windows = bl.encode_windows(tokenizer, TEXT, bl.Strategy("slide", 128, 32))
    content = bl.window_token_coverage(windows, tokenizer)
    assert windows["input_ids"].shape[1] == 128
    # concatenating each window minus its overlap with the previous one rebuilds the document
    rebuilt = content[0] + [t for w in content[1:] for t in w[32:]]
    assert rebuilt == all_ids
    for a, b in zip(content, content[1:]):
        assert a[-32:] == b[:32]


def test_truncation_keeps_only_the_first_tokens(encoder):
    tokenizer, _ = encoder
    w = bl.encode_windows(tokenizer, TEXT, bl.Strategy("truncate", 64))
    assert w["input_ids"].shape == (1, 64)
    assert bl.window_token_coverage(w, tokenizer)[0] == tokenizer(TEXT, add_special_tokens=False)["input_ids"][:62]


def test_pooled_embeddings_have_one_row_per_window_and_one_vector_per_document(encoder):
    tokenizer, model = encoder
    windows = bl.encode_windows(tokenizer, TEXT, bl.Strategy("slide", 128, 32))
    emb = bl.window_embeddings(model, windows)
    assert emb.shape == (windows["input_ids"].shape[0], 384)
    doc = bl.document_embedding(model, tokenizer, TEXT, bl.Strategy("slide", 128, 32))
    assert doc.shape == (384,)


def test_padding_does_not_change_a_windows_embedding(encoder):
    tokenizer, model = encoder
    alone = bl.window_embeddings(model, tokenizer(["a short sentence"], return_tensors="pt"))
    padded = bl.window_embeddings(
        model, tokenizer(["a short sentence", "a much longer sentence " * 10], padding=True, return_tensors="pt")
    )
    torch.testing.assert_close(alone[0], padded[0], atol=1e-5, rtol=1e-4)


def test_an_input_longer_than_the_model_accepts_is_a_clear_error(encoder):
    tokenizer, model = encoder
    ids = tokenizer(TEXT, return_tensors="pt")
    assert ids["input_ids"].shape[1] > 512
    with pytest.raises(bl.InputTooLongError, match="do not fit this encoder's 512 learned positions"):
        bl.window_embeddings(model, {"input_ids": ids["input_ids"], "attention_mask": ids["attention_mask"]})


def test_invalid_stride_is_rejected(encoder):
    with pytest.raises(ValueError, match="stride"):
        bl.encode_windows(encoder[0], TEXT, bl.Strategy("slide", 128, 127))


def test_stretched_table_keeps_its_endpoints_and_accepts_longer_input(encoder):
    tokenizer, model = encoder
    stretched = bl.stretch_positions(model, 1024)
    old = model.embeddings.position_embeddings.weight
    new = stretched.embeddings.position_embeddings.weight
    assert new.shape == (1024, 384)
    torch.testing.assert_close(new[0], old[0])
    torch.testing.assert_close(new[-1], old[-1])
    assert model.config.max_position_embeddings == 512  # the original is untouched
    ids = tokenizer(TEXT, max_length=1024, truncation=True, return_tensors="pt")
    assert bl.window_embeddings(stretched, ids).shape == (1, 384)


def test_needles_sit_at_the_requested_depth(encoder):
    tokenizer, _ = encoder
    hay = ". ".join(f"Sentence number {i} is here" for i in range(100)) + "."
    fact, question = bl.needles(1, np.random.default_rng(0))[0]
    assert question.startswith("Where is the") and fact.startswith("The")
    n = len(tokenizer(hay, add_special_tokens=False)["input_ids"])
    for depth in (0.0, 0.5, 0.9):
        doc = bl.insert_at_depth(tokenizer, hay, fact, depth)
        pos = bl.needle_token_position(tokenizer, doc, fact)
        assert abs(pos - depth * n) <= 12  # moved back to the previous sentence boundary at most


def test_retrieval_ties_score_fractionally():
    q = torch.tensor([1.0, 0.0])
    same = [torch.tensor([0.5, 0.5])] * 4
    assert bl.retrieval_accuracy(q, same, 2) == pytest.approx(0.25)
    docs = [torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.1])]
    assert bl.retrieval_accuracy(q, docs, 1) == 1.0 and bl.retrieval_accuracy(q, docs, 0) == 0.0


def test_linear_head_learns_a_separable_problem():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(150, 5, generator=g)
    y = (x @ torch.randn(5, 3, generator=g)).argmax(1)  # linearly separable by construction
    accs = bl.cross_validated_accuracy(x, y, 3, folds=3)
    assert np.mean(accs) > 0.85
    shuffled = bl.cross_validated_accuracy(x, y[torch.randperm(150, generator=g)], 3, folds=3)
    assert np.mean(shuffled) < 0.6  # no signal, no accuracy


def test_shared_windows_are_encoded_once_and_embed_as_alone(encoder):
    """Two haystacks that differ only after their first windows: those windows are encoded once, give the
    identical vector to both, and every vector is what ``window_embeddings`` gives for the document alone."""
    tokenizer, model = encoder
    docs = [TEXT + " the red key is in the cellar.", TEXT + " the blue box is in the garden, far away."]
    strategy = bl.Strategy("slide", 128, 32)
    windows = [bl.encode_windows(tokenizer, d, strategy) for d in docs]
    calls = []

    class Counting(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner, self.config = model, model.config

        def forward(self, **kw):
            calls.append(kw["input_ids"].shape[0])
            return self.inner(**kw)

    counting = Counting()
    shared = bl.shared_window_embeddings(counting, windows)
    distinct = {tuple(ids[m.bool()].tolist()) for w in windows for ids, m in zip(w["input_ids"], w["attention_mask"])}
    assert sum(calls) == len(distinct) < sum(len(w["input_ids"]) for w in windows)
    assert torch.equal(shared[0][0], shared[1][0])  # the same first window: the same vector, exact ties
    for w, emb in zip(windows, shared):
        torch.testing.assert_close(emb, bl.window_embeddings(model, w), rtol=1e-4, atol=1e-5)
