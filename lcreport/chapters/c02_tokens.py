"""The tokens chapter's tables, figures and key numbers, one function per section.

Each ``..._section`` returns the table the chapter shows and ``figures``: the numbers it
records and glues, under the names its prose and the claims registry use. ``plot_…``
functions return the matplotlib Figure they draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import complexity as cx
from ..analysis import tokens as tk
from ..conventions import HAN_PER_TOKEN_CLAIMED, HAN_PER_TOKEN_TOLERANCE
from ..data import texts
from ..plotting import legend_below, subplots

#: tokenizers whose llama.cpp vocabulary ships reference tokenizations: name → (GGUF stem, figure name)
GGUF_REFERENCES = {
    "Llama-2": ("llama-spm", "gguf_match_llama2"),
    "Llama-3": ("llama-bpe", "gguf_match_llama3"),
    "Phi-3": ("phi-3", "gguf_match_phi3"),
}
#: how many mismatched inputs the GGUF table lists, and how much of each
GGUF_MISSES_SHOWN, GGUF_MISS_CHARS = 6, 24
#: the short texts every tokenizer counts in section 2
SAMPLES = {
    "English": (
        "It is a truth universally acknowledged, that a single man in possession of a good fortune, "
        "must be in want of a wife."
    ),
    "Modern Chinese": "上下文长度是大模型非常重要的一个技术指标，它决定了模型一次能够处理多少文本。",
    "Classical Chinese": "子曰：学而时习之，不亦说乎？有朋自远方来，不亦乐乎？",
}
ENGLISH, NEWS = "English prose", "Modern Chinese news"
#: the two meanings of "characters" in seed 003's conversion: label → column of the count table
CHARACTER_DEFINITIONS = {"all characters": "chars_per_token", "汉字 only": "han_per_token"}
#: the seeds' figures (C-id, how the table names it, amount, unit)
KIMI_CHARS, QWEN_CHARS = 2_000_000, 10_000_000
VENDOR_FIGURES = [
    ("C000-1", "Kimi (2,000,000 字)", KIMI_CHARS, "汉字"),
    ("C000-4", "Qwen (10,000,000 字)", QWEN_CHARS, "汉字"),
    ("C000-2", "GPT-4-turbo (128K tokens)", 128_000, "tokens"),
    ("C000-3", "ChatGLM-6B (32K tokens)", 32_768, "tokens"),
    ("C003-1", "Gemini 1.5 Pro (1M tokens)", 1_000_000, "tokens"),
    ("C003-7", "seed 003: 200k tokens", 200_000, "tokens"),
]
#: the product's own tokenizer, where one of the tokenizers this chapter loads is it (GPT-4-turbo's is
#: cl100k_base; Qwen's product is assumed to use its open models' tokenizer); the others are not public
VENDOR_TOKENIZER = {"C000-2": "cl100k_base", "C000-4": "Qwen"}
#: GPT-2's learned positions (C002-1: "512 or 1024 words")
GPT2_POSITIONS = 1024
#: article 000, line 7: Qwen's figure is "是Kimi的5倍" (the ratio it states)
SEED000_QWEN_OVER_KIMI = 5
#: article 003, lines 10 and 12: a 2,000,000-token window, and a novel of "不到 40 万个字"
SEED003_WINDOW, SEED003_NOVEL_CHARS = 2_000_000, 400_000
#: bootstrap resamples and seed of the per-tokenizer intervals of a median
MEDIAN_RESAMPLES, MEDIAN_SEED = 2000, 0


# --- 1. the tokenizers -----------------------------------------------------------------------


def tokenizer_catalogue(toks: dict) -> pd.DataFrame:
    """Every tokenizer of ``tokens.TOKENIZERS``: the models it stands for, its source, vocabulary and status."""
    return pd.DataFrame(
        [
            {
                "tokenizer": name,
                "stands for": family,
                "ships in": source,
                "vocabulary": f"{toks[name].vocab_size:,}" if name in toks else "–",
                "status": "loaded" if name in toks else "not loadable",
            }
            for name, (family, source, _) in tk.TOKENIZERS.items()
        ]
    ).set_index("tokenizer")


def load_failures(failed: dict) -> str:
    """One line "name: reason" per tokenizer that did not load (empty if all loaded)."""
    return "".join(f"{name}: {reason}\n" for name, reason in failed.items())


def gguf_section(toks: dict) -> tuple[pd.DataFrame, dict]:
    """How many of llama.cpp's reference tokenizations each GGUF tokenizer reproduces, and which it misses."""
    rows, figures = [], {}
    for name, (stem, key) in GGUF_REFERENCES.items():
        rate, misses = tk.gguf_match_rate(toks[name], stem)
        shown = "; ".join(repr(m["text"][:GGUF_MISS_CHARS]) for m in misses[:GGUF_MISSES_SHOWN])
        rows.append(
            {
                "tokenizer": name,
                "reference cases": len(tk.gguf_reference_cases(stem)),
                "exact matches": f"{rate:.1%}",
                "mismatched inputs": shown + (" …" if len(misses) > GGUF_MISSES_SHOWN else ""),
            }
        )
        figures[key] = rate
    return pd.DataFrame(rows).set_index("tokenizer"), figures


