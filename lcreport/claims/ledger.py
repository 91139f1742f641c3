"""Judging and rendering: read the chapters' figures and comparisons, apply each claim's rule,
and render the ledger (pandas tables, MyST Markdown with cross-references to the evidence).
"""

from __future__ import annotations

import re

from ..results import MissingResultError, load_results
from .registry import CATEGORIES, CLAIMS, VERDICTS, Claim


class MissingEvidenceError(LookupError):
    pass


def chapter_figures(chapter: str, data: dict) -> dict:
    """One results file's figures and comparisons under ``"<chapter>.<name>"``.

    A figure measured with an interval keeps it: ``{"value", "ci95", "n", …}`` (the rules read its value
    with ``rules.value_of`` and the ledger shows its interval); any other figure is its value; a
    comparison is its dict (``diff``, ``ci95``, ``n``, ``test``, ``p``).
    """
    figures = {}
    for key, entry in data["figures"].items():
        figures[f"{chapter}.{key}"] = dict(entry) if "ci95" in entry else entry["value"]
    for comparison in data.get("comparisons", []):
        figures[f"{chapter}.{comparison['id']}"] = comparison
    return figures


def load_figures(chapters=None) -> dict:
    """``{"<chapter>.<figure>": figure}`` for every results file present (all chapters by default)."""
    figures = {}
    names = chapters or sorted({e.split(".")[0] for c in CLAIMS for e in c.evidence})
    for chapter in names:
        try:
            data = load_results(chapter)
        except MissingResultError:
            continue
        figures.update(chapter_figures(chapter, data))
    return figures


def _number(x) -> str:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    return f"{x:,.0f}" if float(x).is_integer() and abs(x) >= 1 else f"{x:.3g}"


def _is_comparison(x) -> bool:
    return isinstance(x, dict) and "diff" in x and "ci95" in x


def _is_interval(x) -> bool:
    return isinstance(x, dict) and "value" in x and "ci95" in x


def _comparison_text(x) -> str:
    lo, hi = x["ci95"]
    p = f", p = {x['p']:.2g}" if x.get("p") is not None else ""
    arms = f"{x['b']} − {x['a']}: " if "a" in x and "b" in x else ""
    return (
        f"{arms}{x['diff']:+.3g} (95% CI {lo:+.3g} to {hi:+.3g}, n = {x.get('n', '?')}"
        f"{'; ' + x['test'] if x.get('test') else ''}{p})"
    )


def _interval_text(x) -> str:
    lo, hi = x["ci95"]
    p = f", p = {x['p']:.2g}" if x.get("p") is not None else ""
    return f"{_number(x['value'])} (95% CI {_number(lo)} to {_number(hi)}, n = {x.get('n', '?')}{p})"


def describe(key: str, x) -> str:
    """One piece of evidence in words: its name, value, 95% interval and n where it has them.

    A comparison gives b − a with its interval, n, test and p; a figure with an interval its value,
    interval and n; a table of intervals (one per tokenizer, say) or of comparisons each entry so; the
    effective-window table each configuration's effective of claimed window; any other table its size.
    """
    if _is_comparison(x):
        return f"{key}: {_comparison_text(x)}"
    if _is_interval(x):
        return f"{key} = {_interval_text(x)}"
    if isinstance(x, dict) and x and all(_is_interval(v) for v in x.values()):
        return f"{key}: " + "; ".join(f"{k} {_interval_text(v)}" for k, v in x.items())
    if isinstance(x, list) and x and all(_is_comparison(v) for v in x):
        return f"{key}: " + "; ".join(_comparison_text(v) for v in x)
    if (
        isinstance(x, list)
        and x
        and all(isinstance(v, dict) and {"configuration", "claimed", "effective"} <= set(v) for v in x)
    ):
        return f"{key} (effective of configured window, tokens): " + "; ".join(
            f"{v['configuration']} {_number(v['effective'])} of {_number(v['claimed'])}" for v in x
        )
    if isinstance(x, (list, dict)):
        return f"{key}: a table of {len(x)} entries (in the chapter)"
    return f"{key} = {_number(x)} (no interval recorded)"


def problems(figures: dict, claims=CLAIMS) -> list[str]:
    """Everything wrong with the registry against these figures; empty when every claim can be judged."""
    out = []
    seen = set()
    for c in claims:
        if c.id in seen:
            out.append(f"{c.id}: listed twice")
        seen.add(c.id)
        if c.category not in CATEGORIES:
            out.append(f"{c.id}: unknown category {c.category!r}")
        if c.category == "opinion":
            if c.evidence or c.rule:
                out.append(f"{c.id}: an opinion carries no evidence or rule")
            continue
        if not c.evidence or c.rule is None:
            out.append(f"{c.id}: no evidence key or no rule")
        for key in c.evidence:
            if key not in figures:
                out.append(f"{c.id}: evidence {key!r} is in no results file")
    return out


