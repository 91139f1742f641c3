"""``lcreport verify``'s comparison, on synthetic results (no chapter is executed here)."""

import copy
import json

import pytest

from lcreport import verify
from lcreport.verify import Entry, compare, entries, flatten, judge, load_tolerances

COMMITTED = {
    "provenance": {"profile": "cpu", "seed": 0, "wall_time_s": 12.0},
    "figures": {
        "ratio": {"value": 9.125617199953345},
        "count": {"value": 109482240},
        "nll_mean": {"value": 3.20, "ci95": [3.10, 3.30], "n": 64},
        "winner": {"value": "DeepSeek"},
        "holds": {"value": True},
        "per_tokenizer": {"value": {"GPT-2": 0.39, "Qwen": 1.33}},
        "table": {
            "value": [
                {"source": "news", "tokenizer": "GPT-2", "median": 0.5},
                {"source": "news", "tokenizer": "Qwen", "median": 1.3},
            ]
        },
        "timings": {
            "value": [
                {"method": "naive", "n": 256, "median_s": 0.0017},
                {"method": "naive", "n": 512, "median_s": 0.0061},
            ]
        },
        "missing_value": {"value": None},
    },
    "comparisons": [
        {
            "id": "lr_vs_pi",
            "experiment": "ppl",
            "scale": 8,
            "metric": "nll",
            "a": "longrope",
            "b": "pi",
            "diff": -0.12,
            "ci95": [-0.2, -0.05],
            "n": 64,
            "test": "paired bootstrap",
        }
    ],
}
RULES = {"timings*": "volatile", "ratio": 1e-3}


def fresh(**changes):
    """The committed results with some figures' values replaced (``name=value``)."""
    out = copy.deepcopy(COMMITTED)
    for name, value in changes.items():
        out["figures"][name]["value"] = value
    return out


def statuses(rows):
    return {r.key: r.status for r in rows if r.status != "same"}


def test_an_identical_rerun_is_all_same():
    rows = compare(COMMITTED, copy.deepcopy(COMMITTED), RULES)
    assert rows and all(r.status == "same" for r in rows)
    assert verify.table(rows).startswith("(every number came back")


def test_every_number_is_named_records_by_their_text_fields():
    names = set(entries(COMMITTED))
    assert {
        "ratio",
        "nll_mean",
        "nll_mean.n",
        "per_tokenizer.GPT-2",
        "table[source=news,tokenizer=Qwen].median",
        "timings[method=naive,n=512].median_s",
        "comparisons.lr_vs_pi.diff",
        "comparisons.lr_vs_pi.n",
    } <= names
    assert "provenance.wall_time_s" not in names  # which run, not what it found
    assert flatten([1, 2], "x") == {"x[0]": 1, "x[1]": 2}


def test_reordered_records_still_line_up():
    table = list(reversed(COMMITTED["figures"]["table"]["value"]))
    assert statuses(compare(COMMITTED, fresh(table=table), RULES)) == {}


def test_within_the_interval_passes_and_outside_it_moves():
    assert statuses(compare(COMMITTED, fresh(nll_mean=3.29), RULES)) == {"nll_mean": "within ci95"}
    rows = compare(COMMITTED, fresh(nll_mean=3.31), RULES)
    assert statuses(rows) == {"nll_mean": "MOVED"}
    assert "nll_mean" in verify.table(rows)


def test_a_comparison_diff_is_judged_by_its_own_interval():
    ok = copy.deepcopy(COMMITTED)
    ok["comparisons"][0]["diff"] = -0.06
    assert statuses(compare(COMMITTED, ok)) == {"comparisons.lr_vs_pi.diff": "within ci95"}
    bad = copy.deepcopy(COMMITTED)
    bad["comparisons"][0]["diff"] = 0.01  # the sign flipped: the verdict would change
    assert statuses(compare(COMMITTED, bad)) == {"comparisons.lr_vs_pi.diff": "MOVED"}


