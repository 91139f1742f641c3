"""LongRoPE part 2, section 8: the same extension methods on a real pretrained small Llama,
SmolLM2-135M (Allal et al. 2025; ``models.pretrained``), scored on the held-out books.

Only profiles with ``smollm_lengths`` run it (``gpu``): 8k+ tokens through a 135M model are beyond
the CPU budget. ``extension_perplexities`` is the whole computation, so a unit test runs it at a
pretended native window of a few hundred tokens.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data.asset_table import ASSETS
from ...data.corpus import documents, split_documents
from ...longrope import evaluation as ev
from ...models import pretrained
from ...models import rope as rp
from ...profiles import PROFILES

#: name → RoPE method; LongRoPE gets YaRN's factors as its long factors (no search on this model)
SMOLLM_METHODS = {**{rp.SHORT[m]: m for m in ("rope", "linear", "yarn")}, "LongRoPE (YaRN-seeded factors)": "longrope"}
#: held-out windows scored at each length
SMOLLM_WINDOWS = 4
#: the column of perplexities (of the last native-window tokens; 8k for SmolLM2)
PPL_COLUMN = "ppl (last 8k)"


def heldout_ids(tokenizer) -> np.ndarray:
    """The held-out books as one stream of ``tokenizer``'s ids."""
    text = " ".join(d.text for d in split_documents(documents())[1])
    return np.array(tokenizer(text)["input_ids"], dtype=np.int64)


def extension_perplexities(
    model, ids: np.ndarray, lengths, *, native: int | None = None, windows: int = SMOLLM_WINDOWS, seed: int = 0
) -> list[dict]:
    """Perplexity of the last ``native`` tokens of ``windows`` windows of ``ids`` at each length, for each of
    ``SMOLLM_METHODS`` configured for length / native (at least 1). ``native`` defaults to the model's
    ``max_position_embeddings``."""
    native = native or model.config.max_position_embeddings
    head_dim, theta = model.config.head_dim, model.config.rope_parameters["rope_theta"]
    rows = []
    for n in lengths:
        s = max(1.0, n / native)
        chunks = ev.eval_chunks(ids, n, windows, seed)
        for name, method in SMOLLM_METHODS.items():
            factors = rp.factors_yarn(s, head_dim, theta, native) if method == "longrope" else None
            params, max_pos = rp.rope_parameters(method, s, native, long_factor=factors)
            m = pretrained.reconfigured(model, params, max(max_pos, n))
            rows.append(
                {
                    "length": n,
                    "method": name,
                    PPL_COLUMN: ev.perplexity(m, chunks, min(n, native), all_tokens=False)["ppl_last"],
                }
            )
    return rows


def smollm2_extension(profile, device, seed: int = 0, *, native: int | None = None):
    """Section 8: (table, figures). On a profile without ``smollm_lengths`` the table only says so.
    ``native`` pretends a shorter native window (a test runs the whole section at CPU size with it)."""
    # what the prose says of the model and of the gpu profile's lengths, whatever this profile runs
    gpu_lengths = PROFILES["gpu"].smollm_lengths
    about = {
        "smollm_asset": ASSETS["smollm2"].description,
        "smollm_gpu_shortest": min(gpu_lengths),
        "smollm_gpu_longest": max(gpu_lengths),
    }
    if not profile.smollm_lengths:
        status = f"not run on the {profile.name} profile"
        return (
            pd.DataFrame({"SmolLM2 section": [f"{status} (set profile='gpu' on a GPU runner)"]}),
            {"smollm_status": status, **about},
        )
    model, tokenizer = pretrained.load_smollm2(device)
    rows = extension_perplexities(model, heldout_ids(tokenizer), profile.smollm_lengths, native=native, seed=seed)
    table = pd.DataFrame(rows).pivot_table(index="method", columns="length", values=PPL_COLUMN)
    return table, {"smollm_status": "run on this profile", "smollm_table": rows, **about}
