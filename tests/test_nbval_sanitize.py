"""nbval_sanitize.cfg masks what differs between two runs of the same code, and nothing else."""

import configparser
import re

import pytest

from lcreport.paths import ROOT


def sanitize(text: str) -> str:
    config = configparser.ConfigParser()
    config.read(ROOT / "nbval_sanitize.cfg")
    for section in config.sections():  # nbval applies them in this order
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text


@pytest.mark.parametrize(
    "a, b",
    [
        ("started 2026-11-22T05:19:26Z", "started 2027-01-02T10:00:00.123456+00:00"),
        ("<Tokenizer at 0x7f3a2b4c5d60>", "<Tokenizer at 0x55d0c0ffee00>"),
        ("cache in /work/main/.cache/lcreport/llama/ab12", "cache in /home/runner/work/x/.cache/lcreport/llama/cd34"),
        ("3/3 [00:00<00:00,  3.44it/s]", "3/3 [00:02<00:00,  1.10it/s]"),
        ("commit f7c1b6c530b9+dirty", "commit 0a1b2c3d4e5f"),
        ('<?xml version="1.0"?><svg width="1pt"><path d="M 0 0"/></svg>', '<svg width="2pt"><g/></svg>'),
    ],
)
def test_volatile_text_is_masked(a, b):
    assert sanitize(a) == sanitize(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("109482240 parameters", "109482241 parameters"),  # a count is not a commit hash
        ("373 GFLOP/s", "374 GFLOP/s"),  # a unit is not a path
        ("ratio 9.13×", "ratio 9.12×"),
        ("C003-7 supported", "C003-7 wrong"),
    ],
)
def test_results_are_not_masked(a, b):
    assert sanitize(a) != sanitize(b)


def test_the_nbval_target_uses_it():
    assert "--nbval-sanitize-with nbval_sanitize.cfg" in (ROOT / "Makefile").read_text()
