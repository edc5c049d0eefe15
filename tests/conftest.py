"""Fixtures every test can use.

Every test runs isolated: its own HOME, git configuration (with an identity),
GNUPGHOME, no colour, and no pip configuration from the machine
(PIP_CONFIG_FILE=/dev/null, other PIP_* variables removed). Package caches are
shared between tests so that builds and environments stay fast, each example's
demo history is built once for the run and copied for every test that asks for
it, and relman's modules are compiled to bytecode once for all the ``relman``
processes the tests start.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from relman.demo import DemoRepo, build_history
from relman.git import Repo
from tests.helpers import EXAMPLES, GitRepo, copy_demo, shared_once
from tests.indexserver import FaultProxy, IndexServer, Rule, start_pypiserver

_REAL_HOME = Path(os.path.expanduser("~"))
T = TypeVar("T")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile relman's modules to bytecode once, as installing a package does.

    The tests start the real ``relman`` command hundreds of times. From an
    editable checkout where nothing wrote ``__pycache__`` (a fresh clone with
    PYTHONDONTWRITEBYTECODE set in the environment) each of those processes
    would compile every module it imports again (about a third of the CPU time
    of a typical command).
    """
    if not hasattr(session.config, "workerinput"):  # once, before the xdist workers start
        import compileall

        import relman

        compileall.compile_dir(Path(relman.__file__).parent, quiet=1)


# The modules whose tests take longest (whole releases, C builds, environments, servers,
# the CI linters), longest first, each with the rough seconds one of its tests takes on
# one worker (measured with --durations; only their order and proportions matter).
# They run before every other module, so that the long tests start early and the
# short ones fill in at the end, instead of one worker finishing a long test alone.
LONGEST_FIRST = {
    "test_release_cycle.py": 60.0,
    "test_release_ci_e2e.py": 20.0,
    "test_secrets.py": 9.0,
    "test_release_e2e.py": 9.0,
    "test_devpi.py": 8.0,
    "test_ci_workflow.py": 5.0,
    "test_release_kinds.py": 3.0,
    "test_verify.py": 2.7,
    "test_notes_differential.py": 2.0,
    "test_fuzz.py": 2.0,
    "test_hardening.py": 0.8,
    "test_artifacts.py": 0.7,
}
# Modules whose tests share a module-scoped server or fixture: one worker runs them all.
KEEP_TOGETHER = frozenset({"test_devpi.py", "test_notes_differential.py"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long modules first; with xdist's worksteal, long tests at the front of every worker.

    worksteal gives each of the N workers one contiguous N-th of the items, and a
    worker that has run out takes the second half of the longest queue left. So
    the long tests are dealt out among the fronts of those N parts (each to the
    part with the least work so far, a module of KEEP_TOGETHER as one piece), and
    the short ones fill every part up to its size: every worker starts on long
    tests, and what is taken from the back of a queue, and run last, is short.
    Every worker computes the same order (from the same collection and count).
    The order inside each module stays as written.
    """
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable
    # (in a worker, xdist has set the dist option to "no": the order is made for
    # worksteal, the README's mode, and other modes run the same tests in it)
    workerinput = getattr(config, "workerinput", None)
    workers = int(workerinput["workercount"]) if workerinput else 1
    if workers > 1:
        items[:] = _dealt(items, workers)


def _dealt(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """``items`` (long modules first) ordered so that each of worksteal's ``workers``
    contiguous parts starts with its share of the long tests."""
    pieces: list[list[pytest.Item]] = []
    short: list[pytest.Item] = []
    for item in items:
        name = item.path.name
        if name not in LONGEST_FIRST:
            short.append(item)
        elif name in KEEP_TOGETHER and pieces and pieces[-1][0].path.name == name:
            pieces[-1].append(item)
        else:
            pieces.append([item])
    fronts: list[list[pytest.Item]] = [[] for _ in range(workers)]
    work = [0.0] * workers
    for piece in pieces:
        i = work.index(min(work))
        fronts[i] += piece
        work[i] += LONGEST_FIRST[piece[0].path.name] * len(piece)
    # worksteal's first distribution: worker k gets len(left) // (workers - k) of the items left
    out: list[pytest.Item] = []
    left = len(items)
    for k, front in enumerate(fronts):
        size = left // (workers - k)
        left -= size
        if len(front) > size:
            return items  # more long tests than a part holds: keep the plain order
        out += front
        out += short[: size - len(front)]
        del short[: size - len(front)]
    return out


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


@pytest.fixture(scope="session")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, Path], DemoRepo]:
    """Factory: ``demo_copy(name, parent)`` gives ``parent/<name>`` (and its bare origin
    ``parent/<name>-origin.git``) as :func:`relman.demo.build_history` makes them.

    Each example's history is built once for the run (its commits are identical
    every time: the dates are fixed) and copied for each test; the copy's origin
    is its own copy of the bare repository.
    """
    templates: dict[str, DemoRepo] = {}

    def build(name: str, where: Path) -> None:
        demo = _in_fixture_env(where, lambda: build_history(EXAMPLES / name, where / name))
        (where / "demo.json").write_text(
            json.dumps({"previous_release": demo.previous_release, "version": demo.version})
        )

    def make(name: str, parent: Path) -> DemoRepo:
        if name not in templates:
            folder = shared_once(tmp_path_factory, f"demo-{name}", lambda w: build(name, w))
            meta = json.loads((folder / "demo.json").read_text())
            path = folder / name
            templates[name] = DemoRepo(
                path,
                folder / f"{name}-origin.git",
                meta["previous_release"],
                meta["version"],
                Repo(path),
            )
        return copy_demo(templates[name], parent)

    return make


@pytest.fixture
def example_repo(
    tmp_path: Path, demo_copy: Callable[[str, Path], DemoRepo]
) -> Callable[[str], DemoRepo]:
    """Copy examples/<name> into a git repository with a realistic history."""

    def make(name: str) -> DemoRepo:
        return demo_copy(name, tmp_path)

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


def _in_fixture_env(root: Path, make: Callable[[], T]) -> T:
    """Run ``make()`` with the isolation every test has (a HOME and git identity under
    ``root``, no machine configuration), for fixtures made once for the run."""
    home = root / "home"
    home.mkdir(exist_ok=True)
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
        return make()


def _build_example(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    demo_copy: Callable[[str, Path], DemoRepo],
) -> BuiltExample:
    from relman.artifacts import build_artifacts
    from relman.project import load_config

    root = tmp_path_factory.mktemp(f"built-{name}")

    def build() -> BuiltExample:
        demo = demo_copy(name, root)
        files = build_artifacts(load_config(demo.path), demo.repo, outdir=root / "dist")
        return BuiltExample(demo, root / "dist", tuple(files), demo.version)

    return _in_fixture_env(root, build)


@pytest.fixture(scope="session")
def built_purelib(
    tmp_path_factory: pytest.TempPathFactory, demo_copy: Callable[[str, Path], DemoRepo]
) -> BuiltExample:
    """examples/purelib at its demo HEAD, sdist and wheel built once (do not modify)."""
    return _build_example(tmp_path_factory, "purelib", demo_copy)


@pytest.fixture(scope="session")
def built_cext(
    tmp_path_factory: pytest.TempPathFactory, demo_copy: Callable[[str, Path], DemoRepo]
) -> BuiltExample:
    """examples/cext (C extension) at its demo HEAD, built once (do not modify)."""
    return _build_example(tmp_path_factory, "cext", demo_copy)


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
