"""Extending a trained Llama's window: every RoPE method applied by transformers from ``rope_parameters``
(see ``models.rope``), plus the one thing transformers lacks, LongRoPE's n̂ un-interpolated initial
positions, as a subclass of its rotary embedding that with n̂ = 0 is exactly transformers' ``longrope``.
"""

from __future__ import annotations

import torch

from ..models import rope as rp
from ..models.llama import build_model
from ..profiles import LlamaSpec


class TargetTooLongError(ValueError):
    pass


def install_start_positions(model, n_hat: int) -> None:
    """LongRoPE's second non-uniformity: positions < n̂ keep the original RoPE (Ding et al. 2024, Eq. 3).

    As the reference code does it (microsoft/LongRoPE, ``rope/longrope.py``, ``MixedLongRoPEScaledRotaryEmbedding``):
    the first n̂ positions take the *original* model's cos and sin, original frequencies and no attention scale;
    the scale √(1 + ln s / ln L) applies from position n̂ on.
    """
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    class StartKeepingRotaryEmbedding(LlamaRotaryEmbedding):
        def forward(self, x, position_ids):
            cos, sin = super().forward(x, position_ids)
            if n_hat <= 0:
                return cos, sin
            dim = self.inv_freq.shape[0] * 2
            plain = torch.tensor(
                rp.base_inv_freq(dim, self.config.rope_parameters["rope_theta"]), dtype=torch.float32, device=x.device
            )
            freqs = position_ids[..., None].float() * plain
            emb = torch.cat((freqs, freqs), dim=-1)
            early = (position_ids < n_hat)[..., None]
            cos = torch.where(early, emb.cos().to(cos.dtype), cos)
            sin = torch.where(early, emb.sin().to(sin.dtype), sin)
            return cos, sin

    old = model.model.rotary_emb
    new = StartKeepingRotaryEmbedding(old.config).to(old.inv_freq.device)
    model.model.rotary_emb = new


def extended_model(
    state,
    spec: LlamaSpec,
    method: str,
    scale: float,
    *,
    long_factor=None,
    short_factor=None,
    n_hat: int = 0,
    attention_factor: float | None = None,
    device="cpu",
):
    """The trained weights under a RoPE extension method for ``scale`` × the training length
    (``attention_factor``: see ``models.rope.rope_parameters``)."""
    check_length(spec, int(round(scale * spec.train_length)))
    params, max_pos = rp.rope_parameters(
        method,
        scale,
        spec.train_length,
        long_factor=long_factor,
        short_factor=short_factor,
        attention_factor=attention_factor,
    )
    model = build_model(spec, state, rope_parameters=params, max_positions=max_pos).to(device)
    if n_hat:
        if method != "longrope":
            raise ValueError("n̂ is part of LongRoPE only")
        install_start_positions(model, n_hat)
    return model


def check_length(spec: LlamaSpec, length: int, max_scale: float = 64) -> None:
    if length < 2:
        raise TargetTooLongError(f"length {length} is too short to score")
    if length > max_scale * spec.train_length:
        raise TargetTooLongError(
            f"length {length} is more than {max_scale}× the training length "
            f"{spec.train_length}: not representable by this study's models"
        )
