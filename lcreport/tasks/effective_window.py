"""The effective window: the longest length at which a model still does a task, judged the same way for every
model (RULER, Hsieh et al. 2024, §5: a threshold fixed in advance, applied to everyone).

A length is effective on a task when the Wilson lower bound of the share of trials done exactly reaches
``conventions.WINDOW_THRESHOLD``; only the tasks the base model passes at its own training length can judge an
extension. The tasks are the pass key in the training template and in one never seen in training
(``tasks.passkey``), and copying across half the window (``tasks.copying``); their scoring is
``longrope.stages.window_scores``.
"""

from __future__ import annotations

from ..conventions import WINDOW_THRESHOLD

#: the tasks of the effective window (section 5): the pass key with the training template and with one never
#: seen in training (``tasks.passkey.TEMPLATES``), and copying across half the window (``evaluation.copy_exact``)
PASSKEY_TRAIN, PASSKEY_UNSEEN, COPY = (
    "pass key, training template",
    "pass key, unseen template",
    "copy across half the window",
)
WINDOW_TASKS = (PASSKEY_TRAIN, PASSKEY_UNSEEN, COPY)


def passes(row: dict) -> bool:
    """A length is effective on a task when the Wilson lower bound of its exact share reaches WINDOW_THRESHOLD."""
    return row["lower"] >= WINDOW_THRESHOLD


def judged_tasks(base_rows) -> tuple[str, ...]:
    """The tasks that can judge an extension: those the base model passes at its training length (a task it cannot
    do at L says nothing about whether a longer window works)."""
    return tuple(r["task"] for r in base_rows if passes(r))


def task_window(rows, task: str) -> int:
    """The longest tested length effective on ``task`` (RULER reports the longest length above the threshold,
    even if a shorter one falls below it); 0 if none."""
    return max((r["length"] for r in rows if r["task"] == task and passes(r)), default=0)


def effective_window(rows, tasks) -> int:
    """The longest tested length effective on every one of ``tasks``; 0 if none, or if ``tasks`` is empty (no task
    can judge the model)."""
    if not tasks:
        return 0
    lengths = sorted({r["length"] for r in rows})
    ok = [
        n for n in lengths if all(any(r["length"] == n and r["task"] == t and passes(r) for r in rows) for t in tasks)
    ]
    return max(ok, default=0)
