import pytest
import torch

from lcreport.device import DeviceUnavailableError, resolve_device
from lcreport.profiles import PROFILES, UnknownProfileError, get_profile


def test_three_profiles_in_one_table():
    assert list(PROFILES) == ["smoke", "cpu", "gpu"]


def test_unknown_profile_names_the_valid_choices():
    with pytest.raises(UnknownProfileError, match="smoke, cpu, gpu"):
        get_profile("laptop")


def test_profile_falls_back_to_the_environment(monkeypatch):
    monkeypatch.setenv("LCREPORT_PROFILE", "smoke")
    assert get_profile().name == "smoke"
    monkeypatch.delenv("LCREPORT_PROFILE")
    assert get_profile().name == "cpu"


def test_smoke_is_smaller_than_cpu_is_smaller_than_gpu():
    s, c, g = (PROFILES[k] for k in ("smoke", "cpu", "gpu"))
    assert max(s.attention_lengths) < max(c.attention_lengths) < max(g.attention_lengths)


def test_auto_device_follows_the_hardware():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_asking_for_a_missing_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        assert resolve_device("cuda").type == "cuda"
    else:
        with pytest.raises(DeviceUnavailableError, match="no CUDA GPU"):
            resolve_device("cuda")


def test_unknown_device_is_rejected():
    with pytest.raises(ValueError, match="auto, cpu, cuda"):
        resolve_device("tpu")
