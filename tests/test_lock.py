"""requirements.lock (pip-compile --generate-hashes) agrees with the pins of pyproject.toml."""

import re
import tomllib

from lcreport.paths import ROOT


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text()
    entries = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)", text, re.M)
    for name, version, hashes in entries:
        assert hashes, f"{name}=={version} has no hash"
    return {normal(name): version for name, version, _ in entries}


def project_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    pins = {}
    for dep in deps:
        name, _, version = dep.partition("==")
        assert version, f"{dep}: every dependency of pyproject.toml is pinned"
        pins[normal(name)] = version
    return pins


def test_every_pin_of_pyproject_is_locked_at_the_same_version():
    locked = lock_pins()
    for name, version in project_pins().items():
        assert name in locked, f"{name} is not in requirements.lock: regenerate it (README)"
        assert locked[name].split("+")[0] == version, f"{name}: pyproject {version}, lock {locked[name]}"


def test_torch_is_locked_to_the_cpu_wheel():
    assert lock_pins()["torch"].endswith("+cpu")
