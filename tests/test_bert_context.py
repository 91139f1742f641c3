"""The BERT chapter's context experiment: per-passage correctness, paired comparisons, glue figures."""

import re
from types import SimpleNamespace

import matplotlib
import nbformat
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from lcreport.chapters.c03_bert import context as bc
from lcreport.chapters.c03_bert import needle as bert_needle
from lcreport.chapters.c03_bert import positions as bert_positions
from lcreport.chapters.c03_bert import snippet as bert_snippet
from lcreport.exhibits import exhibit  # noqa: E402
from lcreport.models import bert as bl  # noqa: E402
from lcreport.paths import ROOT  # noqa: E402
from lcreport.results import COMPARISON_FIELDS, TRIAL_COLUMNS, Run  # noqa: E402

PROFILE = SimpleNamespace(
    name="test",
    bert_passages_per_book=8,
    bert_passage_tokens=300,
    bert_truncations=(32, 64),
    bert_window=128,
    bert_stride=32,
    bert_folds=2,
    bert_repeats=2,
    bert_stretch=(1024,),
    needle_haystack_tokens=300,
    needle_candidates=4,
    needle_sets=1,
    needle_depths=(0.5,),
)


#: every test of this module runs torch on one thread (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _noisy_problem(n=60, classes=3, noise=2.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    x = torch.nn.functional.one_hot(y, classes).float() @ torch.randn(classes, 6, generator=g)
    return x + noise * torch.randn(n, 6, generator=g), y


def _nearest_neighbour_head(x_train, y_train, n_classes, *, seed):
    """A stand-in for ``train_linear_head``: 1-nearest neighbour over the examples it is trained on."""

    def head(x):
        d = torch.cdist(x, x_train)
        return torch.stack([-d[:, y_train == c].min(1).values for c in range(n_classes)], 1)

    return head


def test_predictions_reproduce_the_old_fold_accuracies_exactly(monkeypatch):
    """Each example is predicted by a head trained on the other folds only, and a fold's accuracy is the share of
    its examples predicted right. Reference: 1-nearest neighbour by hand on one feature (standardising, an
    increasing affine map, moves no neighbour), where a head that had seen its own fold would score 1."""
    x, y = _noisy_problem()
    predicted, fold_of = bl.cross_validated_predictions(x, y, 3, folds=2, seed=3)
    assert np.bincount(fold_of).tolist() == [30, 30]
    assert 0.4 < np.mean(predicted == y.numpy()) < 1.0  # noisy: some right, some wrong

    x = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 11.0])[:, None]
    y = torch.tensor([0, 1, 0, 1, 0, 1, 0, 1])  # neighbours alternate classes
    monkeypatch.setattr(bl, "train_linear_head", _nearest_neighbour_head)
    predicted, fold_of = bl.cross_validated_predictions(x, y, 2, folds=2, seed=3)
    for c in (0, 1):  # stratified: each class split evenly between the folds
        assert np.bincount(fold_of[y.numpy() == c], minlength=2).tolist() == [2, 2]
    xs, ys = x[:, 0].numpy(), y.numpy()
    others = [fold_of != fold_of[i] for i in range(len(ys))]
    expected = [ys[o][np.argmin(np.abs(xs[o] - xs[i]))] for i, o in enumerate(others)]
    assert predicted.tolist() == expected
    assert bl.fold_accuracies(predicted, y, fold_of, 2) == [
        np.mean(predicted[fold_of == f] == ys[fold_of == f]) for f in (0, 1)
    ]
    # by hand: fold 0 right twice of three, fold 1 never
    assert bl.fold_accuracies(
        np.array([0, 1, 1, 0]), torch.tensor([0, 1, 0, 1]), np.array([0, 0, 0, 1]), 2
    ) == pytest.approx([2 / 3, 0.0])


