import pytest
import torch

from lcreport.device import DeviceUnavailableError, resolve_device
from lcreport.profiles import PROFILE_OVERRIDE_VAR, PROFILES, UnknownProfileError, get_profile, requested_profile


def test_three_profiles_in_one_table():
    assert list(PROFILES) == ["smoke", "cpu", "gpu"]


def test_unknown_profile_names_the_valid_choices():
    with pytest.raises(UnknownProfileError, match="smoke, cpu, gpu"):
        get_profile("laptop")


def test_the_parameter_decides_unless_the_override_is_set(monkeypatch):
    monkeypatch.delenv(PROFILE_OVERRIDE_VAR, raising=False)
    assert requested_profile("gpu") == "gpu"
    monkeypatch.setenv(PROFILE_OVERRIDE_VAR, "smoke")  # how nbval reaches the smoke profile
    assert requested_profile("cpu") == "smoke"


def test_chapter_start_resolves_the_profile_once_into_frozen_objects(monkeypatch):
    import dataclasses

    from lcreport.notebook import start_chapter

    monkeypatch.setenv(PROFILE_OVERRIDE_VAR, "smoke")
    run = start_chapter("demo", "cpu", "cpu", seed=1)
    assert run.profile is PROFILES["smoke"] and run.device == torch.device("cpu")
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.profile.search.population = 1


def test_search_settings_bound_the_evaluations():
    s = PROFILES["cpu"].search
    assert s.evaluations_bound == s.population + s.generations * (s.mutations + s.crossovers)


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
