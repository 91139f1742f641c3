import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def tmp_results(tmp_path, monkeypatch):
    """Results written by a test go to a temporary folder, never to results/."""
    monkeypatch.setenv("LCREPORT_RESULTS", str(tmp_path / "results"))
    return tmp_path / "results"


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny tensors: one thread is faster, and much faster on a busy machine (restored afterwards)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data(request):
    """The corpus for the Llama spec of the requesting module (its ``SPEC``), once per module."""
    from lcreport.models import lm_data

    return lm_data.Data(request.module.SPEC)


@pytest.fixture(scope="module")
def encoder():
    """(tokenizer, model) of the small BERT encoder on the CPU, once per module."""
    from lcreport.models import bert

    return bert.load_encoder("cpu")