def test_correctness_trials_have_one_row_per_passage_with_the_trial_columns():
    correct, fold_of = np.array([1, 0, 1]), np.array([0, 1, 0])
    rows = bc.correctness_trials("truncate 64", 64, correct, fold_of, seed=7)
    assert [r["unit"] for r in rows] == [0, 1, 2] and [r["value"] for r in rows] == [1, 0, 1]
    assert all(set(TRIAL_COLUMNS) <= set(r) and r["experiment"] == "context" and r["seed"] == 7 for r in rows)
    assert {r["metric"] for r in rows} == {"correct"} and {r["scale"] for r in rows} == {64}


def _folds(base, spread=0.02, k=10):
    """k fold accuracies around ``base``, spread deterministically."""
    return base + spread * np.linspace(-1, 1, k)


def test_paired_comparison_is_b_minus_a_by_the_corrected_t_test_with_a_stable_id():
    c = bc.paired_comparison("truncate 512", "sliding 512/128", 512, _folds(0.5), _folds(0.9, 0.05), 96, 5)
    assert c["id"] == "context_truncate_512_vs_sliding_512_128" and c["passages"] == 96
    assert (
        set(COMPARISON_FIELDS) <= set(c) and c["metric"] == "accuracy" and c["test"].startswith("corrected resampled t")
    )
    assert c["diff"] == pytest.approx(0.4) and c["n"] == 10 and c["p"] < 1e-5 and c["ci95"][0] > 0
    assert bc.is_gain(c)
    same = bc.paired_comparison("truncate 256", "truncate 512", 512, _folds(0.9), _folds(0.9), 96, 5)
    assert same["p"] == 1.0 and not bc.is_gain(same)
    run = Run("bert", PROFILE, "cpu")
    run.compare(c)
    with pytest.raises(ValueError, match="twice"):
        run.compare(c)


def test_the_correction_widens_the_interval_over_a_naive_t_test():
    """Overlapping training sets: the corrected variance is (1/k + n_test/n_train)·s², not s²/k."""
    from scipy import stats as st

    from lcreport import stats

    a, b = _folds(0.80, 0.03), _folds(0.83, 0.01)[::-1]
    c = stats.corrected_resampled_t(a, b, n_train=80, n_test=20)
    naive = st.ttest_rel(b, a)
    assert c["p"] > naive.pvalue and c["diff"] == pytest.approx(0.03)
    k, d = len(a), b - a
    se = np.sqrt((1 / k + 20 / 80) * d.var(ddof=1))
    assert c["ci95"][1] - c["diff"] == pytest.approx(st.t(k - 1).ppf(0.975) * se)
    with pytest.raises(ValueError, match="same two or more folds"):
        stats.corrected_resampled_t(a, b[:3], n_train=80, n_test=20)


def test_the_first_step_that_is_not_significant_is_the_saturation_point():
    steps = [
        bc.paired_comparison("truncate 32", "truncate 64", 64, _folds(0.3), _folds(0.8), 60, 5),
        bc.paired_comparison("truncate 64", "truncate 128", 128, _folds(0.8), _folds(0.8), 60, 5),
        bc.paired_comparison("truncate 128", "sliding 128/32", 128, _folds(0.8), _folds(0.8), 60, 5),
    ]
    figures = bc.saturation_figures(steps)
    assert (figures["saturation_from"], figures["saturation_to"]) == ("truncate 64", "truncate 128")
    assert "p = 1 over 10 folds" in figures["saturation_evidence"]
    assert bc.saturation_figures(steps[:1])["saturation_from"] == "none within the range tested"
    gains = bc.gains_table(steps)
    assert gains["significant"].tolist() == [True, False, False]
    assert gains["comparison id"].iloc[0] == "context_truncate_32_vs_truncate_64"


@pytest.fixture(scope="module")
def fake_experiment():
    """classify_by_context on synthetic features: longer settings carry more signal."""
    _, y = _noisy_problem(48, 6)
    passages = [f"passage {i}" for i in range(48)]
    noise = {"truncate 32": 30.0, "truncate 64": 0.3, "sliding 128/32": 0.3}

    def fake_embed(model, tokenizer, texts, strategy, desc=""):
        g = torch.Generator().manual_seed(len(strategy.label))
        x = torch.nn.functional.one_hot(y, 6).float() * 3
        return x + noise[strategy.label] * torch.randn(len(texts), 6, generator=g), 0.01

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bc, "austen_passages", lambda tok, per_book, n: (passages, y, 6))
        mp.setattr(bl, "embed_all", fake_embed)
        run = Run("bert", PROFILE, "cpu", seed=0)
        return run, bc.classify_by_context(run, None, None)


