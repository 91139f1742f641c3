"""Typed numbers in prose: every number a reader sees in a chapter's or page's text comes from code.

A markdown cell or a ``book/*.md`` page may show a number only where it is

* glued (``{glue:text}`key``` and every other role: ``{cite}``, ``{ref}``, ``{math}``, …), in a
  code span or a code block, in math (``$…$``, ``$$…$$``), in a link's target or a bare URL, or in a
  MyST label (``(label)=``): all of these are masked before the scan;
* one of the few kinds of ``ALLOWED`` below, each with the reason it is not a quantity.

:func:`typed_numbers` returns every other number, with its context. Numbers written out in words
("two", "eight times") and Chinese numerals are not seen: the rule is about digits.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

# What is not prose (masked first, in this order).
_FENCE = re.compile(r"^(`{3,}|~{3,})(.*?)$(.*?)^\1[ \t]*$", re.S | re.M)
_ROLE_OR_CODE = re.compile(r"(?:\{[\w:+-]+\})?(`+)(?:(?!\1).)+?\1", re.S)  # {glue:text}`…`, `code`
_DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)[^$\n]+?(?<![\\\s])\$")
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)|<https?://[^>]*>|https?://\S+")
_LABEL = re.compile(r"^\([\w:.-]+\)=[ \t]*$", re.M)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
# A fenced block whose info string is a MyST directive with prose in its body ({glossary}, {note}
# …) keeps its body; every other fence (```bash, ```{math}, ```{code-cell}) is code or math.
_PROSE_DIRECTIVES = {
    "glossary",
    "note",
    "warning",
    "tip",
    "important",
    "admonition",
    "caution",
    "attention",
    "hint",
    "seealso",
    "epigraph",
    "margin",
    "sidebar",
    "dropdown",
}

# The allow-list: numbers that are identifiers, not quantities. Keep it short; each says why.
ALLOWED = {
    # Part of a name: a word that starts with a Latin letter and carries digits, joined by - _ .
    # (Llama-2-7B, GPT-3, SmolLM2-135M, all-MiniLM-L6-v2, cl100k_base, Qwen2.5, H200, fp16, claim
    # IDs such as C003-7). The number names a thing; it does not measure anything in this book.
    # ASCII only, so that "Kimi的5倍" does not make "5" part of the name "Kimi".
    "name": re.compile(r"(?<![\w.-])[A-Za-z]\w*(?:[-.]\w+)*", re.A),
    # A cross-reference: the number after §, #, or a word that points into a text (section 5,
    # sections 1–5, part 2, seed 003, seeds 000 and 004, Table 1, issue #8995, line 17). It says
    # where, not how much.
    "reference": re.compile(
        r"(?:§|#|\b(?:[Ss]ections?|[Pp]arts?|[Cc]hapters?|[Ss]eeds?|[Tt]ables?|[Aa]ppendix|[Ll]ines?"
        r"|[Ii]ssues?|PR)[ \t]+#?)\d+(?:\.\d+)*(?:(?:[ \t]*[–,-][ \t]*|[ \t]+(?:and|or|to)[ \t]+)\d+(?:\.\d+)*)*"
    ),
    # The number of a numbered heading or list item ("## 4. Measured …", "3. every chapter …"):
    # the order of the text, which Markdown itself would renumber.
    "enumeration": re.compile(r"^[ \t]*(?:#+[ \t]+)?\d+\.(?=[ \t])", re.M),
    # A year, in an author-year citation or closing "in"/"since" ("Vaswani et al. (2017)", "in 2023."):
    # a date, not a quantity. Only there, so that "(2048)" or "in 2048 tokens" is still a length.
    "year": re.compile(r"(?<=al\. \()(?:19|20)\d\d[a-z]?(?=\))|\b(?:in|since)[ \t]+(?:19|20)\d\d(?=[.,;:)])"),
}

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


class TypedNumber(NamedTuple):
    """A number found in prose: the digits as written and the text around them."""

    number: str
    context: str


def _blank(match: re.Match) -> str:
    """Replace a match by spaces of the same length (newlines kept), so offsets stay valid."""
    return re.sub(r"[^\n]", " ", match.group(0))


def _fence(match: re.Match) -> str:
    """Mask a fenced block, except the body of a directive that holds prose."""
    info = match.group(2).strip()
    directive = re.fullmatch(r"\{([\w-]+)\}.*", info)
    if directive and directive.group(1) in _PROSE_DIRECTIVES:
        head_len = len(match.group(1)) + len(match.group(2))
        body = re.sub(r"^:[\w-]+:.*$", _blank, match.group(3), flags=re.M)  # directive options
        return " " * head_len + body + " " * len(match.group(1))
    return _blank(match)


def prose_only(text: str) -> str:
    """``text`` with everything that is not prose (code, roles, math, targets, labels) blanked."""
    text = _FENCE.sub(_fence, text)
    for pattern in (_HTML_COMMENT, _ROLE_OR_CODE, _DISPLAY_MATH, _INLINE_MATH, _LINK_TARGET, _LABEL):
        text = pattern.sub(_blank, text)
    return text


def typed_numbers(text: str, width: int = 30) -> list[TypedNumber]:
    """Every number of the markdown ``text`` that is neither masked nor ``ALLOWED``, in order."""
    scan = prose_only(text)
    for pattern in ALLOWED.values():
        scan = pattern.sub(lambda m: _blank(m) if re.search(r"\d", m.group(0)) else m.group(0), scan)
    return [
        TypedNumber(m.group(0), " ".join(text[max(0, m.start() - width) : m.end() + width].split()))
        for m in _NUMBER.finditer(scan)
    ]


def markdown_sources(path: Path) -> list[tuple[str, str]]:
    """The markdown of a notebook (one ``("cell N", source)`` per markdown cell) or of a page."""
    path = Path(path)
    if path.suffix != ".ipynb":
        return [("page", path.read_text(encoding="utf-8"))]
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(f"cell {i}", "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "markdown"]


def scan_file(path: Path) -> list[tuple[str, TypedNumber]]:
    """Every typed number of a notebook's markdown cells or of a page: ``(where, TypedNumber)``."""
    return [(where, hit) for where, source in markdown_sources(path) for hit in typed_numbers(source)]
