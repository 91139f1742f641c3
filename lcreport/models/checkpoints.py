"""The checkpoint cache: trained weights in safetensors, keyed by a hash of everything that shapes
them, written atomically (the manifest last, holding every file's hash) and checked on load, so that
a corrupt or partial checkpoint is detected and rebuilt.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import torch

from ..cache import record_work
from ..files import HashMismatchError, atomic_write, check_hashes, content_key, file_sha256
from ..paths import cache_dir
from ..profiles import LlamaSpec
from .llama import build_model
from .lm_data import Data, data_fingerprint
from .training import train, typical_minutes


class CorruptCheckpointError(RuntimeError):
    pass


#: ``LlamaSpec`` fields added after checkpoint format 3, with their defaults
ADDED_SPEC_FIELDS = {"bos": False}


def checkpoint_key(spec: LlamaSpec) -> str:
    """Hash of everything that determines the weights: the spec, the data, the library versions."""
    import transformers

    fields = asdict(spec)
    for name, default in ADDED_SPEC_FIELDS.items():  # a field added later enters the key only when it is set,
        if fields[name] == default:                   # so the checkpoints trained before it keep their keys
            del fields[name]
    payload = {"spec": fields, "data": data_fingerprint(), "torch": torch.__version__.split("+")[0],
               "transformers": transformers.__version__, "format": 3}  # bump "format" when the training recipe changes
    return content_key(payload)


def save_checkpoint(folder: Path, model, history, tokenizer) -> None:
    """Weights, tokenizer and log, each written atomically; the manifest (written last) holds their hashes."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    atomic_write(folder / "model.safetensors", lambda p: save_file(state, p))
    atomic_write(folder / "tokenizer.json", lambda p: tokenizer.save(p))
    atomic_write(folder / "history.json", lambda p: Path(p).write_text(json.dumps(history)))
    manifest = {name: file_sha256(folder / name) for name in ("model.safetensors", "tokenizer.json", "history.json")}
    atomic_write(folder / "manifest.json", lambda p: Path(p).write_text(json.dumps(manifest, indent=1)))


def load_checkpoint(folder: Path):
    """(state_dict, tokenizer, history), or CorruptCheckpointError if anything is missing or altered."""
    from safetensors.torch import load_file
    from tokenizers import Tokenizer

    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise CorruptCheckpointError(f"{folder}: no manifest (an interrupted or partial checkpoint)")
    try:
        manifest = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as e:
        raise CorruptCheckpointError(f"{folder}: unreadable manifest ({e})") from e
    try:
        check_hashes(folder, manifest)
    except HashMismatchError as e:
        raise CorruptCheckpointError(str(e)) from e
    return load_file(folder / "model.safetensors"), Tokenizer.from_file(str(folder / "tokenizer.json")), \
        json.loads((folder / "history.json").read_text())


def cached_weights(folder: Path, data: Data, make, build, *, log=print):
    """Weights from ``folder`` when intact (``build(state)`` → model), else ``make()`` → (model, history), saved.

    Returns (model, history, from_cache). A corrupt or partial checkpoint is reported and rebuilt. The work
    ledger (``lcreport.cache``) records the training: its minutes at the median rate per step when loaded
    (``training.typical_minutes``), its wall time when trained now.
    """
    ident = f"{Path(folder).parent.name}/{Path(folder).name}"
    if folder.exists():
        try:
            state, tokenizer, history = load_checkpoint(folder)
            if tokenizer.to_str() != data.tokenizer.to_str():
                raise CorruptCheckpointError(f"{folder}: its tokenizer differs from the one trained on this data")
            model = build(state)
            record_work("model", ident, typical_minutes(history), loaded=True)
            return model, history, True
        except CorruptCheckpointError as e:
            log(f"[lcreport] {e}; retraining")
    from ..parallel import process_state

    t0 = time.time()
    model, history = make()
    record_work("model", ident, (time.time() - t0) / 60, loaded=False)
    process = process_state()
    if process.is_main_process:  # one writer, however many processes trained
        save_checkpoint(folder, model, history, data.tokenizer)
    process.wait_for_everyone()
    return model, history, False


def trained_model(spec: LlamaSpec, data: Data, device, *, log=print):
    """The base model for ``spec``: from the cache when intact, else trained now and cached.

    Returns (model, history, from_cache).
    """
    return cached_weights(cache_dir() / "llama" / checkpoint_key(spec), data, lambda: train(spec, data, device),
                          lambda state: build_model(spec, state).to(device), log=log)