def test_classify_by_context_records_trials_comparisons_and_every_figure(fake_experiment):
    run, ctx = fake_experiment
    assert ctx.table.index.tolist() == ["truncate 32", "truncate 64", "sliding 128/32"]
    assert (ctx.table["95% CI low"] <= ctx.table.accuracy).all() and (
        ctx.table.accuracy <= ctx.table["95% CI high"]
    ).all()
    assert len(run.trials) == 3 * 2 * 48 and {t["arm"] for t in run.trials} == set(ctx.table.index)
    assert {t["seed"] for t in run.trials} == {0, 1}  # one row per (setting, repeat, passage)
    assert [c["id"] for c in run.comparisons] == [
        "context_truncate_32_vs_truncate_64",
        "context_truncate_64_vs_sliding_128_32",
    ]
    first = run.comparisons[0]
    assert first["diff"] > 0.3 and first["p"] < 0.05  # pure noise → clean features is a real gain
    f = ctx.figures
    assert f["cls_acc_shortest"]["value"] == pytest.approx(ctx.table.accuracy.iloc[0])
    assert f["cls_acc_shortest"]["n"] == 48 and f["cls_tokens_shortest"] == 30
    rows = f["classification"]
    assert [r["strategy"] for r in rows] == ctx.table.index.tolist() and "± s.e." in rows[0]
    # the per-passage correctness (share of repeats) and the table's accuracy are the same predictions
    acc = np.mean(ctx.correct["truncate 64"])
    assert len(ctx.fold_accuracies["truncate 64"]) == 2 * 2
    assert ctx.table.loc["truncate 64", "accuracy"] == pytest.approx(acc)
    assert isinstance(bc.plot_accuracy_vs_context(ctx.table, 6, 2), matplotlib.figure.Figure)


def test_stretch_verdict_follows_the_paired_test():
    import pandas as pd

    table = pd.DataFrame(
        [
            {
                "position table": "1024 rows (stretched)",
                "classification accuracy": 0.9,
                "cosine to original embedding (same 512 tokens)": 0.8,
            }
        ]
    ).set_index("position table")

    def versus(a, b):
        return bc.paired_comparison("sliding 512/128", "stretched to 1024, whole", 1024, a, b, 60, 5)

    assert bert_positions.stretch_figures(table, versus(_folds(0.9), _folds(0.5)))["stretch_vs_slide"] == "worse than"
    tie = versus(_folds(0.9), _folds(0.9))
    assert bert_positions.stretch_figures(table, tie)["stretch_vs_slide"] == "not significantly different from"
    f = bert_positions.stretch_figures(table, versus(_folds(0.5), _folds(0.9)))
    assert f["stretch_vs_slide"] == "better than" and f["stretch_drift"] == 0.8 and f["stretch_cls_acc"] == 0.9


def test_the_seed_snippet_fails_to_compile_with_the_printed_message():
    message, fails = bert_snippet.syntax_error(exhibit("bert_snippet"))
    assert fails
    assert message == (
        "SyntaxError: invalid syntax (line 7: \"inputs['attention_mask'] = "
        "inputs['attention_mask'] * (1 <| input_ids)\")"
    )
    assert bert_snippet.syntax_error("x = 1\n") == ("compiles", False)


