"""Offline assets: where each comes from, how to fetch it, and its checksums.

Nothing here touches a model hub or a website. Each asset ships inside a package of a
registry this project may use (Debian for the corpora, npm for the site's MathJax), is
fetched into a git-ignored folder by ``python -m lcreport fetch``, and is verified by
SHA-256 every time it is used. A missing or altered file is an error that names the
command to run.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..files import file_sha256
from .asset_kinds import Asset, AssetChecksumError, MissingAssetError


def get_asset(name: str) -> Asset:
    from .asset_table import ASSETS  # assets.yaml is read on first use, not when this module loads

    try:
        return ASSETS[name]
    except KeyError:
        raise KeyError(f"unknown asset {name!r}: known assets are {', '.join(ASSETS)}") from None


def require(name: str) -> Path:
    """The asset's folder, after checking every file is present and intact."""
    asset = get_asset(name)
    for member, digest in asset.files.items():
        path = asset.local_path(member)
        if not path.exists():
            raise MissingAssetError(
                f"asset {name!r} ({asset.description}) is missing: {path} not found. "
                f"Fetch it with: {asset.fetch_command}"
            )
        actual = file_sha256(path)
        if actual != digest:
            raise AssetChecksumError(
                f"asset {name!r}: {path} has SHA-256 {actual[:12]}…, expected {digest[:12]}…; "
                f"the file is corrupt or from another package version. Re-fetch it with: "
                f"python -m lcreport fetch --force {name}"
            )
    return asset.folder


def fetch(name: str, *, force: bool = False) -> Path:
    """Download the asset's package, unpack it and keep the listed files, then verify them."""
    asset = get_asset(name)
    if not force:
        try:
            return require(name)
        except (MissingAssetError, AssetChecksumError):
            pass
    with tempfile.TemporaryDirectory(prefix=f"lcreport-{name}-") as tmp:
        unpacked = asset.download(Path(tmp))
        for member in asset.files:
            target = asset.local_path(member)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(unpacked / member, target)
    return require(name)
