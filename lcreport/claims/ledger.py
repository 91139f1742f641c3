"""Judging and rendering: read the chapters' figures and comparisons, apply each claim's rule,
and render the ledger (pandas tables, MyST Markdown with cross-references to the evidence).
"""
from __future__ import annotations

from ..results import MissingResultError, load_results
from .registry import CATEGORIES, CLAIMS, VERDICTS, Claim


class MissingEvidenceError(LookupError):
    pass


def load_figures(chapters=None) -> dict:
    """``{"<chapter>.<figure>": value}`` for every results file present (all chapters by default)."""
    figures = {}
    names = chapters or sorted({e.split(".")[0] for c in CLAIMS for e in c.evidence})
    for chapter in names:
        try:
            data = load_results(chapter)
        except MissingResultError:
            continue
        for key, entry in data["figures"].items():
            figures[f"{chapter}.{key}"] = entry["value"]
        for comparison in data.get("comparisons", []):
            figures[f"{chapter}.{comparison['id']}"] = comparison
    return figures


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
        raise MissingEvidenceError(f"{claim.id}: no figure for {', '.join(missing) or 'its rule'}; "
                                   f"execute the chapter that records it (python -m lcreport run)")
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
        rows.append({"id": c.id, "category": c.category, "seed": f"{c.seed}:{c.line}", "original": c.quote,
                     "claim": c.gloss, "claimed": c.claimed, "measured": measured, "verdict": verdict,
                     "rule": c.rule_text, "section": c.section})
    return pd.DataFrame(rows)


def claims_table(chapter: str):
    """The claims a chapter tests, as it opens: ID, source, original and gloss."""
    import pandas as pd

    table = pd.DataFrame([{"id": c.id, "seed": f"{c.seed}:{c.line}", "original": c.quote, "our gloss": c.gloss}
                          for c in CLAIMS if c.section.split("-")[0] == chapter]).set_index("id")
    return table.style.set_properties(**{"text-align": "left", "white-space": "normal"})


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
        rows.append({"id": c.id, "verdict": verdict, "evidence": measured})
    table = pd.DataFrame(rows).set_index("id")
    # a Styler renders every character of the evidence (a DataFrame's HTML cuts long text at 50)
    return table.style.set_properties(**{"text-align": "left", "white-space": "normal"})


def _md_cell(text: str, code: bool = False) -> str:
    text = str(text).replace("|", "\\|").replace("\n", " ")
    return f"`{text}`" if code else text


def ledger_markdown(table) -> str:
    """The ledger as MyST Markdown, one table per category, each row linking to its evidence.

    Rendered by pandas (``to_markdown``); the links are MyST ``{ref}`` cross-references, so a
    renamed section breaks the strict build instead of leaving a dead link.
    """
    parts = []
    for category in CATEGORIES:
        rows = table[table.category == category]
        if rows.empty:
            continue
        shown = rows.assign(
            original=[_md_cell(q, code=any(ch in q for ch in "=_\\<|(")) for q in rows.original],
            claim=[_md_cell(g) for g in rows.claim], claimed=[_md_cell(c) for c in rows.claimed],
            measured=[_md_cell(m) for m in rows.measured], verdict=[f"**{v}**" for v in rows.verdict],
            evidence=[f"{{ref}}`§ <{s}>`" for s in rows.section])
        shown = shown[["id", "seed", "original", "claim", "claimed", "measured", "verdict", "evidence"]]
        parts.append(f"**{category}**\n\n" + shown.to_markdown(index=False))
    return "\n\n".join(parts)
