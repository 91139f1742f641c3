"""The claims registry: every checkable claim of the five source articles, in the project's own words,
read from ``claims.yaml`` (data) beside this module.

Each ``Claim`` holds where it was made (article and line), a short quotation of the sentence
under test (attributed: the article is named in ``ARTICLES``), our English gloss, its category,
its evidence (keys into ``results/*.json``: ``"<chapter>.<figure>"`` for a figure,
``"<chapter>.<comparison id>"`` for a comparison) and the rule that turns that evidence into a
verdict (``claims.rules``). No verdict is typed. Opinions are recorded, not judged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import rules as R

#: the registry itself: data, in the project's own words (one entry per claim)
REGISTRY_FILE = Path(__file__).with_name("claims.yaml")

VERDICTS = ("supported", "supported with caveat", "misleading", "wrong", "unverifiable here", "opinion")
CATEGORIES = ("complexity", "units", "architecture", "BERT", "LongRoPE", "vendor figure", "references", "opinion")
#: the five source articles (Chinese web articles on context length), by the number the book cites them by
SEED_FILES = {
    "000": "000_e02f09121f78159e.txt",
    "001": "001_316fc0e59bb7c1ec.txt",
    "002": "002_b5e9c37065cbc79f.txt",
    "003": "003_8c3da69ce69deedd.txt",
    "004": "004_8e55ce3ff0d5ab2b.txt",
}
ARTICLES = {
    "000": "lesson on context length (with reader comments)",
    "001": "LLM上下文长度再升级",
    "002": "超长上下文：LLM的记忆革命",
    "003": "上下文长度越卷越离谱,我们真需要这么多token么?",
    "004": "Extending context length in LLMs (Chinese translation)",
}


@dataclass(frozen=True)
class Claim:
    id: str
    seed: str  # article "000" … "004"
    line: int  # 1-based line of the article's text
    quote: str  # the original words (a short quotation of that line)
    gloss: str  # our English rendering
    category: str
    claimed: str  # what the claim asserts, as a figure where it has one
    section: str  # MyST label of the section that holds the evidence
    evidence: tuple[str, ...] = ()
    rule: Callable | None = None  # (figures) → (verdict, measured)
    rule_text: str = ""
    rule_zh: str = ""  # the rule in Chinese, for the Chinese ledger
    flip: str = ""  # what result would have changed the verdict
    flip_zh: str = ""  # the same in Chinese


class RegistryError(ValueError):
    pass


def load_claims(path: Path = REGISTRY_FILE) -> tuple[Claim, ...]:
    """The claims of ``claims.yaml``, each with its rule function looked up in ``rules``."""
    import yaml

    claims = []
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
        rule = None
        if "rule" in entry:
            fn = getattr(R, entry["rule"], None)
            if not callable(fn):
                raise RegistryError(f"{entry['id']}: no rule {entry['rule']!r} in lcreport/claims/rules.py")
            rule = fn(**entry["rule_args"]) if "rule_args" in entry else fn
        claims.append(
            Claim(
                entry["id"],
                entry["article"],
                entry["line"],
                entry["quote"],
                entry["gloss"],
                entry["category"],
                entry["claimed"],
                entry["section"],
                tuple(entry.get("evidence", ())),
                rule,
                entry.get("rule_text", ""),
                entry.get("rule_zh", ""),
                entry.get("flip", ""),
                entry.get("flip_zh", ""),
            )
        )
    return tuple(claims)


#: the book's check of the works the articles cite (data): whether each exists and says what it is cited for
REFERENCES_FILE = Path(__file__).with_name("references.yaml")


def load_references(path: Path = REFERENCES_FILE) -> dict:
    """``{key: {"cited", "exists", "supports", "finding"}}``: what chapter 06 records as ``references``."""
    import yaml

    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, entry in table.items():
        missing = {"cited", "exists", "supports", "finding"} - set(entry)
        if missing or not isinstance(entry["exists"], bool) or not isinstance(entry["supports"], bool):
            raise RegistryError(f"references.yaml, {key}: needs cited, finding and boolean exists, supports")
    return table


CLAIMS: tuple[Claim, ...] = load_claims()
BY_ID = {c.id: c for c in CLAIMS}