def assess(claim: Claim, figures: dict) -> tuple[str, str]:
    """(verdict, measured) for one claim, computed by its rule from the figures."""
    if claim.category == "opinion":
        return "opinion", "recorded, not tested"
    missing = [k for k in claim.evidence if k not in figures]
    if missing or claim.rule is None:
        raise MissingEvidenceError(
            f"{claim.id}: no figure for {', '.join(missing) or 'its rule'}; "
            f"execute the chapter that records it (python -m lcreport run)"
        )
    view = {k: figures[k] for k in claim.evidence}
    verdict, measured = claim.rule(view)
    if verdict not in VERDICTS:
        raise ValueError(f"{claim.id}: rule returned an unknown verdict {verdict!r}")
    return verdict, measured


def validate(figures: dict, claims=CLAIMS) -> None:
    """Raise MissingEvidenceError listing every problem (the critique chapter and a unit test call it)."""
    found = problems(figures, claims)
    if found:
        raise MissingEvidenceError("the claims registry cannot be judged:\n  " + "\n  ".join(found))


def ledger(figures: dict, claims=CLAIMS):
    """One row per claim: where, what, the verdict and the measured figure (a pandas DataFrame)."""
    import pandas as pd

    rows = []
    for c in claims:
        verdict, measured = assess(c, figures)
        rows.append(
            {
                "id": c.id,
                "category": c.category,
                "seed": f"{c.seed}:{c.line}",
                "original": c.quote,
                "claim": c.gloss,
                "claimed": c.claimed,
                "measured": measured,
                "verdict": verdict,
                "evidence": [describe(k, figures[k]) for k in c.evidence],
                "rule": c.rule_text,
                "rule_zh": c.rule_zh,
                "flip": c.flip,
                "flip_zh": c.flip_zh,
                "section": c.section,
            }
        )
    return pd.DataFrame(rows)


