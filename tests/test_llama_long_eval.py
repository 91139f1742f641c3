"""The small-Llama pipeline: data formats, checkpoint cache, evaluation, and n̂ against transformers."""

import dataclasses

import numpy as np
import pytest
import torch

from lcreport import stats
from lcreport.longrope import evaluation as ev
from lcreport.longrope import extension as ext
from lcreport.models import checkpoints, llama, lm_data, training
from lcreport.models import rope as rp
from lcreport.profiles import PROFILES
from lcreport.tasks import copying, passkey

SPEC = dataclasses.replace(PROFILES["smoke"].llama, steps=3, warmup=1)


@pytest.fixture(scope="module")
def state():
    return llama.build_model(SPEC).state_dict()


def test_digits_are_single_tokens_and_the_key_ends_the_sequence(data):
    rng = np.random.default_rng(0)
    ids, answer = passkey.passkey_example(data, 64, 0.3, rng)
    assert len(ids) == 64 and answer == slice(59, 64)
    assert all(t in data.digit_ids for t in ids[answer])
    assert data.tokenizer.decode(ids).rstrip().endswith("The pass key is " + data.tokenizer.decode(ids[answer]).strip())


def test_repeated_span_appears_twice_at_the_asked_distance(data):
    ids, second = copying.repeat_example(data, 64, 8, 10, np.random.default_rng(1))
    first_start = second.start - 8 - 10
    assert ids[first_start : first_start + 8] == ids[second]
    with pytest.raises(ValueError, match="exceed"):
        copying.repeat_example(data, 64, 30, 10, np.random.default_rng(1))


def test_training_batch_shapes_and_answer_weights(data):
    ids, w = lm_data.training_batch(data, SPEC, np.random.default_rng(0))
    assert ids.shape == (SPEC.batch_size, SPEC.train_length) and w.shape == ids.shape
    assert set(np.unique(w.numpy())) <= {0.0, 1.0, 1.0 + SPEC.answer_loss_weight}  # 0: a copy's unscored first half


def test_copy_sequence_repeats_and_scores_only_the_copy():
    ids, w = copying.copy_sequence(100, 20, np.random.default_rng(0))
    assert len(ids) == 20 and (ids[:10] == ids[10:]).all()
    assert w[:11].sum() == 0 and (w[11:] == 1).all()
    ids, _ = lm_data.copy_batch(SPEC, np.random.default_rng(0))
    assert ids.shape == (SPEC.batch_size, SPEC.train_length)


def test_checkpoint_roundtrip_and_corruption_is_detected(tmp_path, data, monkeypatch):
    monkeypatch.setenv("LCREPORT_CACHE", str(tmp_path))
    model, history, cached = checkpoints.trained_model(SPEC, data, torch.device("cpu"))
    assert not cached
    _, _, cached = checkpoints.trained_model(SPEC, data, torch.device("cpu"))
    assert cached
    folder = tmp_path / "llama" / checkpoints.checkpoint_key(SPEC)
    blob = bytearray((folder / "model.safetensors").read_bytes())
    blob[-10] ^= 0xFF
    (folder / "model.safetensors").write_bytes(bytes(blob))
    with pytest.raises(checkpoints.CorruptCheckpointError, match="does not match its recorded hash"):
        checkpoints.load_checkpoint(folder)
    messages = []
    _, _, cached = checkpoints.trained_model(SPEC, data, torch.device("cpu"), log=messages.append)
    assert not cached and "making it again" in messages[0]
    (folder / "manifest.json").unlink()  # as if interrupted before the manifest was written
    with pytest.raises(checkpoints.CorruptCheckpointError, match="partial"):
        checkpoints.load_checkpoint(folder)


