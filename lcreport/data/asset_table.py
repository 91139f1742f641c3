"""The offline assets of the book: which package each comes from, and its files' SHA-256.

The table itself is data, ``assets.yaml`` beside this file; this module only reads it into
``ASSETS``. What each kind of asset is lives in ``asset_kinds``; fetching and checking, in ``assets``.
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from .asset_kinds import Asset, DebianAsset, NpmAsset, PypiAsset, PypiSdistAsset

#: one entry per asset: its ``kind`` and every field of ``Asset`` it sets
ASSETS_FILE = Path(__file__).with_name("assets.yaml")

#: an entry's ``kind`` → the class that knows how to fetch it
KINDS: dict[str, type[Asset]] = {
    "debian": DebianAsset,
    "npm": NpmAsset,
    "pypi": PypiAsset,
    "pypi-sdist": PypiSdistAsset,
}

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _build(entry: dict, path: Path) -> Asset:
    """One asset from its entry; a wrong kind, an unknown field or a malformed digest is an error."""
    values = dict(entry)
    name = values.get("name", "?")
    kind = values.pop("kind", None)
    if kind not in KINDS:
        raise ValueError(f"{path.name}: asset {name!r} has kind {kind!r}; expected one of {', '.join(KINDS)}")
    unknown = set(values) - {f.name for f in fields(Asset)}
    if unknown:
        raise ValueError(f"{path.name}: asset {name!r} has unknown field(s) {', '.join(sorted(unknown))}")
    bad = [
        m
        for m, digest in (values.get("files") or {}).items()
        if not (isinstance(digest, str) and _SHA256.fullmatch(digest))
    ]
    if bad:
        raise ValueError(f"{path.name}: asset {name!r}: not a SHA-256 hex digest for {', '.join(bad)}")
    return KINDS[kind](**values)


def load_assets(path: Path = ASSETS_FILE) -> dict[str, Asset]:
    """The table, name → asset, in the file's order."""
    import yaml

    assets: dict[str, Asset] = {}
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
        asset = _build(entry, path)
        if asset.name in assets:
            raise ValueError(f"{path.name}: asset {asset.name!r} is listed twice")
        assets[asset.name] = asset
    return assets


ASSETS: dict[str, Asset] = load_assets()
