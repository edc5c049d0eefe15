"""Fixtures every test can use.

Every test runs isolated: its own HOME, git configuration (with an identity),
GNUPGHOME, no colour, and no pip configuration from the machine
(PIP_CONFIG_FILE=/dev/null, other PIP_* variables removed). Package caches are
shared between tests so that builds and environments stay fast.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from relman.demo import DemoRepo, build_history
from tests.helpers import EXAMPLES, GitRepo
from tests.indexserver import FaultProxy, IndexServer, Rule, start_pypiserver

_REAL_HOME = Path(os.path.expanduser("~"))


@pytest.fixture(autouse=True)
def isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("home")
    gnupg = home / ".gnupg"
    gnupg.mkdir(mode=0o700)
    for var in list(os.environ):
        if var.startswith(("PIP_", "RELMAN_", "TWINE_", "GIT_", "UV_", "GITHUB_", "VIRTUAL_ENV")):
            monkeypatch.delenv(var, raising=False)
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Release Tester\n\temail = tester@example.org\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
        "[tag]\n\tgpgsign = false\n[advice]\n\tdetachedHead = false\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GNUPGHOME", str(gnupg))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    # shared download caches: the same packages for every test, fetched once
    monkeypatch.setenv("PIP_CACHE_DIR", str(_REAL_HOME / ".cache" / "pip"))
    monkeypatch.setenv("UV_CACHE_DIR", str(_REAL_HOME / ".cache" / "uv"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(_REAL_HOME / ".cache"))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    yield home
    # a test that signed or verified with gpg started a gpg-agent for this GNUPGHOME:
    # stop it, so no daemon outlives the test
    _stop_gpg_agent(gnupg)


def _stop_gpg_agent(gnupg: Path) -> None:
    import shutil

    if shutil.which("gpgconf") and any(gnupg.iterdir()):
        subprocess.run(
            ["gpgconf", "--kill", "all"],
            env={**os.environ, "GNUPGHOME": str(gnupg)},
            capture_output=True,
            check=False,
        )


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    """An empty real git repository on branch main."""
    return GitRepo(tmp_path / "repo")


@pytest.fixture
def example_repo(tmp_path: Path) -> Callable[[str], DemoRepo]:
    """Copy examples/<name> into a git repository with a realistic history."""

    def make(name: str) -> DemoRepo:
        return build_history(EXAMPLES / name, tmp_path / name)

    return make


@pytest.fixture
def gpg_key(isolated_env: Path) -> str:
    """A fresh ed25519 gpg signing key (no passphrase) in the test's GNUPGHOME."""
    subprocess.run(
        [
            "gpg",
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
            "Release Tester <tester@example.org>",
            "ed25519",
            "sign",
            "never",
        ],
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        ["gpg", "--batch", "--with-colons", "--list-secret-keys"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    fpr = next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))
    return fpr


@pytest.fixture
def ssh_key(tmp_path: Path) -> Path:
    """A fresh ed25519 ssh key pair without passphrase; returns the private key path."""
    key = tmp_path / "ssh" / "id_ed25519"
    key.parent.mkdir()
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tester@example.org", "-f", str(key)],
        check=True,
    )
    return key


@pytest.fixture(scope="session")
def examples() -> Path:
    return EXAMPLES


@pytest.fixture
def chdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    yield lambda p: monkeypatch.chdir(p)


# -- artifacts: each example built once per session ---------------------------


@dataclass(frozen=True)
class BuiltExample:
    """An example project in a demo git repository, built once for the session."""

    demo: DemoRepo
    dist: Path
    files: tuple[Path, ...]
    version: str

    @property
    def sdist(self) -> Path:
        return next(f for f in self.files if f.name.endswith(".tar.gz"))

    @property
    def wheel(self) -> Path:
        return next(f for f in self.files if f.name.endswith(".whl"))


def _build_example(tmp_path_factory: pytest.TempPathFactory, name: str) -> BuiltExample:
    from relman.artifacts import build_artifacts
    from relman.project import load_config

    root = tmp_path_factory.mktemp(f"built-{name}")
    home = root / "home"
    home.mkdir()
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Release Tester\n\temail = tester@example.org\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n",
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as mp:
        for var in list(os.environ):
            if var.startswith(("PIP_", "UV_", "GIT_", "RELMAN_", "VIRTUAL_ENV")):
                mp.delenv(var, raising=False)
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.setenv("PIP_CONFIG_FILE", os.devnull)
        mp.setenv("PIP_CACHE_DIR", str(_REAL_HOME / ".cache" / "pip"))
        mp.setenv("UV_CACHE_DIR", str(_REAL_HOME / ".cache" / "uv"))
        demo = build_history(EXAMPLES / name, root / name)
        config = load_config(demo.path)
        files = build_artifacts(config, demo.repo, outdir=root / "dist")
    return BuiltExample(demo, root / "dist", tuple(files), demo.version)


@pytest.fixture(scope="session")
def built_purelib(tmp_path_factory: pytest.TempPathFactory) -> BuiltExample:
    """examples/purelib at its demo HEAD, sdist and wheel built once (do not modify)."""
    return _build_example(tmp_path_factory, "purelib")


@pytest.fixture(scope="session")
def built_cext(tmp_path_factory: pytest.TempPathFactory) -> BuiltExample:
    """examples/cext (C extension) at its demo HEAD, built once (do not modify)."""
    return _build_example(tmp_path_factory, "cext")


# -- package index -------------------------------------------------------------
# A real pypiserver on 127.0.0.1 (htpasswd: user __token__, password INDEX_TOKEN),
# a fault-injecting loopback proxy, and wheels/sdists made without a build.
# See tests/indexserver.py.

INDEX_TOKEN = "relman-test-token-7f3a9c-DO-NOT-LEAK"


@pytest.fixture
def pypiserver(tmp_path: Path) -> Iterator[IndexServer]:
    """A fresh, empty pypiserver; uploads need user __token__ with INDEX_TOKEN."""
    server = start_pypiserver(tmp_path / "pypiserver", username="__token__", password=INDEX_TOKEN)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fault_proxy() -> Iterator[Callable[..., FaultProxy]]:
    """Factory: FaultProxy(upstream_url, rule=None, latency=0.0), closed after the test."""
    made: list[FaultProxy] = []

    def make(upstream: str, rule: Rule | None = None, *, latency: float = 0.0) -> FaultProxy:
        proxy = FaultProxy(upstream, rule, latency=latency)
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.close()
