"""Pass-key retrieval (Mohtashami & Jaggi 2023): filler text, a key hidden at some depth, a question, the key.

A ``PasskeyTemplate`` is the wording and the key format; a ``PasskeyTask`` is one evaluation of it (depths,
trials per depth, the text stream the filler comes from). Training draws its pass keys from
``TRAINING_TEMPLATE``, so the template is part of what shapes a trained model: the checkpoint key
covers it (``models.checkpoints.checkpoint_key``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol

import numpy as np

NEEDLE = " The pass key is {key}. Remember it. {key} is the pass key."
QUESTION = " What is the pass key? The pass key is"
KEY_DIGITS = 5


class TokenSource(Protocol):
    """What a pass key is built from: a tokenizer's ``encode`` and token streams named ``train``, ``heldout``…"""

    train: np.ndarray

    def encode(self, text: str) -> list[int]: ...


@dataclass(frozen=True)
class PasskeyTemplate:
    """How a pass key is hidden and asked for: the needle's and the question's wording, and the key's
    format (``groups`` runs of digits joined by ``separator``)."""

    name: str
    needle: str
    question: str
    groups: tuple[int, ...]
    separator: str = ""

    def key(self, rng: np.random.Generator) -> str:
        return self.separator.join("".join(str(d) for d in rng.integers(0, 10, n)) for n in self.groups)

    def fingerprint(self) -> dict:
        """Everything that shapes the sequences (the name does not)."""
        fields = asdict(self)
        del fields["name"]
        return fields


#: the template training uses (40% of the training sequences of the cpu profile)
TRAINING_TEMPLATE = PasskeyTemplate("training template", NEEDLE, QUESTION, (KEY_DIGITS,))
#: wording and key format never seen in training: a code of two three-digit groups joined by a hyphen
HELD_OUT_TEMPLATE = PasskeyTemplate(
    "unseen template",
    " Write this down: the code of the blue door is {key}.",
    " Which code opens the blue door? It is",
    (3, 3),
    "-",
)
TEMPLATES = (TRAINING_TEMPLATE, HELD_OUT_TEMPLATE)


@dataclass(frozen=True)
class PasskeyTask:
    """One pass-key evaluation: ``trials`` keys at each of ``depths``, in ``template``, the filler drawn from
    the stream named ``source`` (``heldout``: books the model never trained on)."""

    template: PasskeyTemplate
    depths: tuple[float, ...]
    trials: int
    source: str = "heldout"

    def __post_init__(self):
        if self.trials < 1 or not self.depths:
            raise ValueError(
                f"a pass-key task needs at least one depth and one trial, got {self.depths}, {self.trials}"
            )
        if any(not 0 <= d <= 1 for d in self.depths):
            raise ValueError(f"depths are shares of the filler, between 0 and 1: got {self.depths}")

    @classmethod
    def of_profile(cls, profile, template: PasskeyTemplate = TRAINING_TEMPLATE) -> PasskeyTask:
        """The profile's pass-key evaluation (``passkey_depths``, ``passkey_trials``) in ``template``."""
        return cls(template, tuple(profile.passkey_depths), profile.passkey_trials)

    def stream(self, data: TokenSource) -> np.ndarray:
        try:
            return getattr(data, self.source)
        except AttributeError:
            raise ValueError(f"the data has no token stream {self.source!r} for the pass-key filler") from None


def passkey_example(
    data: TokenSource,
    length: int,
    depth: float,
    rng: np.random.Generator,
    source=None,
    template: PasskeyTemplate = TRAINING_TEMPLATE,
):
    """A sequence of exactly ``length`` tokens: filler, the needle at ``depth``, filler, the question, the key.

    Returns (ids, answer_slice): the key's tokens (its digits, and a separator if the template has one)
    occupy ``ids[answer_slice]``, at the end.
    """
    source = data.train if source is None else source
    key = template.key(rng)
    needle = data.encode(template.needle.format(key=key))
    question = data.encode(template.question)
    answer = data.encode(" " + key)
    key_tokens = len(data.encode(key))
    if answer[-key_tokens:] != data.encode(key):
        raise ValueError(f"the key {key!r} tokenizes differently after a space; choose another key format")
    n_filler = length - len(needle) - len(question) - len(answer)
    if n_filler < 0:
        raise ValueError(f"a pass key needs at least {length - n_filler} tokens, got length {length}")
    start = int(rng.integers(0, len(source) - n_filler))
    filler = source[start : start + n_filler].tolist()
    cut = int(round(depth * n_filler))
    ids = filler[:cut] + needle + filler[cut:] + question + answer
    return ids, slice(length - key_tokens, length)
