"""The claims of the source articles, the rules that judge them, and the ledger.

``registry`` (the claims, data), ``rules`` (thresholds and verdicts), ``ledger`` (evidence in,
tables out). Notebooks use the names re-exported here.
"""

from .ledger import (
    MissingEvidenceError,
    assess,
    claims_table,
    describe,
    ledger,
    ledger_markdown,
    ledger_markdown_zh,
    load_figures,
    problems,
    references_table,
    validate,
    verdict_table,
)
from .registry import ARTICLES, BY_ID, CATEGORIES, CLAIMS, SEED_FILES, VERDICTS, Claim, load_references

__all__ = [
    "ARTICLES",
    "BY_ID",
    "CATEGORIES",
    "CLAIMS",
    "SEED_FILES",
    "VERDICTS",
    "Claim",
    "MissingEvidenceError",
    "assess",
    "claims_table",
    "describe",
    "ledger",
    "ledger_markdown",
    "ledger_markdown_zh",
    "load_figures",
    "problems",
    "references_table",
    "load_references",
    "validate",
    "verdict_table",
]
