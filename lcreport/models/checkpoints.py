"""Trained weights in safetensors, in the project's one folder cache (``cache.cached_folder``: the manifest
written last with every file's hash, the folder published by renames, checked on load, so that a corrupt or
partial checkpoint is detected and rebuilt), keyed by a hash of everything that shapes them.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch

from ..cache import CorruptCacheError, cached_folder, read_manifest
from ..files import content_key
from ..profiles import LlamaSpec
from ..tasks.passkey import TRAINING_TEMPLATE
from .llama import build_model
from .lm_data import Data, data_fingerprint
from .training import train, typical_minutes

#: a checkpoint folder that cannot be trusted (``cache.CorruptCacheError``)
CorruptCheckpointError = CorruptCacheError


def checkpoint_key(spec: LlamaSpec) -> str:
    """Hash of everything that determines the weights: the spec (its training precision included), the data, the
    pass-key template that training mixes in (its wording and key format), the library versions."""
    import transformers

    spec_fields = asdict(spec)
    if spec_fields["precision"] == "fp32":
        # fp32 was the only precision before the field existed: its keys stay, so the fp32 base models remain the
        # cached control arm of the bf16 quality check (``make bench``)
        del spec_fields["precision"]
    payload = {
        "spec": spec_fields,
        "data": data_fingerprint(),
        "passkey": TRAINING_TEMPLATE.fingerprint(),
        "torch": torch.__version__.split("+")[0],
        "transformers": transformers.__version__,
        "format": 4,
    }  # bump "format" when the training recipe's code changes
    return content_key(payload)


def save_checkpoint(folder: Path, model, history, tokenizer) -> None:
    """Weights (the tied lm_head left out), tokenizer and training log; ``cache.write_folder`` adds the manifest."""
    from safetensors.torch import save_file

    state = {k: v.contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    save_file(state, folder / "model.safetensors")
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "history.json").write_text(json.dumps(history))


def load_checkpoint(folder: Path):
    """(state_dict, tokenizer, history), or CorruptCheckpointError if anything is missing or altered."""
    from safetensors.torch import load_file
    from tokenizers import Tokenizer

    read_manifest(folder)
    return (
        load_file(folder / "model.safetensors"),
        Tokenizer.from_file(str(folder / "tokenizer.json")),
        json.loads((folder / "history.json").read_text()),
    )


def cached_weights(kind: str, key: str, data: Data, make, build, *, log=print):
    """Weights from ``cache_dir()/kind/key`` when intact (``build(state)`` → model), else ``make()`` →
    (model, history), saved (``cache.cached_folder``). Returns (model, history, from_cache). A corrupt or partial
    checkpoint, or one whose tokenizer is not this data's, is reported and trained again. The work ledger records
    the training: its minutes at the median rate per step (``training.typical_minutes``) when loaded, its wall
    time when trained now."""

    def load(folder: Path, _manifest):
        state, tokenizer, history = load_checkpoint(folder)
        if tokenizer.to_str() != data.tokenizer.to_str():
            raise CorruptCheckpointError(f"{folder}: its tokenizer differs from the one trained on this data")
        return build(state), history

    (model, history), cached = cached_folder(
        kind,
        key,
        make=make,
        load=load,
        log=log,
        work_kind="model",
        save=lambda made, folder: save_checkpoint(folder, made[0], made[1], data.tokenizer),
        minutes_made=lambda made, wall: typical_minutes(made[1]),
    )
    return model, history, cached


def trained_model(spec: LlamaSpec, data: Data, device, *, log=print):
    """The base model for ``spec``: from the cache when intact, else trained now and cached.

    Returns (model, history, from_cache).
    """
    return cached_weights(
        "llama",
        checkpoint_key(spec),
        data,
        lambda: train(spec, data, device),
        lambda state: build_model(spec, state).to(device),
        log=log,
    )
