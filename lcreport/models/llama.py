"""The small Llama of the LongRoPE chapters: transformers' ``LlamaForCausalLM`` (Touvron et al. 2023)
built from a ``LlamaConfig``, with RoPE settings passed at construction (``rope_parameters``),
and its language-modelling loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..profiles import LlamaSpec


def llama_config(spec: LlamaSpec, *, rope_parameters: dict | None = None, max_positions: int | None = None):
    from transformers import LlamaConfig

    rope = {"rope_type": "default", "rope_theta": spec.rope_theta}
    if rope_parameters:
        rope = {"rope_theta": spec.rope_theta, **rope_parameters}
    return LlamaConfig(
        vocab_size=spec.vocab_size,
        hidden_size=spec.hidden,
        intermediate_size=spec.intermediate,
        num_hidden_layers=spec.layers,
        num_attention_heads=spec.heads,
        num_key_value_heads=spec.heads,
        max_position_embeddings=max_positions or spec.train_length,
        rope_parameters=rope,
        tie_word_embeddings=True,
        attn_implementation="sdpa",
    )


def build_model(spec: LlamaSpec, state_dict=None, **config_kwargs):
    from transformers import LlamaForCausalLM

    torch.manual_seed(spec.seed)
    model = LlamaForCausalLM(llama_config(spec, **config_kwargs))
    if state_dict is not None:
        model.load_state_dict(state_dict, strict=False)  # tied lm_head appears once
    return model.eval()


def lm_loss(model, ids: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    logits = model(input_ids=ids).logits[:, :-1].float()
    nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")
    if weights is None:
        return nll.mean()
    w = weights[:, 1:].reshape(-1)
    return (nll * w).sum() / w.sum()