def _glue_names_in_prose(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return set(re.findall(r"\{glue:text\}`([A-Za-z0-9_]+)", text))


def tagging_figures():
    """Section 6's figures from a tiny synthetic F1 table."""
    from lcreport.chapters.c03_bert import tagging as bt

    P = SimpleNamespace(
        tag_contexts=(64, 128), tag_overlap=32, tag_doc_tokens=256, tag_seeds=(0,), tag_steps=2, tag_batch_tokens=256
    )
    names = [a for a, _, _ in bt.arms(P)]
    f1 = {a: np.array([[0.5, 0.6, 0.7]]) + 0.1 * i for i, a in enumerate(names)}
    comps = [
        {"a": a, "b": b, "test": "paired bootstrap", **bc.stats.paired_diff(f1[a][0], f1[b][0])}
        for a, b in zip(names, names[1:])
    ]
    corpus = SimpleNamespace(test=[None] * 3)
    return bt.tagging_figures(
        P,
        corpus,
        f1,
        comps
        + [
            {
                "a": names[0],
                "b": names[-2],
                "test": "paired bootstrap",
                **bc.stats.paired_diff(f1[names[0]][0], f1[names[-2]][0]),
            }
        ],
        names,
        0,
    )


def test_every_glue_name_the_prose_uses_is_produced(fake_experiment):
    import pandas as pd

    _, ctx = fake_experiment
    arms = ("truncate 512", "sliding 128/32", "sliding 128/64", "stretched to 1024, whole")
    frame = pd.DataFrame([{"strategy": s, "depth": 0.5, "needle token": 150.0, "accuracy": 1.0} for s in arms])
    trials = [{"arm": s, "depth": 0.5, "needle_token": 150, "value": 1.0} for s in arms]
    step = bc.paired_comparison("a", "b", 1, _folds(0.5), _folds(0.5), 60, 5)
    table = pd.DataFrame(
        [
            {
                "position table": "1024",
                "classification accuracy": 0.9,
                "cosine to original embedding (same 512 tokens)": 0.8,
            }
        ]
    ).set_index("position table")
    figures = {
        **ctx.figures,
        **bert_positions.stretch_figures(table, step),
        **bert_needle.needle_figures(frame, PROFILE, "sliding 128/32", step, trials),
        **bert_positions.encoder_facts(
            SimpleNamespace(config=SimpleNamespace(num_hidden_layers=6, hidden_size=384, max_position_embeddings=512))
        ),
        **tagging_figures(),
        "ci_level": 0.95,
    }
    # notebook.glue also glues an estimate's interval and n as <name>_lo, <name>_hi and <name>_n
    derived = {
        f"{k}_{s}"
        for k, v in figures.items()
        if isinstance(v, dict)
        for s in (("lo", "hi") if v.get("ci95") is not None else ()) + (("n",) if v.get("n") is not None else ())
    }
    produced = {"seed001_syntax_error", *figures, *derived}
    missing = _glue_names_in_prose(ROOT / "notebooks" / "03_bert.ipynb") - produced
    assert not missing


def test_headline_steps_name_the_last_truncation_step_and_the_move_to_sliding_windows():
    import pytest

    from lcreport.chapters.c03_bert.context import headline_steps

    def comp(a, b, diff):
        return {
            "a": a,
            "b": b,
            "diff": diff,
            "ci95": [diff - 0.1, diff + 0.1],
            "n": 96,
            "p": 0.5,
            "id": f"{a}-{b}",
            "test": "corrected resampled t-test",
        }

    steps = [
        comp("truncate 64", "truncate 128", 0.2),
        comp("truncate 128", "truncate 256", 0.05),
        comp("truncate 256", "sliding 256/64", 0.1),
        comp("sliding 256/64", "stretched to 1024, whole", -0.01),
    ]
    out = headline_steps(steps)
    assert (out["last_step_from"], out["last_step_to"], out["last_step_gain"]["value"]) == (
        "truncate 128",
        "truncate 256",
        0.05,
    )
    assert (out["to_sliding_from"], out["to_sliding_to"]) == ("truncate 256", "sliding 256/64")
    assert out["to_sliding_gain"]["n"] == 96 and out["to_sliding_gain"]["ci95"] == (0.0, 0.2)
    with pytest.raises(ValueError, match="sliding window"):
        headline_steps(steps[:2])
