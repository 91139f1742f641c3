"""RoPE position-interpolation methods: one record per method, as per-frequency rescale factors λᵢ.

RoPE (Su et al. 2021) rotates dimension pair i of a query or key at position m by m·θᵢ,
θᵢ = b^(−2i/d). Every extension method studied here divides θᵢ by a factor λᵢ ≥ 1:
PI (Chen et al. 2023) uses λᵢ = s for all i; NTK-aware scaling raises the base, which is
λᵢ = s^(2i/(d−2)); YaRN (Peng et al. 2023, Eq. 18–20) ramps from 1 (high frequencies,
extrapolated) to s (low frequencies, interpolated); LongRoPE (Ding et al. 2024) searches
λᵢ. One factor function per method and one ``RopeMethod`` record that names it, as transformers'
``modeling_rope_utils`` maps ``rope_type`` to a function: every label, colour, arm list and
``rope_parameters`` of the book is read from ``REGISTRY``. Transformers applies each method from
the ``rope_parameters`` built here, and the tests check that these factors give exactly the inverse
frequencies transformers computes.

Adding a method: its factor function, one ``RopeMethod`` in ``REGISTRY``, and its test against
transformers' ``ROPE_INIT_FUNCTIONS`` where transformers has it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def base_inv_freq(dim: int, base: float) -> np.ndarray:
    """θᵢ = b^(−2i/d), i = 0 … d/2 − 1 (Su et al. 2021, Eq. 15)."""
    return 1.0 / base ** (np.arange(0, dim, 2, dtype=np.float64) / dim)


def factors_pi(s: float, dim: int, base: float, L: int) -> np.ndarray:
    """Position interpolation: positions divided by s, i.e. λᵢ = s for every frequency (Chen et al. 2023, Eq. 4)."""
    return np.full(dim // 2, float(s))


def factors_ntk(s: float, dim: int, base: float, L: int) -> np.ndarray:
    """NTK-aware scaling: base b' = b·s^(d/(d−2)), so λᵢ = θᵢ/θ'ᵢ = s^(2i/(d−2)) (bloc97, 2023)."""
    return float(s) ** (np.arange(0, dim, 2, dtype=np.float64) / (dim - 2))


def factors_yarn(s: float, dim: int, base: float, L: int, beta_fast: float = 32, beta_slow: float = 1) -> np.ndarray:
    """YaRN's "NTK-by-parts" ramp (Peng et al. 2023, Eq. 18–20), with transformers' rounding of the ramp ends.

    Dimensions that turn more than β_fast times over L keep λ = 1; fewer than β_slow get λ = s.
    """

    def correction_dim(rotations):
        return dim * math.log(L / (rotations * 2 * math.pi)) / (2 * math.log(base))

    low = max(math.floor(correction_dim(beta_fast)), 0)
    high = min(math.ceil(correction_dim(beta_slow)), dim - 1)
    if low == high:
        high += 0.001
    ramp = np.clip((np.arange(dim // 2, dtype=np.float64) - low) / (high - low), 0, 1)
    keep = 1 - ramp  # share of the original (extrapolated) frequency
    inv_scaled = (1 - keep) / s + keep  # θ'ᵢ/θᵢ
    return 1.0 / inv_scaled


def factors_plain(s: float, dim: int, base: float, L: int) -> np.ndarray:
    """Plain RoPE: no rescaling, λᵢ = 1 (positions past L are extrapolated)."""
    return np.ones(dim // 2)


def inv_freq_from_factors(factors, dim: int, base: float) -> np.ndarray:
    """θ'ᵢ = θᵢ / λᵢ."""
    return base_inv_freq(dim, base) / np.asarray(factors, dtype=np.float64)


def longrope_attention_factor(s: float, L: int) -> float:
    """√(1 + ln s / ln L): the attention (cos/sin) scale LongRoPE and transformers' ``longrope`` use."""
    return 1.0 if s <= 1 else math.sqrt(1 + math.log(s) / math.log(L))


def yarn_attention_factor(s: float, L: int) -> float:
    """0.1 ln s + 1: YaRN's attention (cos/sin) scale (Peng et al. 2023, Eq. 22, as transformers' ``yarn``)."""
    return 1.0 if s <= 1 else 0.1 * math.log(s) + 1.0


def _params_plain(s: float, L: int, **_) -> tuple[dict, int]:
    return {"rope_type": "default"}, int(round(s * L))


def _params_linear(s: float, L: int, **_) -> tuple[dict, int]:
    return {"rope_type": "linear", "factor": float(s)}, int(round(s * L))


def _params_dynamic(s: float, L: int, **_) -> tuple[dict, int]:
    # transformers recomputes the base from the running length: b·(n/L)^(d/(d−2)) with factor 1,
    # so over a whole sequence of n tokens it is static NTK with s = n/L.
    return {"rope_type": "dynamic", "factor": 1.0}, L


def _params_yarn(s: float, L: int, **_) -> tuple[dict, int]:
    return {
        "rope_type": "yarn",
        "factor": float(s),
        "original_max_position_embeddings": L,
        "beta_fast": 32.0,
        "beta_slow": 1.0,
    }, int(round(s * L))


