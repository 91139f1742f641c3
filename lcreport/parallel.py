"""Spreading independent evaluations over processes (``accelerate launch`` / ``torchrun``).

Alone, a process maps the function over the items itself. Under N processes each evaluates the items
``rank::N`` and the results are gathered and put back in the items' order, so every process returns
the same list, the one a single process would have computed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def process_state():
    """accelerate's view of this run's processes (a CPU process group over gloo when there is no GPU)."""
    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def map_over_processes(fn: Callable, items: Sequence) -> list:
    """``[fn(x) for x in items]``, computed across the processes of this run, identical on every process."""
    from accelerate.utils import gather_object

    state = process_state()
    if state.num_processes == 1:
        return [fn(x) for x in items]
    mine = [(i, fn(items[i])) for i in range(state.process_index, len(items), state.num_processes)]
    gathered = gather_object(mine)
    by_index = dict(gathered)
    if sorted(by_index) != list(range(len(items))):
        raise RuntimeError(
            f"gathered {len(by_index)} of {len(items)} evaluations across {state.num_processes} processes"
        )
    return [by_index[i] for i in range(len(items))]


def run_job(job: str, out, processes: int = 1, profile: str = "smoke", timeout: int = 900) -> dict:
    """Run ``lcreport.parallel_job`` on ``processes`` local processes (torchrun, gloo on a CPU); its JSON."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from .paths import ROOT

    module = ["-m", "lcreport.parallel_job", job, str(out), profile]
    cmd = (
        [sys.executable, *module]
        if processes == 1
        else [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            str(processes),
            *module,
        ]
    )
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return json.loads(Path(out).read_text())


def search_speedup(profile: str, workdir, processes=(1, 2)) -> list[dict]:
    """Wall time of the same LongRoPE search (``parallel_job.SPEEDUP_SEARCH``) on 1 … N processes of one
    thread each, and whether every process count found the same factors."""
    rows, reference = [], None
    for n in processes:
        r = run_job("search", f"{workdir}/search-{n}.json", n, profile)["result"]
        reference = reference or r
        rows.append(
            {
                "processes": n,
                "evaluations": r["evaluations"],
                "seconds": r["seconds"],
                "speed-up": reference["seconds"] / r["seconds"],
                "same factors as 1 process": r["factors"] == reference["factors"] and r["n_hat"] == reference["n_hat"],
            }
        )
    return rows


def speedup_section(profile: str, processes=(1, 2)):
    """(table, figures) for the book: the search's speed-up from 1 to N processes on this machine."""
    import tempfile

    import pandas as pd

    with tempfile.TemporaryDirectory(prefix="lcreport-speedup-") as tmp:
        table = pd.DataFrame(search_speedup(profile, tmp, processes))
    last = table.iloc[-1]
    figures = {
        "speedup_processes": int(last["processes"]),
        "search_speedup": float(last["speed-up"]),
        "speedup_evaluations": int(last["evaluations"]),
        "speedup_same_factors": "the same factors" if table["same factors as 1 process"].all() else "different factors",
    }
    return table.set_index("processes"), figures
