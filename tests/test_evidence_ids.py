"""Every evidence key of the claims registry names a figure or comparison id that is written literally (a whole
string literal, not assembled by an f-string) in the package or in a chapter's code, so that grep finds the code
that writes it."""

import json

import pytest

from lcreport.claims.registry import load_claims
from lcreport.paths import ROOT


def _sources() -> str:
    """The package's Python files and the notebooks' cell sources (not their outputs), joined."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "lcreport").rglob("*.py"))]
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            source = cell["source"]
            texts.append(source if isinstance(source, str) else "".join(source))
    return "\n".join(texts)


SOURCES = _sources()
KEYS = sorted({key for claim in load_claims() for key in claim.evidence})


def test_the_registry_has_evidence_keys():
    assert len(KEYS) > 50 and all("." in key for key in KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_every_evidence_id_is_a_literal_in_the_code_that_writes_it(key):
    _, ident = key.split(".", 1)
    assert f'"{ident}"' in SOURCES or f"'{ident}'" in SOURCES, (
        f"{key}: no string literal {ident!r} in lcreport/ or in a notebook's code (built with an f-string?)"
    )