def sample_counts(toks: dict, samples=SAMPLES) -> pd.DataFrame:
    """Tokens of each short sample in each tokenizer, and a last row with its characters."""
    table = pd.DataFrame({name: {k: len(tok.encode(v)) for k, v in samples.items()} for name, tok in toks.items()}).T
    table.loc["characters"] = {k: len(v) for k, v in samples.items()}
    return table


# --- 3. characters per token over many passages ----------------------------------------------


def chapter_passages(profile) -> list:
    """The profile's passages of every source, in the order of ``texts.SOURCES``."""
    return [
        p
        for s in texts.SOURCES
        for p in texts.passages(s, count=profile.token_passages, min_chars=profile.token_passage_chars)
    ]


def per_tokenizer_median(counts: pd.DataFrame, source: str, column: str) -> pd.Series:
    """Median over one source's passages of a per-passage ratio, by tokenizer (sorted by name)."""
    return counts[counts.source == source].groupby("tokenizer")[column].median()


def passage_section(toks: dict, passages, profile) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Count every passage in every tokenizer: the count table, its per-source summary and the figures."""
    counts = tk.count_table(toks, passages)
    summary = tk.ratio_summary(counts, "chars_per_token")
    en, zh = summary.loc[ENGLISH]["median"], summary.loc[NEWS]["median"]
    zh_words = per_tokenizer_median(counts, NEWS, "tokens_per_word")
    en_words = per_tokenizer_median(counts, ENGLISH, "tokens_per_word")
    figures = {
        "passage_chars": profile.token_passage_chars,
        "passages_per_source": profile.token_passages,
        "en_chars_per_token_min": en.min(),
        "en_chars_per_token_max": en.max(),
        "zh_chars_per_token_min": zh.min(),
        "zh_chars_per_token_max": zh.max(),
        "zh_best_tokenizer": zh.idxmax(),
        "zh_worst_tokenizer": zh.idxmin(),
        "zh_tokens_per_word_min": zh_words.min(),
        "zh_tokens_per_word_max": zh_words.max(),
        "en_tokens_per_word_min": en_words.min(),
        "en_tokens_per_word_max": en_words.max(),
        "chars_per_token": summary.reset_index().to_dict(orient="records"),
    }
    return counts, summary, figures


def median_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Median characters per token, tokenizers by sources, to two decimals."""
    return summary["median"].unstack("source").round(2)


