"""Copying across distance: a span of random tokens and the same span again (the skill behind induction
heads, Olsson et al. 2022). Training uses pure copy sequences (the warm-up and a share of the mix) and
repeated spans inside text; evaluation scores copying across half the window (``CopyTask``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CopyTask:
    """Copying across half the window, in the format of the training copy sequences: a trial passes when every
    one of its last ``answer`` tokens is the argmax (teacher forcing)."""

    answer: int = 8

    def check(self, length: int) -> None:
        if not 0 < self.answer < length // 2:
            raise ValueError(
                f"the copied answer must be 1 to {length // 2 - 1} tokens for length {length}, got {self.answer}"
            )


#: the copy task of the effective-window study
COPY_TASK = CopyTask()


def copy_sequence(vocab_size: int, length: int, rng: np.random.Generator):
    """Random tokens, then the same tokens again; weights score only the second copy (after its first token).

    Nothing but copying lowers this loss, so induction heads form in a few hundred steps
    (an abrupt drop, Olsson et al. 2022) instead of not at all within a CPU budget.
    """
    half = length // 2
    segment = rng.integers(1, vocab_size, half)
    ids = np.concatenate([segment, segment, segment[: length - 2 * half]])
    weights = np.zeros(length, dtype=np.float32)
    weights[half + 1 :] = 1.0
    return ids, weights


def repeat_example(data, length: int, span: int, distance: int, rng: np.random.Generator, source=None):
    """Filler text with a span of random tokens at some position and again ``distance`` tokens after it ends.

    Returns (ids, second_copy_slice).
    """
    source = data.train if source is None else source
    if 2 * span + distance > length:
        raise ValueError(f"span {span} twice plus distance {distance} exceed length {length}")
    start = int(rng.integers(0, len(source) - length))
    ids = source[start : start + length].tolist()
    segment = rng.integers(1, data.tokenizer.get_vocab_size(), span).tolist()
    first = int(rng.integers(0, length - 2 * span - distance + 1))
    second = first + span + distance
    ids[first : first + span] = segment
    ids[second : second + span] = segment
    return ids, slice(second, second + span)
