"""Analytic cost of a Transformer as a function of context length n.

A dense matmul of an (m×k) by a (k×p) matrix costs 2·m·k·p FLOPs. Everything but attention's
scores and weighted sum (projections, MLP, output head) is linear in n. How the n² terms are
counted is a convention, and the literature uses two (``CONVENTIONS``):

- ``"full"`` (the default; Hoffmann et al. 2022, "Chinchilla", Appendix F): QKᵀ and AV each
  cost 2·n²·d per layer (d = heads × head_dim) over the full n×n matrix, plus the softmax's
  element-wise work. This is what a dense kernel computes, causal mask or not, and what the
  timings of the complexity chapter measure.
- ``"kaplan"`` (Kaplan et al. 2020, "Scaling Laws for Neural Language Models", Table 1):
  2·n_layer·n_ctx·d_attn forward FLOPs per token for attention, i.e. n²·d per matmul per layer
  for a sequence, half the full count (as if the causal mask halved the work), no softmax.

The crossover context at which the n² terms equal the linear ones is therefore about twice as
long under Kaplan's count as under the full one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

#: the two ways of counting the n² attention FLOPs (see the module docstring)
CONVENTIONS = ("full", "kaplan")

#: Non-matmul work per attention-score element: scale, max, subtract, exp, sum, divide.
#: An estimate (the exact count depends on the kernel); it is kept apart from the
#: matmul FLOPs so that the matmul count can be checked exactly against torch.
SOFTMAX_FLOPS_PER_ELEMENT = 5


@dataclass(frozen=True)
class ModelShape:
    """What the cost depends on; the fields mirror a Hugging Face config."""

    name: str
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    d_ff: int
    vocab_size: int
    mlp: str = "gated"  # "gated": SwiGLU with 3 matrices (Llama); "standard": 2 (BERT)
    positions: str = "rope"  # "rope": no parameters; "learned": a max_positions × d table
    max_positions: int = 4096
    lm_head: bool = True  # a decoder's vocabulary projection (BertModel has none)
    tied_embeddings: bool = False
    bias: bool = False  # BERT's and GPT-3's linears and LayerNorms carry biases
    encoder: bool = False  # a BERT encoder: token-type table, embedding LayerNorm and pooler
    source: str = ""

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def kv_dim(self) -> int:
        return self.n_kv_heads * self.head_dim


#: Real model shapes, from each model's published config.json.
MODEL_SHAPES: dict[str, ModelShape] = {
    s.name: s
    for s in [
        ModelShape(
            "BERT-base",
            12,
            768,
            12,
            12,
            3072,
            30522,
            mlp="standard",
            positions="learned",
            max_positions=512,
            lm_head=False,
            bias=True,
            encoder=True,
            source="bert-base-uncased config.json (Devlin et al. 2019)",
        ),
        ModelShape(
            "Llama-2-7B",
            32,
            4096,
            32,
            32,
            11008,
            32000,
            max_positions=4096,
            source="meta-llama/Llama-2-7b-hf config.json (Touvron et al. 2023)",
        ),
        ModelShape(
            "Llama-3-8B (GQA)",
            32,
            4096,
            32,
            8,
            14336,
            128256,
            max_positions=8192,
            source="meta-llama/Meta-Llama-3-8B config.json",
        ),
        ModelShape(
            "Llama-2-70B (GQA)",
            80,
            8192,
            64,
            8,
            28672,
            32000,
            max_positions=4096,
            source="meta-llama/Llama-2-70b-hf config.json",
        ),
        ModelShape(
            "GPT-3 175B",
            96,
            12288,
            96,
            96,
            4 * 12288,
            50257,
            mlp="standard",
            positions="learned",
            max_positions=2048,
            tied_embeddings=True,
            bias=True,
            source="Brown et al. 2020, Table 2.1 (the GPT-2 architecture at 96 layers × 12,288)",
        ),
    ]
}


# --- FLOPs -----------------------------------------------------------------------------


def attention_score_flops(n: int, d_model: int) -> int:
    """QKᵀ over all heads: 2·n²·d (Vaswani et al. 2017, Eq. 1, numerator)."""
    return 2 * n * n * d_model


def attention_value_flops(n: int, d_model: int) -> int:
    """softmax(·)·V over all heads: 2·n²·d."""
    return 2 * n * n * d_model


def softmax_flops(n: int, n_heads: int) -> int:
    """Element-wise work on the h·n² scores (an estimate, see SOFTMAX_FLOPS_PER_ELEMENT)."""
    return SOFTMAX_FLOPS_PER_ELEMENT * n_heads * n * n


def projection_flops(n: int, s: ModelShape) -> int:
    """Q and O projections (d×d) plus K and V (d × kv_dim, smaller under GQA)."""
    return 2 * n * s.d_model * (2 * s.d_model + 2 * s.kv_dim)


def mlp_flops(n: int, s: ModelShape) -> int:
    """Feed-forward block: 3 matrices when gated (SwiGLU), 2 otherwise."""
    matrices = 3 if s.mlp == "gated" else 2
    return 2 * n * s.d_model * s.d_ff * matrices


def lm_head_flops(n: int, s: ModelShape) -> int:
    return 2 * n * s.d_model * s.vocab_size if s.lm_head else 0


def _check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown FLOP-counting convention {convention!r}: use one of {CONVENTIONS}")


def forward_flops(n: int, s: ModelShape, convention: str = "full") -> dict[str, int]:
    """Forward FLOPs of one sequence of n tokens, split by term, under ``convention``.

    ``linear`` grows as n, ``quadratic`` as n²; ``matmul`` excludes the softmax estimate
    and is what a FLOP counter on the matmuls sees (full convention).
    """
    _check_convention(convention)
    L = s.n_layers
    half = convention == "kaplan"
    parts = {
        "attention_scores": L * attention_score_flops(n, s.d_model) // (2 if half else 1),
        "attention_values": L * attention_value_flops(n, s.d_model) // (2 if half else 1),
        "softmax": 0 if half else L * softmax_flops(n, s.n_heads),
        "projections": L * projection_flops(n, s),
        "mlp": L * mlp_flops(n, s),
        "lm_head": lm_head_flops(n, s),
    }
    parts["quadratic"] = parts["attention_scores"] + parts["attention_values"] + parts["softmax"]
    parts["linear"] = parts["projections"] + parts["mlp"] + parts["lm_head"]
    parts["matmul"] = parts["linear"] + parts["attention_scores"] + parts["attention_values"]
    parts["total"] = parts["linear"] + parts["quadratic"]
    return parts


def training_flops(n: int, s: ModelShape) -> int:
    """Forward + backward ≈ 3× forward (backward computes two matmuls per forward one)."""
    return 3 * forward_flops(n, s)["total"]


def quadratic_crossover_length(s: ModelShape, convention: str = "full") -> float:
    """Context length n* at which the n² attention terms equal all the linear terms.

    Per sequence: linear = a·n, quadratic = b·n², so n* = a / b; b = L·(4d + 5h) under the full
    count, L·2d under Kaplan's.
    """
    _check_convention(convention)
    a = forward_flops(1, s)["linear"]
    b = s.n_layers * (
        2 * s.d_model if convention == "kaplan" else 4 * s.d_model + SOFTMAX_FLOPS_PER_ELEMENT * s.n_heads
    )
    return a / b


def flops_per_token(n: int, s: ModelShape, convention: str = "full") -> float:
    """Forward FLOPs per token of a sequence of n tokens (Kaplan's C_forward / token at n_ctx = n)."""
    return forward_flops(n, s, convention)["total"] / n


def cost_ratio(n_from: int, n_to: int, s: ModelShape | None = None, *, term: str = "total") -> float:
    """How much more one sequence of n_to tokens costs than one of n_from tokens.

    With ``s=None`` the ratio of attention scores alone, (n_to/n_from)², the seeds' figure.
    """
    if s is None:
        return (n_to / n_from) ** 2
    return forward_flops(n_to, s)[term] / forward_flops(n_from, s)[term]


# --- memory -----------------------------------------------------------------------------


def kv_cache_bytes(s: ModelShape, n_tokens: int = 1, *, bytes_per_value: int = 2, batch: int = 1) -> int:
    """Keys and values of every layer: 2 · layers · kv_heads · head_dim · bytes per token."""
    return 2 * s.n_layers * s.kv_dim * bytes_per_value * n_tokens * batch


def score_matrix_bytes(n: int, n_heads: int, *, bytes_per_value: int = 4, batch: int = 1) -> int:
    """One materialised n×n score matrix per head (what naive attention allocates)."""
    return batch * n_heads * n * n * bytes_per_value


# --- parameters -------------------------------------------------------------------------


def position_parameters(s: ModelShape, n_positions: int | None = None) -> int:
    """Parameters spent on positions: 0 for RoPE, n·d for a learned table (BERT)."""
    if s.positions == "rope":
        return 0
    return (s.max_positions if n_positions is None else n_positions) * s.d_model


def parameter_count(s: ModelShape, n_positions: int | None = None) -> int:
    """Exact parameter count of the base model (Hugging Face's BertModel / LlamaForCausalLM)."""
    d, f, b = s.d_model, s.d_ff, int(s.bias)
    norm = 2 * d if s.bias else d  # LayerNorm has weight + bias, RMSNorm weight only
    attention = d * (d + 2 * s.kv_dim) + b * (d + 2 * s.kv_dim) + d * d + b * d
    matrices = 3 if s.mlp == "gated" else 2
    mlp = matrices * d * f + b * (f + d)
    layer = attention + mlp + 2 * norm
    embeddings = s.vocab_size * d + position_parameters(s, n_positions)
    total = embeddings + s.n_layers * layer
    if s.encoder:  # BERT: token-type table, embedding LayerNorm, pooler
        total += 2 * d + norm + d * d + d
    else:  # a decoder (Llama, GPT-3): final norm and the output head
        total += norm
        if s.lm_head and not s.tied_embeddings:
            total += s.vocab_size * d
    return total


# --- shapes -----------------------------------------------------------------------------


def qkv_shapes(n: int, s: ModelShape, batch: int = 1) -> dict[str, tuple[int, ...]]:
    """Shapes of Q, K, V and the score matrix for n tokens, computed by torch on the meta device.

    The meta device runs the real projections without allocating memory, so the shapes
    are torch's, not ours.
    """
    with torch.device("meta"):
        x = torch.empty(batch, n, s.d_model)
        wq = torch.nn.Linear(s.d_model, s.d_model, bias=s.bias)
        wk = torch.nn.Linear(s.d_model, s.kv_dim, bias=s.bias)
        q = wq(x).view(batch, n, s.n_heads, s.head_dim).transpose(1, 2)
        k = wk(x).view(batch, n, s.n_kv_heads, s.head_dim).transpose(1, 2)
        k_rep = k.repeat_interleave(s.n_heads // s.n_kv_heads, dim=1)
        scores = q @ k_rep.transpose(-2, -1)
    return {"Q": tuple(q.shape), "K": tuple(k.shape), "V": tuple(k.shape), "QKᵀ": tuple(scores.shape)}


# --- the seeds' arithmetic --------------------------------------------------------------


def seed_arithmetic() -> list[dict]:
    """Every number the seeds compute about attention cost, recomputed.

    Seed 000 (a reader's comment): n²·d with n = 1,000 → 2,000 → 10,000 and d = 512.
    Seed 001 §4.3: C = L·d·(L + d) with L = 1024, d = 512, and an "increase" from a
    context C = 100 → 1000 that adds 100·512·(1024 + 512).
    """
    rows = []

    def row(claim_id, expression, claimed, value):
        rows.append(
            {
                "claim": claim_id,
                "expression": expression,
                "claimed": claimed,
                "recomputed": value,
                "claimed / recomputed": claimed / value,
            }
        )

    row("C000-6", "1000² · 512", 512_000_000, 1000**2 * 512)
    row("C000-6", "2000² · 512", 2_048_000_000, 2000**2 * 512)
    row("C000-6", "10000² · 512", 51_200_000_000, 10000**2 * 512)
    row("C000-6", "(2000/1000)²", 4, cost_ratio(1000, 2000))
    row("C000-6", "(10000/1000)²", 100, cost_ratio(1000, 10000))
    row("C004-3", "(4096/512)²", 64, cost_ratio(512, 4096))
    base = 1024 * 512 * (1024 + 512)
    added = 100 * 512 * (1024 + 512)
    row("C001-4", "1024 · 512 · (1024 + 512)", 5.1e11, base)
    row("C001-4", "100 · 512 · (1024 + 512)", 2.0e11, added)
    row("C001-4", "sum of the two", 7.1e11, base + added)
    return rows
