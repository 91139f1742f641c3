"""Book-length English documents: our stand-in for PG-19 (Rae et al. 2020).

Two public-domain sources that ship in Debian packages (see ``assets``):
Jane Austen's six novels and the World English Bible, one document per book.
Split into train and held-out sets by *whole book*, so a held-out score never sees
a sentence of its book in training.
"""

from __future__ import annotations

import re
import struct
import warnings
import zlib
from dataclasses import dataclass
from functools import cache

from .assets import require


@dataclass(frozen=True)
class Document:
    source: str  # "austen" or "web"
    title: str  # novel title, or the book's OSIS id (Gen, Isa, Acts, …)
    text: str

    @property
    def key(self) -> str:
        return f"{self.source}/{self.title}"


AUSTEN_TITLES = {
    "sensesensibility": "Sense and Sensibility",
    "prideprejudice": "Pride and Prejudice",
    "mansfieldpark": "Mansfield Park",
    "emma": "Emma",
    "northangerabbey": "Northanger Abbey",
    "persuasion": "Persuasion",
}

#: Held out from training: one novel and three Bible books of different genres.
DEFAULT_HELDOUT = ("austen/Persuasion", "web/Isa", "web/Acts", "web/Ruth")


@cache
def austen_documents() -> tuple[Document, ...]:
    """The six novels, read from janeaustenr's R lazy-load database with ``rdata``.

    An R lazy-load database is an index (.rdx, one serialised R list of offsets) and a
    blob file (.rdb) of zlib-compressed serialised objects, each behind a 4-byte length.
    """
    import rdata

    folder = require("austen")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rdata warns that .rdx is "an RDS with another extension"
        index = rdata.conversion.convert(rdata.parser.parse_file(folder / "Rdata.rdx"))
        blob = (folder / "Rdata.rdb").read_bytes()
        docs = []
        for name, (offset, length) in index["variables"].items():
            raw = zlib.decompress(blob[int(offset) + 4 : int(offset) + int(length)])
            lines = [str(x) for x in rdata.conversion.convert(rdata.parser.parse_data(raw))]
            docs.append(Document("austen", AUSTEN_TITLES[str(name)], "\n".join(lines).strip()))
    order = list(AUSTEN_TITLES.values())  # publication order
    return tuple(sorted(docs, key=lambda d: order.index(d.title)))


_NOTE = re.compile(r"<note\b.*?</note>", re.S)
_TITLE = re.compile(r"<title\b.*?</title>", re.S)
_TAG = re.compile(r"<[^>]+>")
_CHAPTER = re.compile(r'<chapter\b[^>]*\bosisID="([^".]+)\.\d+"[^>]*sID=')
_BOOK_END = re.compile(r'<div\b[^>]*\beID="[^"]*"[^>]*\btype="book"[^>]*>')
_PARTIAL_TAG = re.compile(r"<[^>]*$|^[^<]*>")
_SPACE = re.compile(r"[ \t\u00a0]+")
_SPACE_BEFORE_PUNCT = re.compile(r" +([,.;:!?’”)\]])")


def _clean_osis(fragment: str) -> str:
    # A footnote often sits between two words with no space around it ("God<note/>created").
    text = _TAG.sub("", _TITLE.sub("", _NOTE.sub(" ", fragment)))
    text = _PARTIAL_TAG.sub("", text)  # a few verses end inside a tag
    return _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACE.sub(" ", text)).strip()


def _read_ztext(folder, testament: str):
    """Yield the raw OSIS text of each verse of a SWORD zText module, in canonical order.

    Index formats (SWORD's zVerse driver): ``.bzs`` holds (offset, size, uncompressed
    size) as three little-endian uint32 per compressed block; ``.bzv`` holds
    (block, offset, size) as uint32, uint32, uint16 per verse; ``.bzz`` the zlib blocks.
    """
    bzs = (folder / f"{testament}.bzs").read_bytes()
    bzv = (folder / f"{testament}.bzv").read_bytes()
    bzz = (folder / f"{testament}.bzz").read_bytes()
    blocks: dict[int, bytes] = {}
    for i in range(len(bzv) // 10):
        block, offset, size = struct.unpack_from("<IIH", bzv, i * 10)
        if size == 0:
            continue
        if block not in blocks:
            start, csize, _ = struct.unpack_from("<III", bzs, block * 12)
            blocks[block] = zlib.decompress(bzz[start : start + csize])
        yield blocks[block][offset : offset + size].decode("utf-8")


@cache
def web_documents() -> tuple[Document, ...]:
    """The World English Bible, one document per book, footnotes and headings removed."""
    folder = require("web")
    books: dict[str, list[str]] = {}
    current = None
    for testament in ("ot", "nt"):
        for verse in _read_ztext(folder, testament):
            m = _CHAPTER.search(verse)
            if m:
                current = m.group(1)
                books.setdefault(current, [])
                if books[current]:
                    books[current].append("\n\n")
            if current is None:  # front matter, or a book's introduction before its chapter 1
                continue
            end = _BOOK_END.search(verse)
            text = _clean_osis(verse[: end.start()] if end else verse)
            if text:
                books[current].append(text + " ")
            if end:  # what follows (the next book's introduction, the glossary) is not this book
                current = None
    return tuple(Document("web", book, "".join(parts).strip()) for book, parts in books.items())


def documents(sources=("austen", "web"), *, min_chars: int = 0) -> list[Document]:
    """All documents of the given sources, at least ``min_chars`` long."""
    loaders = {"austen": austen_documents, "web": web_documents}
    out = []
    for source in sources:
        if source not in loaders:
            raise ValueError(f"unknown corpus source {source!r}: choose from {', '.join(loaders)}")
        out.extend(d for d in loaders[source]() if len(d.text) >= min_chars)
    return out


def split_documents(docs, heldout=DEFAULT_HELDOUT) -> tuple[list[Document], list[Document]]:
    """(train, held-out), split by whole document."""
    keys = {d.key for d in docs}
    unknown = set(heldout) - keys
    if unknown:
        raise ValueError(f"held-out documents not in the corpus: {sorted(unknown)}")
    held = set(heldout)
    return [d for d in docs if d.key not in held], [d for d in docs if d.key in held]


def token_stream(docs, encode, *, separator_ids=()) -> list[int]:
    """Concatenate the token ids of ``encode(text)`` for each document, with a separator."""
    ids: list[int] = []
    for d in docs:
        ids.extend(encode(d.text))
        ids.extend(separator_ids)
    return ids


def chunks(ids, length: int, *, max_chunks: int | None = None) -> list[list[int]]:
    """Non-overlapping windows of exactly ``length`` tokens (the tail is dropped)."""
    if length <= 0:
        raise ValueError(f"chunk length must be positive, got {length}")
    n = len(ids) // length
    if n == 0:
        raise ValueError(f"{len(ids)} tokens cannot fill one chunk of {length}")
    if max_chunks is not None:
        n = min(n, max_chunks)
    return [list(ids[i * length : (i + 1) * length]) for i in range(n)]