def references_table(references: dict):
    """The bibliography check (``registry.load_references``) as a table: one row per cited work."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "cited": r["cited"],
                "exists as cited": "yes" if r["exists"] else "not found",
                "says what it is cited for": "yes" if r["supports"] else "no",
                "what it is": r["finding"],
            }
            for r in references.values()
        ]
    )


def claims_table(chapter: str):
    """The claims a chapter tests, as it opens: ID, source, original and gloss."""
    import pandas as pd

    table = pd.DataFrame(
        [
            {"id": c.id, "seed": f"{c.seed}:{c.line}", "original": c.quote, "our gloss": c.gloss}
            for c in CLAIMS
            if c.section.split("-")[0] == chapter
        ]
    )
    return table


def verdict_table(chapter: str, figures: dict | None = None):
    """The verdicts a chapter can give from the results written so far (its own included)."""
    import pandas as pd

    figures = load_figures() if figures is None else figures
    rows = []
    for c in CLAIMS:
        if c.section.split("-")[0] != chapter or c.category == "opinion":
            continue
        try:
            verdict, measured = assess(c, figures)
        except MissingEvidenceError:
            verdict, measured = "pending", "needs " + ", ".join(k for k in c.evidence if k not in figures)
        except (KeyError, StopIteration) as e:  # evidence of another chapter not yet in the shape the rule reads
            verdict, measured = "pending", f"needs {e!s} (re-execute the chapter that records it)"
        rows.append({"id": c.id, "verdict": verdict, "evidence": measured})
    return pd.DataFrame(rows)  # shown in full by lcreport.tables (no 50-character cut)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>$|#])")
_TEX = re.compile(r"\\[A-Za-z]+")


_CODE_SPAN = re.compile(r"(`[^`\n]+`)")


def _md_text(text) -> str:
    """Plain text as MyST Markdown, on one line: every markup character escaped, except that a code
    span (`` `1 <| input_ids` ``) stays a code span (its content is literal in Markdown anyway)."""
    parts = _CODE_SPAN.split(str(text).replace("\n", " "))
    return "".join(p if i % 2 else _MD_SPECIAL.sub(r"\\\1", p) for i, p in enumerate(parts))


def _md_quote(quote: str) -> str:
    """A source's sentence: TeX (``\\times``, ``\\text{…}``) typeset as display math (which scrolls
    sideways on a phone if it must), anything else as text."""
    return f"\n\n$$\n{quote}\n$$" if _TEX.search(quote) else _md_text(quote)


def claim_card(row) -> str:
    """One claim as a card: verdict first, then the claim, its source, the figures and the evidence link."""
    lines = [
        f"::::{{card}} {row.id}",
        ":class-card: lcreport-claim",
        "",
        f"[{row.verdict}]{{.lcreport-verdict .verdict-{row.verdict.replace(' ', '-')}}}",
        "",
        f"**Claim** (article {row.seed.replace(':', ', line ')}): {_md_text(row.claim)}",
        "",
        f"**Original:** {_md_quote(row.original)}",
        "",
    ]
    if row.verdict != "opinion":
        lines += [
            f"**Claimed:** {_md_text(row.claimed)}",
            "",
            f"**Measured:** {_md_text(row.measured)}",
            "",
            "**Rests on:**",
            "",
            *[f"- {_md_text(e)}" for e in row.evidence],
            "",
            f"**Rule:** {_md_text(row.rule)}",
            "",
            f"**What would have changed the verdict:** {_md_text(row.flip)}",
            "",
        ]
    lines += [f"**Evidence:** {{ref}}`§ <{row.section}>`", "::::"]
    return "\n".join(lines)


def _cards(table, card, heading) -> str:
    """One heading per category (``heading(category, n)``), then ``card(row)`` for each of its claims."""
    parts = []
    for category in CATEGORIES:
        rows = table[table.category == category]
        if not rows.empty:
            parts.append(heading(category, len(rows)))
            parts += [card(row) for row in rows.itertuples(index=False)]
    return "\n\n".join(parts)


def ledger_markdown(table) -> str:
    """The ledger as MyST Markdown: one heading per category, one card per claim (verdict first),
    each linking to its evidence.

    The links are MyST ``{ref}`` cross-references, so a renamed section breaks the strict build
    instead of leaving a dead link. Cards stack on a phone; nothing is wider than the column.
    """
    return _cards(table, claim_card, lambda category, n: f"**{category}** ({n})")


#: the verdict scale and the categories in Chinese (the Chinese ledger page)
VERDICTS_ZH = {
    "supported": "成立",
    "supported with caveat": "成立，但有保留",
    "misleading": "误导",
    "wrong": "错误",
    "unverifiable here": "本书无法验证",
    "opinion": "观点",
}
CATEGORIES_ZH = {
    "complexity": "计算复杂度",
    "units": "单位：词元与字",
    "architecture": "模型结构",
    "BERT": "BERT",
    "LongRoPE": "LongRoPE",
    "vendor figure": "厂商数据",
    "references": "参考文献",
    "opinion": "观点",
}


def claim_card_zh(row) -> str:
    """One claim for the Chinese ledger: verdict first, the original sentence, the rule in Chinese,
    the measured figure (as the English ledger gives it) and the link to the evidence."""
    verdict = VERDICTS_ZH[row.verdict]
    lines = [
        f"::::{{card}} {row.id}",
        ":class-card: lcreport-claim",
        "",
        f"[{verdict}]{{.lcreport-verdict .verdict-{row.verdict.replace(' ', '-')}}}",
        "",
        f"**原文**（文章 {row.seed.replace(':', '，第 ')} 行）：{_md_quote(row.original)}",
        "",
    ]
    if row.verdict == "opinion":
        lines += ["**理由**：观点，只记录，不检验。", ""]
    else:
        lines += [
            f"**理由**：{_md_text(row.rule_zh)}。",
            "",
            f"**实测**：{_md_text(row.measured)}",
            "",
            "**依据**：",
            "",
            *[f"- {_md_text(e)}" for e in row.evidence],
            "",
            f"**何时会改判**：{_md_text(row.flip_zh)}。",
            "",
        ]
    lines += [f"**证据**：{{ref}}`§ <{row.section}>`（英文）", "::::"]
    return "\n".join(lines)


def ledger_markdown_zh(table) -> str:
    """The ledger in Chinese, from the same table as ``ledger_markdown``: one card per claim."""
    missing = [r.id for r in table.itertuples() if r.verdict != "opinion" and not r.rule_zh]
    if missing:
        raise ValueError(f"claims without a Chinese rule (rule_zh in claims.yaml): {', '.join(missing)}")
    missing = [r.id for r in table.itertuples() if r.verdict != "opinion" and not r.flip_zh]
    if missing:
        raise ValueError(f"claims without a Chinese flip (flip_zh in claims.yaml): {', '.join(missing)}")
    return _cards(table, claim_card_zh, lambda category, n: f"**{CATEGORIES_ZH[category]}**（{n} 条）")
