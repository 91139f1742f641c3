"""Device resolution: ``auto`` means CUDA when present, else CPU."""

from __future__ import annotations

import torch

VALID_DEVICES = ("auto", "cpu", "cuda")


class DeviceUnavailableError(RuntimeError):
    pass


def resolve_device(name: str = "auto") -> torch.device:
    """Turn a user's device choice into a ``torch.device``, or say clearly why not."""
    name = (name or "auto").lower()
    base = name.split(":")[0]
    if base not in VALID_DEVICES:
        raise ValueError(f"unknown device {name!r}: choose one of {', '.join(VALID_DEVICES)}")
    if base == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if base == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailableError(
            f"device {name!r} was asked for but this machine has no CUDA GPU "
            f"(torch {torch.__version__}); use --device cpu or --device auto"
        )
    return torch.device(name)


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels, so a timer measures work and not its launch."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
