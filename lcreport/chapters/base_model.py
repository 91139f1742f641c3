"""A trained small Llama and everything an experiment on it needs: the one context object of a base model."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..models.checkpoints import trained_model
from ..models.lm_data import Data
from ..profiles import LlamaSpec


@dataclass
class BaseModel:
    """The trained Llama and what every experiment on it needs."""

    spec: LlamaSpec
    data: Data
    model: object
    state: dict
    history: list  # one dict per logged training step, as training returns it
    from_cache: bool
    device: object

    @property
    def loss_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.history)

    @property
    def L(self) -> int:
        return self.spec.train_length

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def trained_base(spec: LlamaSpec, device) -> BaseModel:
    """The small Llama of ``spec``, from the checkpoint cache or trained now, with a detached copy of its weights."""
    data = Data(spec)
    model, history, from_cache = trained_model(spec, data, device)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return BaseModel(spec, data, model, state, history, from_cache, device)
