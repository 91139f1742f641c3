"""Small jobs run under ``torchrun --standalone --nproc_per_node N -m lcreport.parallel_job JOB OUT``:
a tiny training run and a LongRoPE search, whose results (and wall time) the main process writes as
JSON to OUT. The tests compare N = 2 with N = 1; the book measures the speed-up of the search.

Every process uses one torch thread, so N processes use N cores and a comparison across N is fair.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time

import torch

from .models import llama, training
from .profiles import PROFILES, SearchSettings

#: the search the speed-up is measured on: scale 2, a small population, untrained weights of the profile's model
SPEEDUP_SEARCH = SearchSettings(population=8, generations=2, mutations=4, crossovers=2, samples=2)


def tiny_training(profile: str = "smoke") -> dict:
    spec = dataclasses.replace(PROFILES[profile].llama, steps=6, warmup=2)
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randint(0, spec.vocab_size, (4, 32), generator=g), torch.ones(4, 32)) for _ in range(6)]
    t0 = time.perf_counter()
    _, history = training.optimise(
        llama.build_model(spec),
        lambda s: batches[s],
        steps=6,
        lr=3e-3,
        warmup=2,
        device=torch.device("cpu"),
        log_every=1,
    )
    return {"losses": [h["loss"] for h in history], "seconds": time.perf_counter() - t0}


def search_job(profile: str = "smoke", settings: SearchSettings = SPEEDUP_SEARCH) -> dict:
    from .longrope.search import search
    from .models.lm_data import Data

    spec = PROFILES[profile].llama
    state = llama.build_model(spec).state_dict()
    data = Data(spec)
    t0 = time.perf_counter()
    result = search(state, spec, data, 2, settings, seed=0, use_cache=False)  # timed: never from the cache
    return {
        "factors": list(result.best.factors),
        "n_hat": result.best.n_hat,
        "fitness": result.best_fitness,
        "evaluations": result.evaluations,
        "seconds": time.perf_counter() - t0,
    }


def main(argv=None) -> int:
    from .parallel import process_state

    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3) or args[0] not in ("train", "search"):
        print("usage: python -m lcreport.parallel_job {train,search} OUT.json [PROFILE]", file=sys.stderr)
        return 2
    what, out, profile = args[0], args[1], args[2] if len(args) == 3 else "smoke"
    torch.set_num_threads(1)
    result = {"train": tiny_training, "search": search_job}[what](profile)
    state = process_state()
    if state.is_main_process:
        with open(out, "w") as f:
            json.dump({"result": result, "processes": state.num_processes}, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
