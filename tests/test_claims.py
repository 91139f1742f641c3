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
    figures = {}
    for path in (ROOT / "results").glob("*.json"):
        data = json.loads(path.read_text())
        for key, entry in data["figures"].items():
            figures[f"{path.stem}.{key}"] = entry["value"]
        for comparison in data.get("comparisons", []):
            figures[f"{path.stem}.{comparison['id']}"] = comparison
    cl.validate(figures)
    table = cl.ledger(figures)
    assert set(table.verdict) <= set(cl.VERDICTS) and len(table) == len(cl.CLAIMS)


def test_missing_evidence_fails_loudly():
    broken = (cl.Claim("C999-1", "000", 1, "", "x", "units", "—", "tokens-han", ("tokens.no_such_key",),
                       cl.BY_ID["C002-1"].rule),)
    with pytest.raises(cl.MissingEvidenceError, match="no_such_key"):
        cl.validate({}, broken)
    with pytest.raises(cl.MissingEvidenceError, match="no evidence key"):
        cl.validate({}, (cl.Claim("C999-2", "000", 1, "", "x", "units", "—", "tokens-han"),))
    with pytest.raises(cl.MissingEvidenceError):
        cl.assess(broken[0], {})


def test_verdicts_follow_the_numbers():
    """A rule is a function of the figures: move a figure across its line and the verdict moves."""
    c = cl.BY_ID["C001-4"]
    assert cl.assess(c, {"complexity.seed001_base_recomputed": 8.05e8})[0] == "wrong"
    assert cl.assess(c, {"complexity.seed001_base_recomputed": 5.1e11})[0] == "supported"
    c = cl.BY_ID["C003-7"]
    assert cl.assess(c, {"tokens.han_per_token_by_tokenizer": {"a": 0.7, "b": 1.0}})[0] == "wrong"
    assert cl.assess(c, {"tokens.han_per_token_by_tokenizer": {"a": 0.7, "b": 1.7}})[0] == "supported with caveat"
    assert cl.assess(c, {"tokens.han_per_token_by_tokenizer": {"a": 1.8, "b": 1.7}})[0] == "supported"
    assert cl.assess(cl.BY_ID["C000-5"], {}) == ("opinion", "recorded, not tested")


def test_ledger_markdown_one_card_per_claim_verdict_first_markup_escaped():
    figures = {k: 1 for c in cl.CLAIMS for k in c.evidence}
    step = {"a": "truncate 256", "b": "truncate 512", "diff": 0.1, "p": 0.01, "n": 9}
    table = cl.ledger(figures | {"bert.truncation_steps": [step], "critique.seed002_errors": ["x"],
                                 "bert.needle_window_comparison": {"diff": 0.0, "ci95": [-0.1, 0.1], "n": 9},
                                 "longrope.ppl_lr_vs_pi": {"ci95": [-1, -0.5], "n": 3},
                                 "longrope.ppl_lr_vs_yarn": {"ci95": [-1, 0.5], "n": 3},
                                 "tokens.han_per_token_by_tokenizer": {"a": 1.0},
                                 "critique.ruler_gpt4": "64K", "critique.ruler_chatglm": "4K", "critique.ruler_gemini": ">128K"})
    md = cl.ledger_markdown(table)
    assert md.count("{ref}`§ <") == len(cl.CLAIMS)
    assert md.count(":class-card: lcreport-claim") == len(cl.CLAIMS)
    first = md.split("::::{card}")[1].splitlines()
    assert first[3].startswith("[") and "{.lcreport-verdict" in first[3]  # the verdict opens the card
    assert "\\<\\| input\\_ids" in md  # markup characters of a quotation are escaped, not rendered
    from lcreport.claims.ledger import _md_text

    assert _md_text("fails at `1 <| x_y`; a_b <c>") == "fails at `1 <| x_y`; a\\_b \\<c\\>"  # code spans kept
    assert "$$\n1024 \\times 512" in md  # TeX from an article is typeset as math


def test_chinese_ledger_has_every_claim_a_chinese_verdict_and_rule():
    from lcreport.claims.ledger import VERDICTS_ZH

    figures = {k: 1 for c in cl.CLAIMS for k in c.evidence}
    table = cl.ledger(figures | {"bert.truncation_steps": [{"a": "truncate 256", "b": "truncate 512", "diff": 0.1,
                                                            "p": 0.01, "n": 9}],
                                 "critique.seed002_errors": ["x"],
                                 "bert.needle_window_comparison": {"diff": 0.0, "ci95": [-0.1, 0.1], "n": 9},
                                 "longrope.ppl_lr_vs_pi": {"ci95": [-1, -0.5], "n": 3},
                                 "longrope.ppl_lr_vs_yarn": {"ci95": [-1, 0.5], "n": 3},
                                 "tokens.han_per_token_by_tokenizer": {"a": 1.0},
                                 "critique.ruler_gpt4": "64K", "critique.ruler_chatglm": "4K",
                                 "critique.ruler_gemini": ">128K"})
    md = cl.ledger_markdown_zh(table)
    assert md.count(":class-card: lcreport-claim") == len(cl.CLAIMS)
    assert md.count("{ref}`§ <") == len(cl.CLAIMS)
    for verdict in set(table.verdict):
        assert f"[{VERDICTS_ZH[verdict]}]" in md
    broken = table.assign(rule_zh=[""] * len(table))
    with pytest.raises(ValueError, match="rule_zh"):
        cl.ledger_markdown_zh(broken)
