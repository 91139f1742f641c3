"""RoPE position-interpolation methods as per-frequency rescale factors λᵢ.

RoPE (Su et al. 2021) rotates dimension pair i of a query or key at position m by m·θᵢ,
θᵢ = b^(−2i/d). Every extension method studied here divides θᵢ by a factor λᵢ ≥ 1:
PI (Chen et al. 2023) uses λᵢ = s for all i; NTK-aware scaling raises the base, which is
λᵢ = s^(2i/(d−2)); YaRN (Peng et al. 2023, Eq. 18–20) ramps from 1 (high frequencies,
extrapolated) to s (low frequencies, interpolated); LongRoPE (Ding et al. 2024) searches
λᵢ. One function per method, behind one table, as transformers' ``modeling_rope_utils``;
transformers applies each method from the ``rope_parameters`` built here, and the tests
check that these factors give exactly the inverse frequencies transformers computes.
"""
from __future__ import annotations

import math

import numpy as np

METHODS = ("rope", "linear", "dynamic", "yarn", "longrope")
LABELS = {"rope": "plain RoPE", "linear": "PI (linear)", "dynamic": "NTK-aware (dynamic)",
          "yarn": "YaRN", "longrope": "LongRoPE (searched)"}


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
    keep = 1 - ramp                                  # share of the original (extrapolated) frequency
    inv_scaled = (1 - keep) / s + keep               # θ'ᵢ/θᵢ
    return 1.0 / inv_scaled


FACTOR_FUNCTIONS = {"linear": factors_pi, "dynamic": factors_ntk, "yarn": factors_yarn}


def method_factors(method: str, s: float, dim: int, base: float, L: int) -> np.ndarray:
    if method == "rope":
        return np.ones(dim // 2)
    if method not in FACTOR_FUNCTIONS:
        raise ValueError(f"no closed-form factors for {method!r}: choose from {', '.join(FACTOR_FUNCTIONS)}")
    return FACTOR_FUNCTIONS[method](s, dim, base, L)


def inv_freq_from_factors(factors, dim: int, base: float) -> np.ndarray:
    """θ'ᵢ = θᵢ / λᵢ."""
    return base_inv_freq(dim, base) / np.asarray(factors, dtype=np.float64)


def longrope_attention_factor(s: float, L: int) -> float:
    """√(1 + ln s / ln L): the attention (cos/sin) scale LongRoPE and transformers' ``longrope`` use."""
    return 1.0 if s <= 1 else math.sqrt(1 + math.log(s) / math.log(L))


def yarn_attention_factor(s: float, L: int) -> float:
    """0.1 ln s + 1: YaRN's attention (cos/sin) scale (Peng et al. 2023, Eq. 22, as transformers' ``yarn``)."""
    return 1.0 if s <= 1 else 0.1 * math.log(s) + 1.0


#: the attention temperatures of the temperature × factors grid: name → function of (s, L)
TEMPERATURES = {"none": lambda s, L: 1.0, "YaRN's": yarn_attention_factor, "LongRoPE's": longrope_attention_factor}


def rope_parameters(method: str, s: float, L: int, *, long_factor=None, short_factor=None,
                    attention_factor: float | None = None) -> tuple[dict, int]:
    """``(rope_parameters, max_position_embeddings)`` for a LlamaConfig that extends L by s with ``method``.

    ``attention_factor`` (``longrope`` only) replaces the method's own attention scale: any factors can
    then be run at any temperature (the temperature × factors grid)."""
    if attention_factor is not None and method != "longrope":
        raise ValueError("attention_factor is set through the longrope type: pass the method's factors as long_factor")
    if s < 1:
        raise ValueError(f"scale must be ≥ 1, got {s}")
    target = int(round(s * L))
    if method == "rope":
        return {"rope_type": "default"}, target
    if method == "linear":
        return {"rope_type": "linear", "factor": float(s)}, target
    if method == "dynamic":
        # transformers recomputes the base from the running length: b·(n/L)^(d/(d−2)) with factor 1,
        # so over a whole sequence of n tokens it is static NTK with s = n/L.
        return {"rope_type": "dynamic", "factor": 1.0}, L
    if method == "yarn":
        return {"rope_type": "yarn", "factor": float(s), "original_max_position_embeddings": L,
                "beta_fast": 32.0, "beta_slow": 1.0}, target
    if method == "longrope":
        if long_factor is None:
            raise ValueError("longrope needs the searched long_factor")
        half = len(long_factor)
        params = {"rope_type": "longrope", "factor": float(s), "original_max_position_embeddings": L,
                  "long_factor": [float(x) for x in long_factor],
                  "short_factor": [float(x) for x in (short_factor if short_factor is not None else [1.0] * half)]}
        if attention_factor is not None:
            params["attention_factor"] = float(attention_factor)
        return params, target
    raise ValueError(f"unknown RoPE method {method!r}: choose from {', '.join(METHODS)}")
