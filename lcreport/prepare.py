"""Train and cache the models a profile needs before its notebooks run, on as many processes as a
machine has: ``accelerate launch --num_processes N -m lcreport.prepare --profile gpu``.

The base Llamas of the LongRoPE chapters (one per seed of ``Profile.base_seeds``, for the replication, and
the first one's start-token twin of the n̂ sweep) and the small Llamas of the depth × width test are trained
through ``accelerate`` (DDP over the N processes; one process writes each checkpoint), under the
same cache keys the notebooks use, so ``python -m lcreport run --profile gpu`` then loads them
instead of training on one device. The LongRoPE searches themselves spread over processes the same
way in any script started by ``accelerate launch`` (``longrope.search``).
"""

from __future__ import annotations

import argparse

from .device import resolve_device
from .profiles import PROFILES, get_profile


def prepare(profile: str, device: str = "auto") -> list[str]:
    """Train (or find in the cache) every model the profile's chapters load; their cache keys."""
    from dataclasses import replace

    from .longrope.stages import small_spec
    from .models.checkpoints import checkpoint_key, trained_model
    from .models.lm_data import Data

    P, dev = get_profile(profile), resolve_device(device)
    bases = [P.llama] + [replace(P.llama, seed=s) for s in P.base_seeds if s != P.llama.seed]
    specs = (
        [P.llama, replace(P.llama, bos=True)]
        + bases[1:]
        + [
            small_spec(P.llama, layers=layers, hidden=hidden, length=P.dw_length, steps=P.dw_steps)
            for layers, hidden in P.dw_models
        ]
    )
    data = Data(P.llama)  # one tokenizer for all of them, as in the chapters
    for spec in specs:
        trained_model(spec, data, dev)
    return [checkpoint_key(s) for s in specs]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lcreport.prepare", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="gpu", help=f"one of {', '.join(PROFILES)} (default gpu)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    args = parser.parse_args(argv)
    keys = prepare(args.profile, args.device)
    print(f"[lcreport] {len(keys)} models ready in the cache: {', '.join(keys)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
