"""Passages of English, modern Chinese and classical Chinese, for counting characters and tokens.

Sources (see ``assets``): Austen's novels (English prose); People's Daily, January
1998 (modern Chinese news, with gold word segmentation); the Analects (classical
prose); Tang poems and Song ci (classical verse).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

from .assets import require
from .corpus import austen_documents

_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F))


def is_han(ch: str) -> bool:
    """A CJK ideograph (汉字): the Unified Ideographs blocks, Extension A–F and compatibility forms."""
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _HAN_RANGES)


def count_han(text: str) -> int:
    return sum(map(is_han, text))


@dataclass(frozen=True)
class Passage:
    source: str  # "English prose", "Modern Chinese news", …
    text: str
    words: int | None  # gold word count where the corpus has one (English: whitespace words)

    @property
    def chars(self) -> int:
        """All Unicode characters, spaces and punctuation included."""
        return len(self.text)

    @property
    def han(self) -> int:
        return count_han(self.text)


# --- the sources as lists of units (paragraphs, poems), in corpus order --------------------

_TAGGED_WORD = re.compile(r"\[?([^\s/\[\]]+)/[A-Za-z]+\]?[a-z]*")


@cache
def people_daily_paragraphs() -> tuple[tuple[str, int], ...]:
    """(text, word count) per paragraph; words are the corpus's own segmentation, punctuation (/w) excluded."""
    out = []
    for line in (require("people-daily") / "199801.txt").read_text(encoding="utf-8").splitlines():
        items = line.split()
        if not items:
            continue
        words = [_TAGGED_WORD.fullmatch(it) for it in items]
        text = "".join(m.group(1) if m else it for m, it in zip(words, items))
        n_words = sum(1 for it in items if not it.endswith("/w"))
        out.append((text, n_words))
    return tuple(out)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@cache
def classical_poems() -> tuple[str, ...]:
    """Poem bodies from the Tang 300 and Song 100 fortune files (titles and authors removed)."""
    folder = require("tang-song")
    poems = []
    for name in ("tang300", "song100"):
        for entry in (folder / name).read_text(encoding="utf-8").split("\n%\n"):
            lines = [_ANSI.sub("", ln).strip() for ln in entry.strip().splitlines()]
            body = [ln for ln in lines if ln and not ln.startswith(("《", "作者", "%"))]
            if body:
                poems.append("\n".join(body))
    return tuple(poems)


@cache
def lunyu_paragraphs() -> tuple[str, ...]:
    data = json.loads((require("lunyu") / "lunyu.json").read_text(encoding="utf-8"))
    return tuple(p for chapter in data for p in chapter["paragraphs"])


@cache
def austen_paragraphs() -> tuple[str, ...]:
    paras = []
    for doc in austen_documents():
        for block in re.split(r"\n\s*\n", doc.text):
            block = " ".join(block.split())
            if len(block) > 40 and not block.isupper():  # skip headings such as "CHAPTER I"
                paras.append(block)
    return tuple(paras)


# --- passages ------------------------------------------------------------------------------

SOURCES = ("English prose", "Modern Chinese news", "Classical Chinese prose", "Classical Chinese verse")


def _units(source: str):
    if source == "English prose":
        return [(p, len(p.split())) for p in austen_paragraphs()]
    if source == "Modern Chinese news":
        return list(people_daily_paragraphs())
    if source == "Classical Chinese prose":
        return [(p, None) for p in lunyu_paragraphs()]
    if source == "Classical Chinese verse":
        return [(p, None) for p in classical_poems()]
    raise ValueError(f"unknown text source {source!r}: choose from {', '.join(SOURCES)}")


def passages(source: str, *, count: int, min_chars: int) -> list[Passage]:
    """``count`` passages of at least ``min_chars`` characters, spread evenly over the source.

    Consecutive units (paragraphs, poems) are joined until the passage is long enough, so
    no passage cuts a sentence. Deterministic: no sampling.
    """
    units = _units(source)
    joiner = " " if source == "English prose" else "\n"
    groups, cur_text, cur_words = [], [], 0
    for text, words in units:
        cur_text.append(text)
        cur_words = None if words is None or cur_words is None else cur_words + words
        if sum(map(len, cur_text)) >= min_chars:
            groups.append(Passage(source, joiner.join(cur_text), cur_words))
            cur_text, cur_words = [], 0
    if len(groups) < count:
        raise ValueError(f"{source}: only {len(groups)} passages of ≥{min_chars} characters, {count} asked for")
    step = len(groups) / count
    return [groups[int(i * step)] for i in range(count)]