def test_default_tolerance_is_tight_and_a_declared_one_is_used():
    count = COMMITTED["figures"]["count"]["value"]
    assert statuses(compare(COMMITTED, fresh(count=count + 1), RULES)) == {"count": "MOVED"}
    assert statuses(compare(COMMITTED, fresh(per_tokenizer={"GPT-2": 0.39 * (1 + 1e-9), "Qwen": 1.33}))) == {
        "per_tokenizer.GPT-2": "within tolerance"
    }
    ratio = COMMITTED["figures"]["ratio"]["value"]
    assert statuses(compare(COMMITTED, fresh(ratio=ratio * 1.0005), RULES)) == {"ratio": "within tolerance"}
    assert statuses(compare(COMMITTED, fresh(ratio=ratio * 1.002), RULES)) == {"ratio": "MOVED"}


def test_volatile_figures_are_shown_never_judged():
    timings = [{"method": "naive", "n": 256, "median_s": 0.004}, {"method": "naive", "n": 512, "median_s": 0.02}]
    rows = compare(COMMITTED, fresh(timings=timings), RULES)
    assert set(statuses(rows).values()) == {"volatile"} and all(r.ok for r in rows)
    assert "timings[method=naive,n=256].median_s" in verify.table(rows)


def test_text_and_booleans_must_come_back_exactly():
    assert statuses(compare(COMMITTED, fresh(winner="Qwen"), RULES)) == {"winner": "MOVED"}
    assert statuses(compare(COMMITTED, fresh(holds=False), RULES)) == {"holds": "MOVED"}
    assert statuses(compare(COMMITTED, fresh(missing_value=0.0), RULES)) == {"missing_value": "MOVED"}


def test_a_figure_that_appears_or_disappears_fails():
    gone = copy.deepcopy(COMMITTED)
    del gone["figures"]["winner"]
    gone["figures"]["extra"] = {"value": 1}
    rows = compare(COMMITTED, gone, RULES)
    assert statuses(rows) == {"winner": "gone", "extra": "new"}
    assert not any(r.ok for r in rows if r.status != "same")


def test_judge_between_numbers_and_text():
    assert judge("x", Entry(1.0), Entry("1.0")).status == "MOVED"
    assert judge("x", Entry(0.0), Entry(1e-15)).status == "within tolerance"  # float noise around zero


def test_the_tolerance_table_loads_and_rejects_nonsense(tmp_path):
    table = load_tolerances()
    assert table["default"] <= 1e-3
    assert table["chapters"]["complexity"]["timings*"] == "volatile"
    bad = tmp_path / "t.yaml"
    bad.write_text("default: 1e-6\nchapters:\n  tokens:\n    speed: fast\n")
    with pytest.raises(ValueError, match="tokens.speed"):
        load_tolerances(bad)


def test_verify_fails_when_there_is_nothing_to_compare_with(tmp_path, capsys):
    from lcreport import execute

    nb = [p for p in execute.toc_notebooks() if execute.chapter_name(p) == "tokens"]
    assert verify.verify_chapters(nb, against=tmp_path) == 2
    assert "nothing to verify tokens against" in capsys.readouterr().err


def test_verify_reports_moved_figures_and_fails(tmp_path, monkeypatch, capsys):
    """The command's own path, with the re-execution replaced by a result that moved."""
    from lcreport import execute

    against = tmp_path / "committed"
    against.mkdir()
    (against / "toy.json").write_text(json.dumps(COMMITTED))
    (against / "other.json").write_text("{}")

    def fake_run(notebooks, *, out_results, **kw):
        assert (out_results / "other.json").exists() and not (out_results / "toy.json").exists()
        (out_results / "toy.json").write_text(json.dumps(fresh(nll_mean=4.0, winner="Qwen")))
        return [("01_toy", 1.0)]

    monkeypatch.setattr(execute, "run_chapters", fake_run)
    code = verify.verify_chapters(
        [tmp_path / "01_toy.ipynb"], against=against, tolerances={"default": 1e-6, "chapters": {}}
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "nll_mean" in out and "winner" in out and "MOVED beyond tolerance" in out

    def same_run(notebooks, *, out_results, **kw):
        (out_results / "toy.json").write_text(json.dumps(COMMITTED))
        return [("01_toy", 1.0)]

    monkeypatch.setattr(execute, "run_chapters", same_run)
    assert (
        verify.verify_chapters(
            [tmp_path / "01_toy.ipynb"], against=against, tolerances={"default": 1e-6, "chapters": {}}
        )
        == 0
    )
    assert "reproduced within tolerance" in capsys.readouterr().out