def plot_chars_per_token(summary: pd.DataFrame, names):
    """Median characters per token (IQR bars) per tokenizer, one bar per source, and seed 003's 1.75."""
    fig, ax = subplots(figsize=(5.0, 5.0))
    width = 0.8 / len(texts.SOURCES)
    for j, source in enumerate(texts.SOURCES):
        s = summary.loc[source].reindex(names)
        x = np.arange(len(names)) + (j - (len(texts.SOURCES) - 1) / 2) * width
        ax.bar(x, s["median"], width, label=source, yerr=[s["median"] - s["q25"], s["q75"] - s["median"]], capsize=2)
    ax.axhline(
        HAN_PER_TOKEN_CLAIMED,
        color="k",
        ls="--",
        lw=1,
        label=f"seed 003: {HAN_PER_TOKEN_CLAIMED} Chinese characters per token",
    )
    ax.set_xticks(np.arange(len(names)), names, rotation=35, ha="right")
    ax.set_ylabel("characters per token (median, IQR bars)")
    ax.set_title("How much text one token holds")
    legend_below(fig, ax)
    return fig


# --- 4. "200k tokens ≈ 350k 汉字" --------------------------------------------------------------


def median_interval(values) -> dict:
    """``{"value", "ci95", "n"}``: the median of per-passage ratios, with a percentile bootstrap interval."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    med = float(np.median(x))
    if len(x) < 2 or np.all(x == x[0]):
        return {"value": med, "ci95": [med, med], "n": int(len(x))}
    res = stats.bootstrap(
        (x,),
        np.median,
        confidence_level=0.95,
        n_resamples=MEDIAN_RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(MEDIAN_SEED),
    )
    return {
        "value": med,
        "ci95": [float(res.confidence_interval.low), float(res.confidence_interval.high)],
        "n": int(len(x)),
    }


def per_tokenizer_intervals(counts: pd.DataFrame, source: str, column: str) -> dict:
    """``{tokenizer: {"value", "ci95", "n"}}``: each tokenizer's median ratio over a source's passages."""
    sub = counts[counts.source == source]
    return {name: median_interval(g[column]) for name, g in sub.groupby("tokenizer")}


def han_per_token_section(counts: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Seed 003's 1.75 characters per token against each tokenizer, on the news passages.

    Both meanings of "characters" (every character; 汉字 alone). A tokenizer holds the claim when
    its median is within ``conventions.HAN_PER_TOKEN_TOLERANCE`` (relative) of 1.75.
    """
    checks, medians = {}, {}
    for label, column in CHARACTER_DEFINITIONS.items():
        medians[label] = per_tokenizer_median(counts, NEWS, column).astype(float)
        checks[label] = pd.DataFrame(
            {
                name: tk.claim_check(float(m), HAN_PER_TOKEN_CLAIMED, HAN_PER_TOKEN_TOLERANCE)
                for name, m in medians[label].items()
            }
        ).T
    table = pd.concat({k: v[["measured", "relative_error", "holds"]] for k, v in checks.items()}, axis=1)
    table = table.sort_values(("all characters", "measured"), ascending=False)
    holds_all = [n for n, ok in checks["all characters"].holds.items() if ok]
    holds_han = [n for n, ok in checks["汉字 only"].holds.items() if ok]
    han, every = medians["汉字 only"], medians["all characters"]
    figures = {
        "claim175_holds_for": ", ".join(holds_all) if holds_all else "none of them",
        "claim175_n_holds": len(holds_all),
        "claim175_holds_for_han": ", ".join(holds_han) if holds_han else "none of them",
        "claim175_n_holds_han": len(holds_han),
        "claim175_n_tokenizers": len(table),
        "han_per_token_min": han.min(),
        "han_per_token_max": han.max(),
        "chars_per_token_zh_min": every.min(),
        "chars_per_token_zh_max": every.max(),
        "claim175_worst_error": float(checks["all characters"].relative_error.astype(float).min()),
        "claim175_claimed": HAN_PER_TOKEN_CLAIMED,
        "claim175_tolerance": HAN_PER_TOKEN_TOLERANCE,
        "han_per_token": han.to_dict(),
        "han_per_token_by_tokenizer": han.to_dict(),
        "zh_chars_per_token_by_tokenizer": every.to_dict(),
        # the same medians with their bootstrap intervals (the claims registry reads these)
        "zh_chars_per_token_ci": per_tokenizer_intervals(counts, NEWS, "chars_per_token"),
        "han_per_token_ci": per_tokenizer_intervals(counts, NEWS, "han_per_token"),
    }
    return table, figures