def _params_longrope(
    s: float, L: int, *, long_factor=None, short_factor=None, attention_factor: float | None = None
) -> tuple[dict, int]:
    if long_factor is None:
        raise ValueError("longrope needs the searched long_factor")
    half = len(long_factor)
    params = {
        "rope_type": "longrope",
        "factor": float(s),
        "original_max_position_embeddings": L,
        "long_factor": [float(x) for x in long_factor],
        "short_factor": [float(x) for x in (short_factor if short_factor is not None else [1.0] * half)],
    }
    if attention_factor is not None:
        params["attention_factor"] = float(attention_factor)
    return params, int(round(s * L))


@dataclass(frozen=True)
class RopeMethod:
    """One RoPE extension method, everything the book needs to name, draw, configure and score it."""

    #: stable id, used in code and in results: transformers' ``rope_type`` ("rope" for its "default")
    id: str
    #: the label of chapter 04's tables and of the trial rows ("PI (linear)")
    label: str
    #: the short name of chapter 05's arms, of the search's starting points and of legends ("PI")
    short: str
    #: line colour in every figure
    colour: str
    #: λᵢ as a function of (s, dim, base, L); ``None`` when the factors are searched, not closed-form
    factors: Callable[..., np.ndarray] | None
    #: (s, L, **kw) → (``rope_parameters``, ``max_position_embeddings``) for a LlamaConfig
    parameters: Callable[..., tuple[dict, int]]
    #: the attention (cos/sin) scale the method applies at scale s over L; ``None``: none (1)
    temperature: Callable[[float, int], float] | None = None
    #: False for plain RoPE, the unextended reference
    extends: bool = True

    def attention_temperature(self, s: float, L: int) -> float:
        return 1.0 if self.temperature is None else self.temperature(s, L)


#: every method, in the order tables and legends show them
REGISTRY = (
    RopeMethod("rope", "plain RoPE", "plain RoPE", "#7f7f7f", factors_plain, _params_plain, extends=False),
    RopeMethod("linear", "PI (linear)", "PI", "#ff7f0e", factors_pi, _params_linear),
    RopeMethod("dynamic", "NTK-aware (dynamic)", "NTK", "#2ca02c", factors_ntk, _params_dynamic),
    RopeMethod("yarn", "YaRN", "YaRN", "#9467bd", factors_yarn, _params_yarn, yarn_attention_factor),
    RopeMethod(
        "longrope", "LongRoPE (searched)", "LongRoPE", "#d62728", None, _params_longrope, longrope_attention_factor
    ),
)
BY_ID = {m.id: m for m in REGISTRY}
# views of the registry, for the call sites that need one field of every method
METHODS = tuple(BY_ID)
LABELS = {m.id: m.label for m in REGISTRY}
SHORT = {m.id: m.short for m in REGISTRY}
COLOURS = {m.id: m.colour for m in REGISTRY}
#: the methods whose factors are closed-form and that extend the window (PI, NTK, YaRN)
FACTOR_FUNCTIONS = {m.id: m.factors for m in REGISTRY if m.extends and m.factors is not None}
#: the methods scored as they are, without a search (plain RoPE and the closed-form ones)
FIXED_METHODS = tuple(m.id for m in REGISTRY if m.factors is not None)
#: the methods that extend the window (every one but plain RoPE)
EXTENDING_METHODS = tuple(m.id for m in REGISTRY if m.extends)
#: the attention temperatures of the temperature × factors grid: name → function of (s, L)
TEMPERATURES = {
    "none": lambda s, L: 1.0,
    **{f"{m.short}'s": m.temperature for m in REGISTRY if m.temperature is not None},
}


def method(method_id: str) -> RopeMethod:
    """The record of ``method_id``, or an error that lists the registered ids."""
    try:
        return BY_ID[method_id]
    except KeyError:
        raise ValueError(f"unknown RoPE method {method_id!r}: choose from {', '.join(METHODS)}") from None


def method_factors(method_id: str, s: float, dim: int, base: float, L: int) -> np.ndarray:
    factors = method(method_id).factors
    if factors is None:
        closed = [m.id for m in REGISTRY if m.factors is not None]
        raise ValueError(f"no closed-form factors for {method_id!r}: choose from {', '.join(closed)}")
    return factors(s, dim, base, L)


def rope_parameters(
    method_id: str, s: float, L: int, *, long_factor=None, short_factor=None, attention_factor: float | None = None
) -> tuple[dict, int]:
    """``(rope_parameters, max_position_embeddings)`` for a LlamaConfig that extends L by s with ``method_id``.

    ``attention_factor`` (``longrope`` only) replaces the method's own attention scale: any factors can
    then be run at any temperature (the temperature × factors grid)."""
    record = method(method_id)
    if attention_factor is not None and method_id != "longrope":
        raise ValueError("attention_factor is set through the longrope type: pass the method's factors as long_factor")
    if s < 1:
        raise ValueError(f"scale must be ≥ 1, got {s}")
    if method_id == "longrope":
        return record.parameters(
            s, L, long_factor=long_factor, short_factor=short_factor, attention_factor=attention_factor
        )
    return record.parameters(s, L)
