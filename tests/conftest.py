import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def tmp_results(tmp_path, monkeypatch):
    """Results written by a test go to a temporary folder, never to results/."""
    monkeypatch.setenv("LCREPORT_RESULTS", str(tmp_path / "results"))
    return tmp_path / "results"
