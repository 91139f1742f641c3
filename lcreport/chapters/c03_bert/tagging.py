"""Section 6 of the BERT chapter: the experiment seed 001 describes, at CPU scale.

The seed fine-tunes a BERT on a token-level task (NER) and reports F1. CoNLL-2003 does not ship
offline, so the task is built from the book's own corpus: **tag the direct speech** in Jane
Austen's prose with its quotation marks removed (paragraph breaks stay visible, as a pilcrow). Each
token is labelled I (inside a quotation) or O (narration); a span is a maximal run of I tokens (a
quotation never touches the next one: narration or a paragraph mark lies between). The model sees
the words only, so it must infer from the text where a speech starts and ends, and a quotation can
begin well before the window it is read in. Scored, like CoNLL, by exact-span F1 (a predicted span
counts only if it matches a gold span token for token), per held-out document.

Arms: per seed, one tagger (the pretrained encoder with a token-classification head,
``AutoModelForTokenClassification``) is fine-tuned on windows of every context length of the profile
in turn, then read at each length in consecutive windows ("chunks n") and at the longest length
with overlapping windows, each token predicted by the window it sits most centrally in ("sliding
n/overlap"). Only the context read changes between arms: same weights, same documents. Training
novels and test novel are disjoint (the corpus's held-out split). The unit of comparison is the
document (its F1 averaged over seeds), compared by a paired bootstrap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from ... import stats
from ...data.corpus import DEFAULT_HELDOUT, austen_documents
from ...models.training import autocast_for, training_attention
from .context import slug

EXPERIMENT = "token_f1"
LABELS = ("O", "I")
O, I = range(2)  # noqa: E741 - the I/O tags by their names in the tagging literature
#: what a paragraph break becomes: a token the reader of the page sees too (the quotation marks go)
PARAGRAPH_MARK = " ¶ "
#: the sentence-embedding fine-tune of all-MiniLM-L6-v2 limited sequences to this many tokens, and
#: sentence-transformers truncates its inputs to MAX_SEQ_LENGTH by default (model card,
#: https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2)
TRAINED_TOKENS = 128
MAX_SEQ_LENGTH = 256


def strip_quotes(text: str) -> tuple[str, np.ndarray]:
    """(text without '"' and with each paragraph break as ``PARAGRAPH_MARK``, quotation id of each
    kept character: 0 outside, k > 0 inside the k-th quotation).

    A quotation opens and closes at '"'; a paragraph break (a blank line) closes any open one,
    as Austen's open-ended paragraphs of speech re-open with '"' on the next paragraph.
    """
    kept, ids, inside, k, i = [], [], False, 0, 0
    while i < len(text):
        ch = text[i]
        if text.startswith("\n\n", i):
            inside = False
            kept.append(PARAGRAPH_MARK)
            ids += [0] * len(PARAGRAPH_MARK)
            i = len(text) - len(text[i:].lstrip("\n"))
            continue
        if ch == '"':
            inside = not inside
            k += inside
        else:
            kept.append(ch)
            ids.append(k if inside else 0)
        i += 1
    return "".join(kept), np.asarray(ids, dtype=np.int64)


def token_tags(tokenizer, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(token ids, I/O tag of each token) of a text with its quotation marks removed."""
    stripped, quote = strip_quotes(text)
    enc = tokenizer(stripped, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    tags = np.array([I if quote[s] else O for s, _ in enc["offset_mapping"]], dtype=np.int64)
    return np.asarray(enc["input_ids"], dtype=np.int64), tags


def spans(tags) -> set[tuple[int, int]]:
    """Exact spans (start, end exclusive): the maximal runs of I."""
    out, start = set(), None
    for i, t in enumerate(list(tags) + [O]):
        if t == I and start is None:
            start = i
        elif t != I and start is not None:
            out.add((start, i))
            start = None
    return out


def span_f1(gold, predicted) -> float:
    """Exact-span F1 of one document: 2·|gold ∩ predicted| / (|gold| + |predicted|)."""
    g, p = spans(gold), spans(predicted)
    if not g and not p:
        raise ValueError("a document with no gold and no predicted span has no F1: choose documents with speech")
    return 2 * len(g & p) / (len(g) + len(p))


@dataclass
class Corpus:
    train: list  # (ids, tags) per training novel
    test: list  # (ids, tags) per held-out document, each with at least one gold span


def build_corpus(tokenizer, doc_tokens: int, n_test: int) -> Corpus:
    """Training novels whole; ``n_test`` evenly spaced documents of ``doc_tokens`` tokens from the
    held-out novel (those holding speech)."""
    heldout = {k.split("/", 1)[1] for k in DEFAULT_HELDOUT if k.startswith("austen/")}
    train, test = [], []
    for doc in austen_documents():
        ids, tags = token_tags(tokenizer, doc.text)
        if doc.title not in heldout:
            train.append((ids, tags))
            continue
        starts = range(0, len(ids) - doc_tokens + 1, doc_tokens)
        test += [(ids[s : s + doc_tokens], tags[s : s + doc_tokens]) for s in starts if spans(tags[s : s + doc_tokens])]
    if len(test) < n_test:
        raise ValueError(
            f"the held-out novel gives {len(test)} documents of {doc_tokens} tokens with speech, "
            f"fewer than the {n_test} asked for: lower tag_test_docs or tag_doc_tokens"
        )
    pick = np.linspace(0, len(test) - 1, n_test).round().astype(int)
    return Corpus(train, [test[i] for i in pick])


def _with_specials(tokenizer, ids, tags=None):
    ids = [tokenizer.cls_token_id, *ids, tokenizer.sep_token_id]
    return ids if tags is None else (ids, [-100, *tags, -100])


def load_tagger(seed: int, device):
    """The pretrained encoder with a fresh I/O head (its initialisation seeded)."""
    from transformers import AutoModelForTokenClassification
    from transformers.utils import logging

    from ...data.assets import require

    torch.manual_seed(seed)
    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()  # "newly initialized: classifier" is the point, not news
    logging.disable_progress_bar()
    try:
        return AutoModelForTokenClassification.from_pretrained(require("minilm"), num_labels=len(LABELS)).to(device)
    finally:
        logging.set_verbosity(verbosity)


def fine_tune(tokenizer, corpus: Corpus, profile, seed: int, device):
    """Fine-tune one tagger on windows of every context length of the profile ([CLS] and [SEP]
    included), the lengths taking turns step by step, so that no length it is later read at is new to
    it; each step holds ``tag_batch_tokens`` tokens; AdamW with linear warm-up and decay; the windows
    of each length are shuffled by ``seed``."""
    from transformers import get_linear_schedule_with_warmup

    contexts = profile.tag_contexts
    pools = {}
    for c in contexts:
        m = c - 2
        windows = [
            (ids[s : s + m], tags[s : s + m]) for ids, tags in corpus.train for s in range(0, len(ids) - m + 1, m)
        ]
        need = -(-profile.tag_steps // len(contexts)) * max(1, profile.tag_batch_tokens // c)
        if need > len(windows):
            raise ValueError(f"{need} training windows of {c} tokens needed, the training novels give {len(windows)}")
        pools[c] = iter([windows[j] for j in np.random.default_rng([seed, c]).permutation(len(windows))[:need]])
    model = load_tagger(seed, device)
    opt = torch.optim.AdamW(model.parameters(), lr=profile.tag_lr)
    sched = get_linear_schedule_with_warmup(opt, max(1, profile.tag_steps // 10), profile.tag_steps)
    model.train()
    with training_attention(model, device, profile.tag_precision):
        for step in tqdm(range(profile.tag_steps), desc=f"tagger seed {seed}", leave=False, mininterval=10):
            c = contexts[step % len(contexts)]
            rows = [_with_specials(tokenizer, *next(pools[c])) for _ in range(max(1, profile.tag_batch_tokens // c))]
            with autocast_for(torch.device(device), profile.tag_precision):
                loss = model(
                    input_ids=torch.tensor([r[0] for r in rows], device=device),
                    labels=torch.tensor([r[1] for r in rows], device=device),
                ).loss
            loss.backward()
            opt.step()
            sched.step()
            opt.zero_grad()
    return model.eval()


def tagger_payload(corpus: Corpus, profile, seed: int, device) -> dict:
    """Everything a fine-tuned tagger depends on: the encoder's files, the training novels, the recipe, the
    seed, the device type and the code that fine-tunes it."""
    import transformers

    from ... import cache
    from ...data.assets import get_asset
    from ...files import content_key

    train = content_key(
        b"".join(
            np.asarray(ids, dtype=np.int64).tobytes() + np.asarray(tags, dtype=np.int64).tobytes()
            for ids, tags in corpus.train
        )
    )
    return {
        "encoder": dict(sorted(get_asset("minilm").files.items())),
        "train": train,
        "seed": int(seed),
        "contexts": [int(c) for c in profile.tag_contexts],
        "steps": int(profile.tag_steps),
        "batch_tokens": int(profile.tag_batch_tokens),
        "lr": float(profile.tag_lr),
        "precision": profile.tag_precision,
        "device": str(torch.device(device).type),
        "code": cache.source_key(fine_tune, load_tagger, _with_specials),
        "torch": torch.__version__.split("+")[0],
        "transformers": transformers.__version__,
        "numpy": np.__version__,
    }


def _load_tagger_folder(folder, device):
    """A cached tagger's weights, or ``CorruptCacheError`` (so the cache fine-tunes it again) when transformers
    cannot read the folder."""
    from transformers import AutoModelForTokenClassification

    from ...cache import CorruptCacheError

    try:
        return AutoModelForTokenClassification.from_pretrained(folder).to(device).eval()
    except (OSError, ValueError, RuntimeError) as e:
        raise CorruptCacheError(f"{folder}: transformers cannot load the cached tagger ({e})") from e


def trained_tagger(tokenizer, corpus: Corpus, profile, seed: int, device, *, log=print):
    """``fine_tune``'s tagger in the project's folder cache (``cache.cached_folder``), under
    ``tagger/<hash of tagger_payload>``: the weights (``save_pretrained``) and a manifest, written last, with their
    SHA-256 and the minutes the fine-tune took. A missing or altered file is reported and the tagger fine-tuned
    again. Returns (model, from_cache). The work ledger records the fine-tune either way."""

    from ...cache import cached_folder
    from ...files import content_key

    return cached_folder(
        "tagger",
        content_key(tagger_payload(corpus, profile, seed, device)),
        make=lambda: fine_tune(tokenizer, corpus, profile, seed, device),
        save=lambda model, folder: model.save_pretrained(folder, safe_serialization=True),
        load=lambda folder, _manifest: _load_tagger_folder(folder, device),
        log=log,
    )


def window_starts(n: int, m: int, step: int) -> list[int]:
    """Starts of windows of ``m`` tokens every ``step`` tokens that cover 0 … n−1, the last flush with the end."""
    starts = list(range(0, max(n - m, 0) + 1, step))
    if starts[-1] + m < n:
        starts.append(n - m)
    return starts


@torch.inference_mode()
def predict(model, tokenizer, ids, context: int, overlap: int = 0) -> np.ndarray:
    """I/O tag of every token of a document read in windows of ``context`` tokens; with ``overlap``,
    consecutive windows share that many tokens and each token takes the window it is most central in."""
    m = context - 2
    if not 0 <= overlap < m:
        raise ValueError(f"overlap {overlap} must be in [0, {m})")
    starts = window_starts(len(ids), m, m - overlap)
    device = next(model.parameters()).device
    rows = [_with_specials(tokenizer, ids[s : s + m].tolist()) for s in starts]
    width = max(len(r) for r in rows)
    x = torch.tensor([r + [tokenizer.pad_token_id] * (width - len(r)) for r in rows], device=device)
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], device=device)
    tags = model(input_ids=x, attention_mask=mask).logits.argmax(-1).cpu().numpy()
    out, best = np.zeros(len(ids), dtype=np.int64), np.full(len(ids), -1)
    for w, s in enumerate(starts):
        for j in range(min(m, len(ids) - s)):
            centrality = min(j, m - 1 - j)
            if centrality > best[s + j]:
                best[s + j], out[s + j] = centrality, tags[w, j + 1]
    return out


def arms(profile) -> list[tuple[str, int, int]]:
    """(arm, context it was trained and read at, overlap): chunks at each context, then sliding windows."""
    top = max(profile.tag_contexts)
    return [(f"chunks {c}", c, 0) for c in profile.tag_contexts] + [
        (f"sliding {top}/{profile.tag_overlap}", top, profile.tag_overlap)
    ]


def run_tagging(run, tokenizer):
    """Section 6 on ``run.profile``: per seed, one tagger fine-tuned on every context length, read
    at each length and with sliding windows; F1 per document; trials, comparisons (each arm against
    the next, and the shortest context against the longest), figures."""
    import pandas as pd

    P = run.profile
    corpus = build_corpus(tokenizer, P.tag_doc_tokens, P.tag_test_docs)
    names = [a for a, _, _ in arms(P)]
    f1 = {a: np.zeros((len(P.tag_seeds), len(corpus.test))) for a in names}
    for si, seed in enumerate(P.tag_seeds):
        model, _ = trained_tagger(tokenizer, corpus, P, seed, run.device)
        for arm, ctx, overlap in arms(P):
            f1[arm][si] = [span_f1(tags, predict(model, tokenizer, ids, ctx, overlap)) for ids, tags in corpus.test]
            run.add_trials(
                [
                    {
                        "experiment": EXPERIMENT,
                        "arm": arm,
                        "scale": ctx,
                        "seed": seed,
                        "unit": u,
                        "metric": "f1",
                        "value": float(v),
                    }
                    for u, v in enumerate(f1[arm][si])
                ]
            )
    pairs = list(dict.fromkeys(list(zip(names, names[1:])) + [(names[0], names[-2])]))
    comps = [
        run.compare(
            {
                "id": f"{EXPERIMENT}_{slug(a)}_vs_{slug(b)}",
                "experiment": EXPERIMENT,
                "scale": 0,
                "metric": "f1",
                "a": a,
                "b": b,
                **stats.paired_diff(f1[a].mean(0), f1[b].mean(0), seed=run.seed),
            }
        )
        for a, b in pairs
    ]
    table = pd.DataFrame(
        [
            {"arm": a, "documents": len(corpus.test), "seeds": len(P.tag_seeds), **_estimate_row(f1[a], run.seed)}
            for a in names
        ]
    ).set_index("arm")
    return TaggingResult(table, tagging_figures(P, corpus, f1, comps, names, run.seed), comps)


def _estimate_row(f1: np.ndarray, seed: int) -> dict:
    mean, (lo, hi) = stats.mean_ci(f1.mean(0), seed=seed)
    seed_means = f1.mean(1)
    return {
        "span F1": mean,
        "95% CI low": lo,
        "95% CI high": hi,
        "lowest seed": float(seed_means.min()),
        "highest seed": float(seed_means.max()),
    }


@dataclass
class TaggingResult:
    table: object  # pandas.DataFrame, one row per arm
    figures: dict
    comparisons: list


def tagging_figures(P, corpus: Corpus, f1: dict, comps: list[dict], names: list[str], seed: int) -> dict:
    """Glue figures: the setup, each headline arm's F1 with its interval, and the paired gains."""

    def est(arm):
        mean, ci = stats.mean_ci(f1[arm].mean(0), seed=seed)
        return {"value": mean, "ci95": ci, "n": len(corpus.test)}

    def gain(c):
        return {"value": c["diff"], "ci95": tuple(c["ci95"]), "n": c["n"]}

    by_pair = {(c["a"], c["b"]): c for c in comps}
    head = by_pair[names[0], names[-2]]
    detectable = stats.detectable_difference(f1[names[-2]].mean(0) - f1[names[0]].mean(0))
    return {
        "tag_doc_tokens": P.tag_doc_tokens,
        "tag_test_docs": len(corpus.test),
        "tag_seeds": len(P.tag_seeds),
        "tag_steps": P.tag_steps,
        "tag_batch_tokens": P.tag_batch_tokens,
        "tag_train_tokens": P.tag_steps * P.tag_batch_tokens,
        "tag_shortest": min(P.tag_contexts),
        "tag_longest": max(P.tag_contexts),
        "tag_overlap": P.tag_overlap,
        "tokf1_shortest": est(names[0]),
        "tokf1_512": est(names[-2]),
        "tokf1_slide": est(names[-1]),
        "tokf1_gain": gain(by_pair[names[0], names[-2]]),
        "tokf1_gain_sliding": gain(by_pair[names[-2], names[-1]]),
        "tokf1_steps": [
            gain(by_pair[a, b]) | {"from": a, "to": b, "test": by_pair[a, b]["test"]} for a, b in zip(names, names[1:])
        ],
        "tokf1_detectable": detectable,
        "tokf1_finding": finding(head, detectable),
        "minilm_trained_tokens": TRAINED_TOKENS,
        "minilm_max_seq_length": MAX_SEQ_LENGTH,
    }


def finding(comparison: dict, detectable: float) -> str:
    """The longest context against the shortest, in words, by the 95% interval of the paired difference."""
    lo, hi = comparison["ci95"]
    if lo > 0:
        return "the longer context scores higher, and the interval of the paired difference excludes 0"
    if hi < 0:
        return "the longer context scores lower, and the interval of the paired difference excludes 0"
    return (
        "no detectable difference: the interval of the paired difference includes 0, and this design "
        f"detects a difference of {detectable:.3f} F1 or more (80% power)"
    )


def steps_table(comparisons: list[dict]):
    """One row per paired comparison: from, to, the change in F1, its interval, documents."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "from": c["a"],
                "to": c["b"],
                "change in F1": c["diff"],
                "95% CI low": c["ci95"][0],
                "95% CI high": c["ci95"][1],
                "documents": c["n"],
                "comparison id": c["id"],
            }
            for c in comparisons
        ]
    )


def plot_f1(table):
    """Span F1 per arm with its 95% interval over documents."""
    from ...plotting import subplots

    fig, ax = subplots()
    y = np.arange(len(table))
    ax.errorbar(
        table["span F1"],
        y,
        xerr=[table["span F1"] - table["95% CI low"], table["95% CI high"] - table["span F1"]],
        fmt="o",
        capsize=3,
    )
    ax.set_yticks(y, table.index)
    ax.invert_yaxis()
    ax.set_xlabel("exact-span F1 on held-out documents (95% CI)")
    ax.set_title("Tagging direct speech:\nF1 vs. the context read")
    return fig
