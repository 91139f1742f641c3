"""No typed numbers: every number in a chapter's markdown or a book page comes from code (issue 15, item 8).

A number in prose must be glued from the notebook that computes it ({glue:text}`key`, or
{glue:text}`../notebooks/NN.ipynb::key` on a page), or sit where it is not prose: math, code, a
citation, a cross-reference, a link's target, a label. ``lcreport.prose.ALLOWED`` is the short list of
numbers that are identifiers rather than quantities (names such as Llama-2-7B, cross-references such
as "section 5" or "seed 003", the numbers of headings and list items, years); each entry says why.

A quantity quoted from a source article or a model card is glued from the code that holds it (the
claims registry, a profile, the asset table, a module constant) or written without digits.
One test per file, so that each file's typed numbers are reported on their own.
"""

from pathlib import Path

import pytest

from lcreport.paths import ROOT
from lcreport.prose import ALLOWED, markdown_sources, prose_only, scan_file, typed_numbers

FILES = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "book").glob("*.md"))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_no_typed_numbers(path: Path):
    hits = scan_file(path)
    report = "\n".join(f"  {where}: {hit.number!r} in …{hit.context}…" for where, hit in hits)
    assert not hits, (
        f"{path.relative_to(ROOT)}: {len(hits)} typed number(s); glue them or write them in words:\n{report}"
    )


def numbers(text: str) -> list[str]:
    return [hit.number for hit in typed_numbers(text)]


# --- the scanner itself, on both sides ---------------------------------------------------------------------


def test_a_typed_number_is_flagged():
    assert numbers("Going from 512 to 4,096 tokens costs 9.1× more, not 64×.") == ["512", "4,096", "9.1", "64"]
    assert numbers("a 135M model at 128k tokens, 4L, θ = 10⁵") == ["135", "128", "4", "10"]
    assert numbers("Kimi: 「200万字」 is 95% of it; 「是Kimi的5倍」") == ["200", "95", "5"]  # Chinese is prose too
    assert numbers("- **Findings**: 3 of 9 fall short") == ["3", "9"]  # a list item's text is prose


def test_the_same_numbers_glued_in_math_or_in_code_are_not():
    assert (
        numbers(
            "Going from {glue:text}`short_n:,.0f` to {glue:text}`long_n:,.0f` tokens costs "
            "{glue:text}`ratio:.1f`× more, not {glue:text}`../notebooks/01.ipynb::claimed:.0f`×."
        )
        == []
    )
    assert numbers("$1024\\cdot512 = 524288$ and $$F(n) = 2n^2d$$ and `--timeout 900` and {math}`2^{10}`") == []
    assert numbers("```bash\naccelerate launch --num_processes 8\n```\n") == []
    assert numbers("see {cite}`brown2020gpt3` and {ref}`part 2 <longrope2-finetune>`") == []
    assert numbers("[PR #33129](https://github.com/huggingface/transformers/pull/33129)") == []
    assert numbers("(longrope2-depth-width)=\n## 6. Does depth × width set the window?") == []


def test_names_references_enumerations_and_years_are_allowed():
    assert (
        numbers(
            "Llama-2-7B, GPT-3, GPT-4-turbo's window, SmolLM2-135M, all-MiniLM-L6-v2, cl100k_base, "
            "Qwen2.5, o200k, an H200, fp16, C003-7 and C000-9"
        )
        == []
    )
    assert numbers("seed 003 §4.2–4.3, seeds 000, 003 and 004, sections 1–5, part 2, Table 1, issue #8995") == []
    assert numbers("1. the workflows\n2. the unit tests\n### 3. Memory") == []
    assert numbers("as Vaswani et al. (2017) showed, and in 2023.") == []
    # …but only as identifiers: a number after a name, or a year-like length, is still a quantity
    assert numbers("Llama-2-7B 4096, at 2048 tokens, the 6 layers of section's model") == ["4096", "2048", "6"]
    assert numbers("a window (2048), in 2048 tokens") == ["2048", "2048"]


def test_directives_with_prose_are_scanned_and_others_are_not():
    glossary = "```{glossary}\nL\n  The training length, 256 tokens.\n```\n"
    assert numbers(glossary) == ["256"]
    assert numbers("```{math}\nn^2 = 4096^2\n```\n") == []
    assert "4096" not in prose_only("```{code-cell}\nx = 4096\n```\n")


def test_every_allowed_kind_says_why_and_every_file_is_read():
    source = (ROOT / "lcreport" / "prose.py").read_text(encoding="utf-8")
    for kind in ALLOWED:  # each entry of the allow-list is preceded by its reason
        comment = source[: source.index(f'"{kind}":')].rsplit("ALLOWED = {", 1)[-1].strip().splitlines()[-1]
        assert comment.lstrip().startswith("#"), kind
    assert {p.name for p in FILES} >= {"01_complexity.ipynb", "intro.md", "glossary.md"}
    assert all(markdown_sources(p) for p in FILES)


def test_cross_document_glue_names_its_format():
    """myst-nb splits `doc::key` on its last colon: without a format spec (`doc::key:d`) the key is lost."""
    import re

    bare = [
        (p.name, m)
        for p in sorted((ROOT / "book").glob("*.md"))
        for m in re.findall(r"\{glue:text\}`([^`]*::[^`]*)`", p.read_text(encoding="utf-8"))
        if ":" not in m.split("::", 1)[1]
    ]
    assert not bare, f"cross-document glue without a format spec: {bare}"
