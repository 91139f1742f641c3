"""Where things live: the repository root, results, data and the cache."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent


def results_dir() -> Path:
    return Path(os.environ.get("LCREPORT_RESULTS", ROOT / "results"))


def data_dir() -> Path:
    """Git-ignored folder for fetched assets (``python -m lcreport fetch``)."""
    return Path(os.environ.get("LCREPORT_DATA", ROOT / "data"))


def cache_dir() -> Path:
    """Git-ignored folder for trained checkpoints and other rebuildable files."""
    return Path(os.environ.get("LCREPORT_CACHE", ROOT / ".cache" / "lcreport"))
