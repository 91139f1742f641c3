"""The claims registry: every claim of the ledger brief is there, quoted faithfully, and judged by its rule."""

import json
import re

import pytest

from lcreport import claims as cl
from lcreport.paths import ROOT

#: The project's brief and the source articles sit beside a developer's checkout, not in the repository:
#: when they are there, the registry is cross-checked against them; a clone alone skips these two tests.
SHARED = ROOT.parent / "shared"


def test_every_claim_is_registered_once_and_each_article_is_named():
    ids = [c.id for c in cl.CLAIMS]
    assert len(ids) == len(set(ids))
    assert {c.seed for c in cl.CLAIMS} <= set(cl.ARTICLES) == set(cl.SEED_FILES)
    for c in cl.CLAIMS:
        assert c.quote and len(c.quote) <= 100, f"{c.id}: keep the quotation short"


def test_every_claim_of_the_brief_is_registered():
    brief = SHARED / "claims.md"
    if not brief.exists():
        pytest.skip(f"{brief} is not beside this checkout: cross-check against the brief skipped")
    assert set(re.findall(r"C00\d-\d+", brief.read_text(encoding="utf-8"))) <= {c.id for c in cl.CLAIMS}


@pytest.mark.parametrize("claim", cl.CLAIMS, ids=lambda c: c.id)
def test_quote_is_on_the_cited_line_of_its_article(claim):
    article = SHARED / "seeds" / cl.SEED_FILES[claim.seed]
    if not article.exists():
        pytest.skip(f"{article} is not beside this checkout: quotation cross-check skipped")
    assert claim.quote in article.read_text(encoding="utf-8").splitlines()[claim.line - 1]


def test_categories_sections_and_evidence_are_well_formed():
    assert not [p for p in cl.problems({k: 0 for c in cl.CLAIMS for k in c.evidence}) if "no results file" not in p]
    for c in cl.CLAIMS:
        assert c.section.split("-")[0] in ("complexity", "tokens", "bert", "longrope", "longrope2", "critique")
        assert (c.category == "opinion") == (not c.evidence)


def test_committed_results_hold_every_evidence_key():
    """The published book: every claim can be judged from the committed results files."""
    from lcreport.claims.ledger import chapter_figures

    figures = {}
    for path in (ROOT / "results").glob("*.json"):
        figures.update(chapter_figures(path.stem, json.loads(path.read_text())))
    cl.validate(figures)
    table = cl.ledger(figures)
    assert set(table.verdict) <= set(cl.VERDICTS) and len(table) == len(cl.CLAIMS)


def test_missing_evidence_fails_loudly():
    broken = (
        cl.Claim(
            "C999-1", "000", 1, "", "x", "units", "—", "tokens-han", ("tokens.no_such_key",), cl.BY_ID["C002-1"].rule
        ),
    )
    with pytest.raises(cl.MissingEvidenceError, match="no_such_key"):
        cl.validate({}, broken)
    with pytest.raises(cl.MissingEvidenceError, match="no evidence key"):
        cl.validate({}, (cl.Claim("C999-2", "000", 1, "", "x", "units", "—", "tokens-han"),))
    with pytest.raises(cl.MissingEvidenceError):
        cl.assess(broken[0], {})


def full_figures():
    """Synthetic figures for every evidence key (those of the rules' unit tests) and the real bibliography check."""
    from test_claims_rules import BASE

    return {**BASE, "critique.references": cl.load_references()}


def test_verdicts_follow_the_numbers():
    """A rule is a function of the figures: move a figure across its line and the verdict moves."""
    c = cl.BY_ID["C001-4"]
    assert cl.assess(c, {"complexity.seed001_base_recomputed": 8.05e8})[0] == "wrong"
    assert cl.assess(c, {"complexity.seed001_base_recomputed": 5.1e11})[0] == "supported"
    c = cl.BY_ID["C003-7"]

    def one(v):
        return {"value": v, "ci95": [v, v], "n": 20}

    han = {"a": one(0.7), "b": one(1.0)}
    assert (
        cl.assess(c, {"tokens.zh_chars_per_token_ci": {"a": one(0.7), "b": one(1.0)}, "tokens.han_per_token_ci": han})[
            0
        ]
        == "wrong"
    )
    assert (
        cl.assess(c, {"tokens.zh_chars_per_token_ci": {"a": one(0.7), "b": one(1.7)}, "tokens.han_per_token_ci": han})[
            0
        ]
        == "supported with caveat"
    )
    assert (
        cl.assess(c, {"tokens.zh_chars_per_token_ci": {"a": one(1.8), "b": one(1.7)}, "tokens.han_per_token_ci": han})[
            0
        ]
        == "supported"
    )
    assert cl.assess(cl.BY_ID["C000-5"], {}) == ("opinion", "recorded, not tested")


