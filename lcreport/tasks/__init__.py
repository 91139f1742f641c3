"""The synthetic tasks the small Llama is trained and scored on, one module each, with one frozen spec
that every call site passes: the pass key (``passkey``) and copying across distance (``copying``)."""
