"""lcreport: the helper package behind the context-length report.

Each chapter notebook calls a few functions from here; everything that computes a
number lives in this package and is unit-tested under ``tests/``.
"""

import os

# Nothing in this project may reach a model hub; fail fast instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

__version__ = "0.1.0"