def test_every_judged_claim_says_what_would_change_its_verdict():
    for c in cl.CLAIMS:
        if c.category != "opinion":
            assert c.rule_text and c.rule_zh and c.flip and c.flip_zh, c.id


def test_evidence_is_described_with_its_interval_and_n():
    assert (
        cl.describe("bert.x", {"value": 0.05, "ci95": [0.02, 0.08], "n": 40, "p": 0.001})
        == "bert.x = 0.05 (95% CI 0.02 to 0.08, n = 40, p = 0.001)"
    )
    comparison = {
        "a": "PI",
        "b": "LongRoPE",
        "diff": -0.68,
        "ci95": [-0.73, -0.63],
        "n": 24,
        "test": "paired bootstrap (percentile)",
    }
    assert (
        cl.describe("longrope.c", comparison)
        == "longrope.c: LongRoPE − PI: -0.68 (95% CI -0.73 to -0.63, n = 24; paired bootstrap (percentile))"
    )
    assert "no interval" in cl.describe("complexity.k", 4096)
    assert "a table of 2 entries" in cl.describe("tokens.t", {"a": 1, "b": 2})
    per = {"Qwen": {"value": 1.5, "ci95": [1.48, 1.59], "n": 20}}
    assert cl.describe("tokens.r", per) == "tokens.r: Qwen 1.5 (95% CI 1.48 to 1.59, n = 20)"
    table = [{"configuration": "PI (fine-tuned)", "claimed": 1024, "effective": 0}]
    assert cl.describe("longrope2.e", table).endswith("PI (fine-tuned) 0 of 1,024")


def test_interval_figures_keep_their_interval_when_loaded():
    from lcreport.claims.ledger import chapter_figures

    data = {
        "figures": {"a": {"value": 1.0, "ci95": [0.5, 1.5], "n": 9}, "b": {"value": 3}},
        "comparisons": [{"id": "c", "diff": 0.1, "ci95": [0.0, 0.2], "n": 5}],
    }
    figures = chapter_figures("ch", data)
    assert figures["ch.a"] == {"value": 1.0, "ci95": [0.5, 1.5], "n": 9}
    assert figures["ch.b"] == 3 and figures["ch.c"]["diff"] == 0.1


def test_ledger_markdown_one_card_per_claim_verdict_first_markup_escaped():
    table = cl.ledger(full_figures())
    md = cl.ledger_markdown(table)
    assert md.count("{ref}`§ <") == len(cl.CLAIMS)
    assert md.count(":class-card: lcreport-claim") == len(cl.CLAIMS)
    judged = sum(c.category != "opinion" for c in cl.CLAIMS)
    assert md.count("**What would have changed the verdict:**") == md.count("**Rests on:**") == judged
    assert "95% CI" in md  # the evidence carries its intervals
    first = md.split("::::{card}")[1].splitlines()
    assert first[3].startswith("[") and "{.lcreport-verdict" in first[3]  # the verdict opens the card
    assert "\\<\\| input\\_ids" in md  # markup characters of a quotation are escaped, not rendered
    from lcreport.claims.ledger import _md_text

    assert _md_text("fails at `1 <| x_y`; a_b <c>") == "fails at `1 <| x_y`; a\\_b \\<c\\>"  # code spans kept
    assert "$$\n1024 \\times 512" in md  # TeX from an article is typeset as math


def test_chinese_ledger_has_every_claim_a_chinese_verdict_and_rule():
    from lcreport.claims.ledger import VERDICTS_ZH

    table = cl.ledger(full_figures())
    md = cl.ledger_markdown_zh(table)
    assert md.count(":class-card: lcreport-claim") == len(cl.CLAIMS)
    assert md.count("{ref}`§ <") == len(cl.CLAIMS)
    assert md.count("**何时会改判**") == sum(c.category != "opinion" for c in cl.CLAIMS)
    for verdict in set(table.verdict):
        assert f"[{VERDICTS_ZH[verdict]}]" in md
    broken = table.assign(rule_zh=[""] * len(table))
    with pytest.raises(ValueError, match="rule_zh"):
        cl.ledger_markdown_zh(broken)
    broken = table.assign(flip_zh=[""] * len(table))
    with pytest.raises(ValueError, match="flip_zh"):
        cl.ledger_markdown_zh(broken)


def test_references_table_reads_the_bibliography_check():
    refs = cl.load_references()
    assert {"auli2016", "bishop_mathematics", "prompt_tuning_for_prompt_engineering"} <= set(refs)
    assert not refs["auli2016"]["exists"] and refs["vaswani2017"]["exists"]
    table = cl.references_table(refs)
    assert len(table) == len(refs) and set(table["exists as cited"]) == {"yes", "not found"}