def test_n_hat_changes_only_the_positions_below_it(state):
    """With n̂ = 16 the rotary tables differ from transformers' ``longrope`` below position 16 and are
    identical from it on; with n̂ = 0 the model is transformers' ``longrope`` itself (no subclass)."""
    factors = rp.factors_yarn(4, SPEC.hidden // SPEC.heads, SPEC.rope_theta, SPEC.train_length)
    plain = ext.extended_model(state, SPEC, "longrope", 4, long_factor=factors)
    ours = ext.extended_model(state, SPEC, "longrope", 4, long_factor=factors, n_hat=16)
    assert type(plain.model.rotary_emb).__name__ == "LlamaRotaryEmbedding"
    x, pos = torch.zeros(1, 1, 8), torch.arange(4 * SPEC.train_length)[None]
    (cos_p, sin_p), (cos_o, sin_o) = plain.model.rotary_emb(x, pos), ours.model.rotary_emb(x, pos)
    torch.testing.assert_close(cos_o[:, 16:], cos_p[:, 16:], rtol=0, atol=0)
    torch.testing.assert_close(sin_o[:, 16:], sin_p[:, 16:], rtol=0, atol=0)
    assert not torch.allclose(cos_o[:, 1:16], cos_p[:, 1:16])


def test_n_hat_positions_are_the_original_model_s_as_in_the_reference_code(state):
    """Below n̂ the tables are the un-extended model's (original frequencies, no attention scale), as in
    microsoft/LongRoPE's ``MixedLongRoPEScaledRotaryEmbedding``; from n̂ on, LongRoPE's scaled ones."""
    factors = np.full(SPEC.hidden // SPEC.heads // 2, 4.0)
    model = ext.extended_model(state, SPEC, "longrope", 4, long_factor=factors, n_hat=16)
    original = llama.build_model(SPEC, state)
    x = torch.zeros(1, 1, 8)
    pos = torch.arange(4 * SPEC.train_length)[None]
    cos, sin = model.model.rotary_emb(x, pos)
    cos0, sin0 = original.model.rotary_emb(x, pos)
    torch.testing.assert_close(cos[:, :16], cos0[:, :16])
    torch.testing.assert_close(sin[:, :16], sin0[:, :16])
    scale = rp.longrope_attention_factor(4, SPEC.train_length)
    assert scale > 1.01
    theta = torch.tensor(rp.base_inv_freq(SPEC.hidden // SPEC.heads, SPEC.rope_theta), dtype=torch.float32)
    torch.testing.assert_close(cos[0, 5, 0], torch.cos(5 * theta[0]))  # unscaled below n̂
    torch.testing.assert_close(cos[0, 100, 1], torch.cos(100 * theta[1] / 4) * scale)


def test_start_token_sequences_begin_with_it_and_keep_their_length(data):
    bos = dataclasses.replace(SPEC, bos=True)
    ids, w = lm_data.training_batch(data, bos, np.random.default_rng(0))
    assert ids.shape == (SPEC.batch_size, SPEC.train_length)
    assert (ids[:, 0] == data.start_id).all() and (w[:, 0] == 0).all()
    ids, w = lm_data.copy_batch(bos, np.random.default_rng(0), data.start_id)
    assert ids.shape == (SPEC.batch_size, SPEC.train_length) and (ids[:, 0] == data.start_id).all()
    half = (SPEC.train_length - 1) // 2
    assert (ids[:, 1 : 1 + half] == ids[:, 1 + half : 1 + 2 * half]).all()  # still a copy after the start token
    with pytest.raises(ValueError, match="start id"):
        lm_data.copy_batch(bos, np.random.default_rng(0))
    chunks = ev.eval_chunks(data.heldout, 32, 3)
    started = lm_data.start_windows(chunks, data.start_id)
    assert started.shape == chunks.shape and (started[:, 0] == data.start_id).all()
    assert (started[:, 1:] == chunks[:, 1:]).all()  # every scored token after the first is the same text


def test_the_checkpoint_key_follows_the_spec_and_the_training_pass_key_template(monkeypatch):
    """Base models are trained on pass keys: new wording or a new key format must not reuse old weights."""
    key = checkpoints.checkpoint_key(SPEC)
    assert checkpoints.checkpoint_key(dataclasses.replace(SPEC, bos=True)) != key
    fp32 = checkpoints.checkpoint_key(dataclasses.replace(SPEC, precision="fp32"))
    assert fp32 != checkpoints.checkpoint_key(dataclasses.replace(SPEC, precision="bf16"))  # precision shapes weights
    assert checkpoints.checkpoint_key(SPEC) == key  # deterministic
    reworded = dataclasses.replace(passkey.TRAINING_TEMPLATE, question=" What was the pass key? It is")
    monkeypatch.setattr(checkpoints, "TRAINING_TEMPLATE", reworded)
    assert checkpoints.checkpoint_key(SPEC) != key
    monkeypatch.setattr(checkpoints, "TRAINING_TEMPLATE", dataclasses.replace(passkey.TRAINING_TEMPLATE, groups=(6,)))
    assert checkpoints.checkpoint_key(SPEC) != key
    # the template's display name does not shape the weights
    renamed = dataclasses.replace(passkey.TRAINING_TEMPLATE, name="another name")
    monkeypatch.setattr(checkpoints, "TRAINING_TEMPLATE", renamed)
    assert checkpoints.checkpoint_key(SPEC) == key


def test_teacher_forced_argmax_equals_greedy_decoding(state, data):
    """Exact match is scored in one teacher-forced pass (``evaluation.answer_argmax``); that equals greedy
    decoding: fed its own greedy continuation, the forced argmax returns it token for token, and a
    continuation that departs from it is not returned."""
    model = llama.build_model(SPEC, state)
    rng = np.random.default_rng(3)
    for _ in range(3):
        ids, answer = passkey.passkey_example(data, 64, 0.5, rng)
        prefix = torch.tensor([ids[: answer.start]])
        greedy = model.generate(prefix, max_new_tokens=5, do_sample=False, pad_token_id=0)[0, answer.start :]
        x = torch.cat([prefix[0], greedy])[None]
        assert ev.answer_argmax(model, x, answer)[0].tolist() == greedy.tolist()
        other = greedy.clone()
        other[0] = (other[0] + 1) % SPEC.vocab_size
        forced = ev.answer_argmax(model, torch.cat([prefix[0], other])[None], answer)[0]
        assert forced.tolist() != other.tolist()


def test_lengths_the_study_cannot_represent_are_rejected():
    with pytest.raises(ext.TargetTooLongError, match="training length"):
        ext.check_length(SPEC, 1000 * SPEC.train_length)


def test_perplexity_interval_brackets_the_point_estimate():
    nll = np.random.default_rng(0).normal(3.0, 0.2, 50)
    est, (lo, hi) = stats.mean_ci(nll, transform=np.exp)
    assert est == pytest.approx(np.exp(nll.mean())) and lo < est < hi


def test_fine_tuning_moves_the_weights_and_logs_the_loss(data, state):
    model = ext.extended_model(state, SPEC, "linear", 2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model, history = training.fine_tune(
        model, data, length=2 * SPEC.train_length, steps=2, batch_size=2, lr=1e-3, device=torch.device("cpu")
    )
    assert len(history) == 2 and all(np.isfinite(h["loss"]) for h in history)
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_effective_length_is_the_longest_passing_length():
    lengths, ppl = [256, 512, 1024, 2048], [20.0, 22.0, 30.0, 21.0]
    assert ev.effective_length(lengths, ppl, reference=20.0, tolerance=0.2) == 2048  # RULER: the maximum passing
    assert ev.effective_length(lengths, ppl, reference=20.0, tolerance=0.2, contiguous=True) == 512
    assert ev.effective_length(lengths, ppl, reference=10.0, tolerance=0.2) is None
    acc = [0.95, 0.9, 0.5, 0.1]
    assert ev.effective_length(lengths, acc, reference=0.95, tolerance=0.1, higher_is_better=True) == 512


def test_the_unseen_template_differs_in_wording_and_key_format(data):
    """The held-out template's key (digit groups joined by a hyphen) ends the sequence whole; its wording and
    format share nothing with the training template's."""
    rng = np.random.default_rng(3)
    ids, answer = passkey.passkey_example(data, 96, 0.5, rng, template=passkey.HELD_OUT_TEMPLATE)
    key = data.tokenizer.decode(ids[answer]).strip()
    assert len(ids) == 96 and answer.stop == 96
    groups = key.split("-")
    assert [len(g) for g in groups] == list(passkey.HELD_OUT_TEMPLATE.groups) and all(g.isdigit() for g in groups)
    t, h = passkey.TRAINING_TEMPLATE, passkey.HELD_OUT_TEMPLATE
    assert "pass key" not in h.needle + h.question and t.separator != h.separator


def test_the_training_template_draws_the_keys_it_always_drew(data):
    """Training data must not change with the templates: the key is the same draw of five digits as before."""
    a, b = np.random.default_rng(11), np.random.default_rng(11)
    ids, answer = passkey.passkey_example(data, 64, 0.4, a)
    expected = "".join(str(d) for d in b.integers(0, 10, passkey.KEY_DIGITS))
    assert data.tokenizer.decode(ids[answer]).strip() == expected and answer == slice(59, 64)


def test_answer_argmax_with_kept_logits_equals_full_logits(data, state):
    model = llama.build_model(SPEC, state)
    rng = np.random.default_rng(5)
    ids, answer = passkey.passkey_example(data, 64, 0.5, rng)
    x = torch.tensor([ids])
    with torch.inference_mode():
        full = model(input_ids=x).logits[:, answer.start - 1 : answer.stop - 1].argmax(-1)
    assert torch.equal(ev.answer_argmax(model, x, answer), full)
    with pytest.raises(ValueError, match="end the sequence"):
        ev.answer_argmax(model, x, slice(10, 15))


def test_scoring_the_last_tokens_only_equals_the_tail_of_the_full_scores(data, state):
    """``token_nll(last=k)`` computes only the last k predictions' logits: the last k columns of the full
    per-token NLL up to float rounding, whatever the batch; ``perplexity`` gives the same last-k NLL to the bit
    with or without the all-token scores (paired comparisons mix the two)."""
    model = llama.build_model(SPEC, state)
    chunks = ev.eval_chunks(data.heldout, 96, 5)
    full = ev.token_nll(model, chunks, batch_size=5)
    assert full.shape == (5, 95)
    with torch.inference_mode():
        reference = model(input_ids=chunks).logits[:, :-1]
    torch.testing.assert_close(
        full, torch.nn.functional.cross_entropy(reference.transpose(1, 2), chunks[:, 1:], reduction="none")
    )
    for batch in (1, 2, None):
        tail = ev.token_nll(model, chunks, batch, last=20)
        assert tail.shape == (5, 20)
        torch.testing.assert_close(tail, full[:, -20:], rtol=1e-5, atol=1e-5)
    both, last_only = ev.perplexity(model, chunks, 20), ev.perplexity(model, chunks, 20, all_tokens=False)
    assert set(last_only) == {"ppl_last", "nll_last_chunks"}
    assert np.array_equal(last_only["nll_last_chunks"], both["nll_last_chunks"])
    np.testing.assert_allclose(both["nll_all_chunks"], full.mean(1).numpy(), rtol=1e-5)
    # a window scored whole: "the last L" of an L-token window is every predicted token, as before
    whole = ev.perplexity(model, chunks[:, :20], 20, all_tokens=False)["nll_last_chunks"]
    np.testing.assert_allclose(whole, ev.token_nll(model, chunks[:, :20]).mean(1).numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="last 1 to 95"):
        ev.token_nll(model, chunks, last=96)


def test_windows_per_forward_pass_follow_the_token_budget():
    assert ev.batch_for(128) == ev.BATCH_TOKENS // 128 and ev.batch_for(ev.BATCH_TOKENS) == 1
    assert ev.batch_for(4 * ev.BATCH_TOKENS) == 1  # never fewer than one window
    with pytest.raises(ValueError, match="at least one token"):
        ev.batch_for(0)


def test_scoring_refuses_a_model_that_transforms_its_logits(data, state):
    """The scorer applies the output layer itself, so a model whose logits are soft-capped or scaled after
    it (Gemma 2, Cohere, Granite) would be scored wrongly: it is refused with what to do instead."""
    model = llama.build_model(SPEC, state)
    chunks = ev.eval_chunks(data.heldout, 48, 2)
    ev.token_nll(model, chunks, last=8)  # a plain Llama is scored
    model.config.final_logit_softcapping = 30.0
    with pytest.raises(ValueError, match="final_logit_softcapping.*model\\(...\\).logits"):
        ev.token_nll(model, chunks, last=8)
    model.config.final_logit_softcapping = None
    model.config.logits_scaling = 1.0  # Granite's neutral value changes nothing
    ev.perplexity(model, chunks, 8)
    model.config.logits_scaling = 4.0
    with pytest.raises(ValueError, match="logits_scaling"):
        ev.perplexity(model, chunks, 8)