# --- 5. the vendors' figures, and 6. GPT-2's 1,024 positions ---------------------------------


def vendor_section(counts: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Each vendor figure in tokens and in characters, over the range of the news ratios (every
    character counted, as products count 字数), and the fp16 KV cache of the high end."""
    ratios = per_tokenizer_median(counts, NEWS, "chars_per_token").astype(float)
    r_lo, r_hi = float(ratios.min()), float(ratios.max())
    llama7, llama3 = cx.MODEL_SHAPES["Llama-2-7B"], cx.MODEL_SHAPES["Llama-3-8B (GQA)"]
    rows = []
    for claim, product, amount, unit in VENDOR_FIGURES:
        if unit == "汉字":
            t_lo, t_hi = amount / r_hi, amount / r_lo
            h_lo = h_hi = amount
        else:
            t_lo = t_hi = amount
            h_lo, h_hi = amount * r_lo, amount * r_hi
        own = VENDOR_TOKENIZER.get(claim)
        r_own = float(ratios[own]) if own in ratios.index else float("nan")
        t_own, h_own = (amount / r_own, amount) if unit == "汉字" else (amount, amount * r_own)
        rows.append(
            {
                "claim": claim,
                "figure": product,
                "tokens (low)": t_lo,
                "tokens (high)": t_hi,
                "汉字 (low)": h_lo,
                "汉字 (high)": h_hi,
                "own tokenizer": own or "not public",
                "tokens (own)": t_own,
                "汉字 (own)": h_own,
                "KV GiB, Llama-2-7B (high)": cx.kv_cache_bytes(llama7, int(t_hi)) / 2**30,
                "KV GiB, GQA 8B (high)": cx.kv_cache_bytes(llama3, int(t_hi)) / 2**30,
            }
        )
    vendor = pd.DataFrame(rows).set_index("claim")
    v = vendor.to_dict(orient="index")
    figures = {
        "kimi_tokens_low": v["C000-1"]["tokens (low)"],
        "kimi_tokens_high": v["C000-1"]["tokens (high)"],
        "qwen_tokens_low": v["C000-4"]["tokens (low)"],
        "qwen_tokens_high": v["C000-4"]["tokens (high)"],
        "qwen_kv_gib_gqa": v["C000-4"]["KV GiB, GQA 8B (high)"],
        "gpt4t_han_low": v["C000-2"]["汉字 (low)"],
        "gpt4t_han_high": v["C000-2"]["汉字 (high)"],
        "seed003_han_low": v["C003-7"]["汉字 (low)"],
        "seed003_han_high": v["C003-7"]["汉字 (high)"],
        "qwen_over_kimi": QWEN_CHARS / KIMI_CHARS,
        "qwen_over_kimi_claimed": SEED000_QWEN_OVER_KIMI,
        "kimi_chars": KIMI_CHARS,
        "qwen_chars": QWEN_CHARS,
        "gpt4t_tokens": v["C000-2"]["tokens (low)"],
        "seed003_tokens": v["C003-7"]["tokens (low)"],
        "qwen_tokens_own": v["C000-4"]["tokens (own)"],
        "gpt4t_han_own": v["C000-2"]["汉字 (own)"],
        "vendor_conversions": vendor.reset_index().to_dict(orient="records"),
    }
    return vendor, figures


def novel_section(toks: dict, counts: pd.DataFrame, novels=None) -> tuple[pd.DataFrame, dict]:
    """How many novels a 2M-token window holds (article 003, lines 10 and 12): Austen's six novels counted
    in every tokenizer, and the article's own novel of 400,000 字 converted with each tokenizer's median
    characters per token on the news passages (its bootstrap interval carried through the division)."""
    from ..data.corpus import austen_documents

    novels = austen_documents() if novels is None else novels
    table = pd.DataFrame(
        {name: {d.key.split("/")[-1]: len(tok.encode(d.text)) for d in novels} for name, tok in toks.items()}
    )
    longest = table.max(axis=1).idxmax()
    heaviest = table.loc[longest].idxmax()
    ratios = per_tokenizer_intervals(counts, NEWS, "chars_per_token")
    worst = min(ratios, key=lambda k: ratios[k]["value"])
    r = ratios[worst]
    zh = {
        "value": SEED003_NOVEL_CHARS / r["value"],
        "ci95": [SEED003_NOVEL_CHARS / r["ci95"][1], SEED003_NOVEL_CHARS / r["ci95"][0]],
        "n": r["n"],
    }
    figures = {
        "novel_tokens_longest": int(table.loc[longest, heaviest]),
        "novel_longest_title": longest,
        "novel_longest_tokenizer": heaviest,
        "novel_count": len(table),
        "novel_window_tokens": SEED003_WINDOW,
        "seed003_novel_chars": SEED003_NOVEL_CHARS,
        "seed003_novel_tokens_max": zh,
        "seed003_novel_tokenizer": worst,
        "novels_per_window_min": SEED003_WINDOW / max(int(table.loc[longest, heaviest]), zh["value"]),
        "novel_tokens": table.to_dict(orient="index"),
    }
    return table, figures


def whole_numbers(table: pd.DataFrame):
    """A table's numeric columns rounded to whole numbers (shown with thousands separators)."""
    numeric = table.select_dtypes("number").columns
    return table.assign(**{c: table[c].round(0) for c in numeric})


def gpt2_window_words(counts: pd.DataFrame) -> dict:
    """GPT-2's median tokens per English word, and how many words its 1,024 positions hold."""
    tokens_per_word = float(per_tokenizer_median(counts, ENGLISH, "tokens_per_word").loc["GPT-2"])
    return {
        "gpt2_tokens_per_word": tokens_per_word,
        "gpt2_words_in_1024": GPT2_POSITIONS / tokens_per_word,
        "gpt2_positions": GPT2_POSITIONS,
    }


# --- 7. speed --------------------------------------------------------------------------------


def speed_text(passages, n_chars: int) -> str:
    """The passages joined by newlines, doubled until ``n_chars`` long, and cut there."""
    mixed = "\n".join(p.text for p in passages)
    while len(mixed) < n_chars:
        mixed += "\n" + mixed
    return mixed[:n_chars]


def speed_section(toks: dict, passages, profile) -> tuple[pd.DataFrame, dict]:
    """Encoding throughput of every tokenizer on the same mixed text, fastest first, and its figures."""
    mixed = speed_text(passages, profile.token_speed_chars)
    speed = pd.DataFrame({name: tk.tokens_per_second(tok, mixed) for name, tok in toks.items()}).T
    speed = speed.sort_values("tokens_per_s", ascending=False)
    figures = {
        "speed_chars": len(mixed),
        "speed_fastest": speed.index[0],
        "speed_slowest": speed.index[-1],
        "speed_ratio": float(speed.tokens_per_s.iloc[0] / speed.tokens_per_s.iloc[-1]),
        "tokens_per_second": {k: float(v) for k, v in speed.tokens_per_s.items()},
    }
    return speed, figures


def speed_table(speed: pd.DataFrame):
    """The speed table as the chapter shows it: tokenizer, tokens, median seconds, tokens and characters per second."""
    return speed[["tokens", "median_s", "tokens_per_s", "chars_per_s"]].rename_axis("tokenizer")
