"""Small experiments of the critique chapter: the seed's Transformer code run as written, how far
gradients reach in a trained model at several context lengths, and the published effective-context
table it sets the vendors' figures against.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch

from ..exhibits import exhibit
from ..stats import wilson

#: RULER (Hsieh et al. 2024, Table 3 and the repository's README): claimed vs effective context,
#: effective = longest length whose average score beats Llama-2-7B's at 4K (85.6). Literature
#: figures, cited, not measured here; kept as data beside this module.
RULER_FILE = Path(__file__).with_name("ruler.csv")
#: where ruler.csv comes from: every model row of one version of RULER's README (tools/ruler_table.py)
RULER_SOURCE = "NVIDIA/RULER README.md at commit c3f5e3b4f87f97e048793bb510a3a6b19a46bf3a"


def ruler_rows():
    import pandas as pd

    return pd.read_csv(RULER_FILE, dtype=str)


def parse_k(text: str) -> float:
    """'128K' → 131072, '1M' → 1048576; '>128K' and '<4K' read as their bound."""
    m = re.fullmatch(r"[<>]?(\d+)([KM])", text.strip(), flags=re.I)
    if not m:
        raise ValueError(f"not a context length: {text!r}")
    return int(m.group(1)) * (1024 if m.group(2).upper() == "K" else 1024**2)


# --- the seed's Transformer code (seed 002, sections 5.2–5.4) ---------------------------------------


def _error(fn) -> str | None:
    try:
        fn()
    except Exception as e:  # the point is to show what fails, whatever it is
        return f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
    return None


def run_seed002_code(vocab: int = 100, seq: int = 12, batch: int = 2) -> list[dict]:
    """Run the article's model and loop as written, then fix one failure at a time to reach the next.

    Returns one row per defect: what is wrong, and the error or measurement that shows it.
    """
    model_code, loop_code = exhibit("transformer_model"), exhibit("training_loop")
    ns: dict = {}
    exec(model_code, ns)  # defines TransformerModel (imports torch itself)
    TransformerModel, nn = ns["TransformerModel"], torch.nn
    rows = []

    # 1. the constructor passes hidden_dim=1024 as nhead, num_layers as encoder layers, dropout as decoder layers
    err = _error(
        lambda: TransformerModel(vocab_size=10000, embedding_dim=512, hidden_dim=1024, num_layers=3, dropout=0.1)
    )
    rows.append(
        {
            "defect": "positional arguments to nn.Transformer: 1024 becomes nhead, 0.1 the decoder depth",
            "shown by": "building the model exactly as section 5.4 does",
            "result": err or "no error",
        }
    )

    # 2. with the arguments named, the decoder Linear expects 1024 features but receives 512
    class Named(TransformerModel):
        def __init__(self, vocab_size, embedding_dim, hidden_dim, num_layers, dropout):
            nn.Module.__init__(self)
            self.embedding = nn.Embedding(vocab_size, embedding_dim)
            self.transformer = nn.Transformer(
                d_model=embedding_dim,
                nhead=8,
                num_encoder_layers=num_layers,
                num_decoder_layers=num_layers,
                dim_feedforward=hidden_dim,
                dropout=dropout,
            )
            self.decoder = nn.Linear(hidden_dim, vocab_size)

    torch.manual_seed(0)
    named = Named(vocab, 64, 128, 2, 0.0).eval()
    src, tgt = torch.randint(0, vocab, (batch, seq)), torch.randint(0, vocab, (batch, seq))
    rows.append(
        {
            "defect": "decoder = Linear(hidden_dim, …) after a d_model-wide output",
            "shown by": "a forward pass with the arguments named",
            "result": _error(lambda: named(src, tgt)) or "no error",
        }
    )

    # 3. the loop uses names defined nowhere
    err = _error(
        lambda: exec(
            loop_code.split("optimizer")[0] + "for epoch in range(num_epochs): pass",
            {"TransformerModel": Named, "optim": torch.optim, "nn": nn},
        )
    )
    rows.append(
        {
            "defect": "num_epochs, data_loader, vocab_size, test_loader are never defined",
            "shown by": "running the training loop",
            "result": err or "no error",
        }
    )

    # a corrected width so the remaining defects can be measured
    class Fixed(Named):
        def __init__(self, *a):
            super().__init__(*a)
            self.decoder = nn.Linear(self.embedding.embedding_dim, self.decoder.out_features)

    torch.manual_seed(0)
    fixed = Fixed(vocab, 64, 128, 2, 0.0).eval()
    with torch.no_grad():
        # 4. no positional encoding: permuting the source leaves every output unchanged
        perm = torch.randperm(seq)
        a = fixed(src.T, tgt.T)  # (seq, batch) as nn.Transformer expects by default
        b = fixed(src.T[perm], tgt.T)
        order_blind = torch.allclose(a, b, atol=1e-5)
        rows.append(
            {
                "defect": "no positional encoding: the model cannot see word order",
                "shown by": "shuffling the source sequence",
                "result": f"outputs identical after shuffling: {order_blind}",
            }
        )
        # 5. no causal mask: the prediction at position t changes when a *later* target token changes
        tgt2 = tgt.T.clone()
        tgt2[-1] = (tgt2[-1] + 1) % vocab
        c = fixed(src.T, tgt2)
        leak = not torch.allclose(a[0], c[0], atol=1e-5)
        rows.append(
            {
                "defect": "no causal mask: the decoder reads the tokens it is asked to predict",
                "shown by": "changing the last target token and watching the first position",
                "result": f"first position's output changed: {leak}",
            }
        )
        # 6. batch-first tensors fed to a sequence-first module
        rows.append(
            {
                "defect": "(batch, seq) tensors fed to nn.Transformer, which defaults to (seq, batch)",
                "shown by": "the model's batch_first flag",
                "result": f"batch_first = {fixed.transformer.batch_first}: batch and time are swapped",
            }
        )
        # 7. accuracy: argmax over dim=1 (a sequence axis), then compared with the targets
        logits = fixed(src, tgt)
        predicted = logits.argmax(dim=1)
        rows.append(
            {
                "defect": "accuracy takes argmax over dim 1 and counts tgt.size(0) items",
                "shown by": "the shapes it compares",
                "result": f"predicted {tuple(predicted.shape)} vs targets {tuple(tgt.shape)}: "
                + (_error(lambda: (predicted == tgt).sum()) or "compared element by element, meaninglessly"),
            }
        )
    return rows


# --- C002-2: do longer contexts relieve vanishing gradients? ------------------------------------------

#: the share of the shortest window whose tokens are "far": its first quarter, the tokens most distant
#: from the prediction (distances 3/4·n to n); the "near" tokens are its last quarter
GRADIENT_EDGE = 0.25


def embedding_gradient_norms(model, ids: torch.Tensor) -> np.ndarray:
    """Norm of the gradient of the loss at the last position w.r.t. each input embedding.

    ``ids`` is (batch, n + 1): n tokens of context and the token to predict after them. Returns
    (batch, n): how strongly each context position can still move that one prediction.
    """
    model.eval()
    emb = model.get_input_embeddings()(ids[:, :-1]).detach().requires_grad_(True)
    logits = model(inputs_embeds=emb).logits[:, -1]
    loss = torch.nn.functional.cross_entropy(logits.float(), ids[:, -1], reduction="sum")
    (grad,) = torch.autograd.grad(loss, emb)
    return grad.norm(dim=-1).detach().cpu().numpy()


def gradient_reach(model, stream, lengths, *, windows: int = 48, seed: int = 0, device="cpu"):
    """(rows, change): how much gradient the same distant tokens receive at each context length.

    Every length's window ends at the same held-out predictions, so the shortest window's tokens are
    present, at the same distances, in every longer one. For each length: the mean gradient norm of the
    loss at the last position w.r.t. the shortest window's far tokens (its first ``GRADIENT_EDGE``) and
    near tokens (its last). Vanishing over distance shows as far ≪ near; the claim that a longer
    context relieves it predicts that the same far tokens get *more* gradient in a longer context.
    ``change``: far-token gradient in the longest context ÷ in the shortest, per prediction, as a factor
    with the paired bootstrap interval of its log (``stats.paired_diff``).
    """
    from ..stats import paired_diff

    stream = np.asarray(stream)
    short, long = min(lengths), max(lengths)
    k = max(1, int(round(GRADIENT_EDGE * short)))
    rng = np.random.default_rng(seed)
    ends = np.sort(rng.choice(np.arange(long, len(stream) - 1), size=windows, replace=False))
    far, rows = {}, []
    for n in lengths:
        ids = torch.from_numpy(np.stack([stream[e - n : e + 1] for e in ends]).astype(np.int64)).to(device)
        same = embedding_gradient_norms(model, ids)[:, -short:]  # the shortest window's tokens, same distances
        far[n], near = same[:, :k].mean(1), same[:, -k:].mean(1)
        rows.append(
            {
                "context": n,
                f"far tokens (distance {short - k + 1}–{short})": float(far[n].mean()),
                f"near tokens (distance 1–{k})": float(near.mean()),
                "far / near": float(far[n].mean() / near.mean()),
            }
        )
    c = paired_diff(np.log(far[short]), np.log(far[long]), seed=seed)
    change = {
        "value": float(np.exp(c["diff"])),
        "ci95": [float(np.exp(c["ci95"][0])), float(np.exp(c["ci95"][1]))],
        "n": c["n"],
    }
    return rows, change


def seed_code_table():
    """The defects of article 002's code, one row each (torch's nested-tensor notice, which names a
    local path, is silenced so the printed table is the same on every machine)."""
    import warnings

    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return pd.DataFrame(run_seed002_code())


def gradient_table(model, stream, train_length: int, *, windows: int = 48, seed: int = 0, device="cpu"):
    """(table, figures): far/near gradient ratios of the trained base Llama at L/4, L/2 and L (within the
    length it was trained on: past it, a change would be the position encoding's failure, not the
    context's), and their change from L/4 to L."""
    import pandas as pd

    lengths = (train_length // 4, train_length // 2, train_length)
    rows, change = gradient_reach(model, stream, lengths, windows=windows, seed=seed, device=device)
    figures = {
        "grad_far_change": change,
        "grad_context_short": lengths[0],
        "grad_context_long": lengths[-1],
        "grad_edge": GRADIENT_EDGE,
        "grad_windows": windows,
    }
    return pd.DataFrame(rows).set_index("context"), figures


# --- RULER's claimed vs effective windows beside this book's ----------------------------------------

#: the RULER rows the ledger quotes for vendor claims: figure name → (model, how the figure is labelled)
RULER_QUOTED = {
    "ruler_gpt4": ("GPT-4-1106-preview", ""),
    "ruler_chatglm": ("GLM3 (6B)", " (ChatGLM3-6B-128K)"),
    "ruler_gemini": ("Gemini-1.5-pro", " (tested up to 128K)"),
}
#: a model "delivers half its window or less" at this effective/claimed ratio
HALF = 0.5


def ruler_comparison(effective_table):
    """(RULER table, this book's windows, figures): effective / claimed for every model.

    ``effective_table`` is chapter longrope2's ``effective_table`` figure (configuration, claimed, effective).
    A RULER entry written ">128K" passed at the longest length tested: a lower bound, not counted below half.
    """
    import pandas as pd

    ruler = ruler_rows()
    lookup = ruler.set_index("model")
    figures = {
        key: f"{lookup.loc[m, 'effective (RULER)']} of {lookup.loc[m, 'claimed']} claimed{label}"
        for key, (m, label) in RULER_QUOTED.items()
    }
    ruler["effective / claimed"] = [parse_k(e) / parse_k(c) for e, c in zip(ruler["effective (RULER)"], ruler.claimed)]
    ruler["lower bound"] = ruler["effective (RULER)"].str.startswith(">")
    ours = pd.DataFrame(effective_table)
    ours = ours.assign(
        model="this book: " + ours.configuration, **{"effective / claimed": ours.effective / ours.claimed}
    )
    figures["ruler_below_half"] = int(((ruler["effective / claimed"] <= HALF) & ~ruler["lower bound"]).sum())
    figures["ruler_models"] = len(ruler)
    figures["ruler_source"] = RULER_SOURCE
    # the quoted rows as numbers, for the vendor rule: claimed and effective in tokens, and whether the
    # effective length is a lower bound (passed at the longest length tested)
    figures["ruler_lengths"] = {
        key: {
            "model": m,
            "claimed": parse_k(lookup.loc[m, "claimed"]),
            "effective": parse_k(lookup.loc[m, "effective (RULER)"]),
            "lower_bound": lookup.loc[m, "effective (RULER)"].startswith(">"),
        }
        for key, (m, _) in RULER_QUOTED.items()
    }
    figures["ruler_lower_bounds"] = int(ruler["lower bound"].sum())
    # below the claim: measured short of it; a lower bound (">128K") under a longer claim decides nothing
    decided = ~ruler["lower bound"] | (ruler["effective / claimed"] >= 1)
    below = (ruler["effective / claimed"] < 1) & ~ruler["lower bound"]
    n_decided, n_below = int(decided.sum()), int(below.sum())
    figures["ruler_below_claim"] = {"value": n_below / n_decided, "ci95": wilson(n_below, n_decided), "n": n_decided}
    figures["ruler_n_below_claim"] = n_below
    figures["ruler_undecided"] = int((~decided).sum())
    figures["ruler_table"] = (
        ruler[["model", "claimed", "effective (RULER)", "reported by"]]
        .rename(columns={"effective (RULER)": "effective"})
        .to_dict(orient="records")
    )
    figures["ours_reach_claim"] = int((ours.effective >= ours.claimed).sum())
    figures["ours_models"] = len(ours)
    return ruler, ours, figures


def short_model_names(names) -> list[str]:
    """RULER's model names without their size in parentheses, where the name stays unique
    ("Qwen2 (72B)" → "Qwen2"; both "Llama3.1 (70B)" and "Llama3.1 (8B)" keep theirs)."""
    stripped = [re.sub(r"\s*\([^)]*\)$", "", n) for n in names]
    return [s if stripped.count(s) == 1 else n for s, n in zip(stripped, names)]


def plot_claimed_vs_effective(ruler, ours):
    """Horizontal bars of effective / claimed, RULER's published rows and this book's measured ones;
    a hatched bar is a lower bound (the model passed at the longest length RULER tests)."""
    import pandas as pd
    from matplotlib.patches import Patch

    from ..plotting import legend_below, log_x, subplots

    both = pd.concat(
        [
            ruler.assign(model=short_model_names(list(ruler.model)), source="RULER (published)"),
            ours.assign(
                model=[m.replace("this book: ", "") for m in ours.model],
                source="this book (measured)",
                **{"lower bound": False},
            ),
        ]
    )
    colors = {"RULER (published)": "#1f77b4", "this book (measured)": "#d62728"}
    fig, ax = subplots(figsize=(5.0, 1.6 + 0.24 * len(both)))
    y = np.arange(len(both))
    ratio = both["effective / claimed"].clip(lower=1 / 512).to_numpy()
    bars = ax.barh(y, ratio, color=[colors[s] for s in both.source])
    for bar, lower in zip(bars, both["lower bound"]):
        if lower:
            bar.set_hatch("///")
            bar.set_edgecolor("white")
    ax.set_yticks(y, both.model)
    ax.set_ylim(len(both) - 0.5, -0.5)
    log_x(ax)
    ax.axvline(1, color="k", lw=1)
    ax.set_xlabel("effective / claimed window (log scale)")
    # the legend is drawn from the same colour table as the bars, below the axes (it covers no bar)
    handles = [Patch(color=c, label=s) for s, c in colors.items()]
    handles.append(
        Patch(
            facecolor=colors["RULER (published)"],
            hatch="///",
            edgecolor="white",
            label="lower bound (passed at the longest length tested)",
        )
    )
    legend_below(fig, handles=handles)
    ax.set_title("Effective ÷ claimed window")
    return fig
