"""The BERT chapter's needle test and position-table sections: trials, figures, the too-long report."""

from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from lcreport.chapters.c03_bert import needle as bn
from lcreport.chapters.c03_bert import positions as bert_positions
from lcreport.results import COMPARISON_FIELDS, TRIAL_COLUMNS, Run  # noqa: E402

PROFILE = SimpleNamespace(
    name="test",
    bert_window=128,
    bert_stride=32,
    bert_stretch=(1024,),
    needle_depths=(0.1, 0.9),
    needle_sets=1,
    needle_candidates=3,
    needle_haystack_tokens=200,
)


#: every test of this module runs torch on one thread (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_window_size_finding_needs_more_than_the_margin():
    m = bn.WINDOW_SIZE_MARGIN
    assert bn.window_size_finding(m + 0.01).startswith("the shorter windows did better")
    assert bn.window_size_finding(-m - 0.01) == "the longer windows did better"
    assert bn.window_size_finding(m) == bn.window_size_finding(-m) == "the two window sizes did about equally well"


def test_window_size_comparison_pairs_the_same_queries():
    trials = [
        {"arm": arm, "unit": u, "value": v}
        for u in range(10)
        for arm, v in (("sliding 512/128", 0.0 if u % 2 else 1.0), ("sliding 128/64", 1.0))
    ]
    trials.reverse()  # order must not matter: units are matched by id
    c = bn.window_size_comparison(trials, "sliding 512/128", "sliding 128/64", seed=0)
    assert c["id"] == "needle_sliding_512_128_vs_sliding_128_64" and set(COMPARISON_FIELDS) <= set(c)
    assert c["diff"] == pytest.approx(0.5) and c["n"] == 10 and c["ci95"][0] > 0


def test_needle_figures_split_truncation_at_the_window_edge():
    rows = [
        {"strategy": "truncate 512", "depth": d, "needle token": t, "accuracy": a}
        for d, t, a in ((0.1, 100.0, 1.0), (0.5, 505.0, 0.5), (0.9, 900.0, 0.25))
    ]
    rows += [
        {"strategy": s, "depth": 0.1, "needle token": 100.0, "accuracy": a}
        for s, a in (("sliding 128/32", 0.5), ("sliding 128/64", 1.0), ("stretched to 1024, whole", 0.75))
    ]
    step = {"p": 1.0, "diff": 0.0, "ci95": [0, 0], "n": 1}
    trials = [
        {"arm": r["strategy"], "depth": r["depth"], "needle_token": r["needle token"], "value": r["accuracy"]}
        for r in rows
    ]
    f = bn.needle_figures(pd.DataFrame(rows), PROFILE, "sliding 128/32", step, trials)
    assert f["needle_trunc_inside"]["value"] == 1.0 and f["needle_trunc_outside"]["value"] == 0.25  # 505 is neither
    assert f["needle_trunc_inside"]["n"] == 1 and f["needle_stretch_first"]["value"] == 0.75
    assert f["needle_queries_per_depth"] == 3 and f["needle_first_depth"] == 0.1
    assert f["needle_slide_mean"] == 0.5 and f["needle_slide128_mean"] == 1.0
    assert f["needle_stretch_mean"] == 0.75 and f["stretch_max"] == 1024 and f["needle_chance"] == pytest.approx(1 / 3)
    assert f["window_size_finding"].startswith("the shorter windows")
    assert len(f["needles"]) == 6


def test_needle_by_depth_records_one_trial_per_query_and_arm(encoder):
    tokenizer, model = encoder
    run = Run("bert", PROFILE, "cpu", seed=0)
    result = bn.needle_by_depth(run, model, tokenizer, stretched={})
    arms = ["truncate 512", "sliding 128/32", "sliding 128/64"]
    assert list(result.table.index) == arms and list(result.table.columns) == [0.1, 0.9]
    assert len(result.intervals) == len(arms) * 2 and (result.intervals["queries"] == 3).all()
    assert (result.intervals["95% CI low"] <= result.intervals.accuracy).all()
    assert len(run.trials) == len(arms) * 2 * 3
    assert all(set(TRIAL_COLUMNS) <= set(t) and t["experiment"] == "needle" for t in run.trials)
    assert sorted({t["unit"] for t in run.trials}) == list(range(6))
    assert {t["depth"] for t in run.trials if t["unit"] < 3} == {0.1}
    deep = [t["needle_token"] for t in run.trials if t["depth"] == 0.9]
    assert min(deep) > 150  # the needle sits near the end of a 200-token haystack
    means = result.frame.groupby("strategy").accuracy.mean()
    assert means["truncate 512"] == pytest.approx(
        np.mean([t["value"] for t in run.trials if t["arm"] == "truncate 512"])
    )
    assert [c["id"] for c in run.comparisons] == ["needle_sliding_128_32_vs_sliding_128_64"]
    assert isinstance(bn.plot_accuracy_by_position(result.frame, 3), matplotlib.figure.Figure)


def test_wilson_estimate_counts_ties_fractionally_and_handles_no_queries():
    e = bn.wilson_estimate([1, 0, 0.5, 0.5])
    assert e["value"] == 0.5 and e["n"] == 4 and e["ci95"][0] < 0.5 < e["ci95"][1]
    assert bn.wilson_estimate([])["n"] == 0


def test_too_long_report_names_all_three_reactions(encoder):
    tokenizer, model = encoder
    report = bert_positions.too_long_report(model, tokenizer, bert_positions.opening_words(520))
    lines = report.splitlines()
    assert lines[0].startswith("tokens: ") and int(lines[0].split()[1]) > 512
    assert lines[1].startswith("tokenizer says: ")
    assert lines[2].startswith("model says: RuntimeError")
    assert "do not fit this encoder's 512 learned positions" in lines[3]
    assert bert_positions.position_table_summary(model).startswith("position table: (512, 384) = 196,608 parameters")
