"""Helpers shared by relman's tests: real git repositories, real tools."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from relman.demo import AUTHORS, DemoRepo
from relman.git import Repo

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def shared_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]
) -> Path:
    """A folder filled once for the whole test run by ``make(folder)``, then only read.

    With pytest-xdist every worker asks for it; the first one makes it (under a
    file lock in the run's base temporary folder) and the others wait for it and
    use the same folder.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of this run
    folder = root / f"shared-{name}"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".complete").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            (folder / ".complete").touch()
    return folder


def copy_demo(template: DemoRepo, parent: Path) -> DemoRepo:
    """A copy of a demo repository and its bare origin in ``parent`` (same names)."""
    path, remote = parent / template.path.name, parent / template.remote.name
    shutil.copytree(template.path, path, symlinks=True)
    shutil.copytree(template.remote, remote, symlinks=True)
    subprocess.run(["git", "config", "remote.origin.url", str(remote)], cwd=path, check=True)
    return DemoRepo(path, remote, template.previous_release, template.version, Repo(path))


def run_relman(
    *args: str,
    cwd: Path | str,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run the real `relman` command line in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "relman", *args],
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class GitRepo:
    """A real git repository in a temporary folder, with helpers to make history."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self._tick = 1788307200
        if not (path / ".git").exists():
            self.git("init", "-q", "-b", "main")

    def git(
        self, *args: str, env: Mapping[str, str] | None = None, input: str | None = None
    ) -> str:
        out = subprocess.run(
            ["git", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **(env or {})},
            input=input,
        )
        if out.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {out.stderr}")
        return out.stdout.strip()

    def write(self, files: Mapping[str, str | bytes]) -> None:
        for name, content in files.items():
            p = self.path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8")

    def _env(self, author: str | tuple[str, str]) -> dict[str, str]:
        name, email = AUTHORS[author] if isinstance(author, str) else author
        self._tick += 3600
        when = f"@{self._tick} +0000"
        return {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": when,
        }

    def commit(
        self,
        message: str,
        files: Mapping[str, str | bytes] | None = None,
        *,
        author: str | tuple[str, str] = "ada",
        remove: Sequence[str] = (),
    ) -> str:
        """Write ``files``, remove ``remove``, and commit everything as ``author``."""
        if files:
            self.write(files)
        for name in remove:
            self.git("rm", "-q", name)
        self.git("add", "-A")
        self.git(
            "commit",
            "-q",
            "--allow-empty",
            "--no-gpg-sign",
            "-F",
            "-",
            env=self._env(author),
            input=message,
        )
        return self.head()

    def merge(self, branch: str, message: str, *, author: str | tuple[str, str] = "ada") -> str:
        self.git(
            "merge", "-q", "--no-ff", "--no-gpg-sign", "-m", message, branch, env=self._env(author)
        )
        return self.head()

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("branch", name, start)

    def checkout(self, name: str, *, create: bool = False) -> None:
        self.git("checkout", "-q", *(["-b"] if create else []), name)

    def tag(self, name: str, message: str | None = None, rev: str = "HEAD") -> None:
        if message is None:
            self.git("tag", name, rev)
        else:
            self.git("tag", "-a", "--no-sign", "-m", message, name, rev, env=self._env("ada"))

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def status(self) -> str:
        return self.git("status", "--porcelain")


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file below ``path`` (except .git internals) with its bytes."""
    out = {}
    for p in sorted(path.rglob("*")):
        if p.is_file() and ".git" not in p.relative_to(path).parts:
            out[str(p.relative_to(path))] = p.read_bytes()
    return out


def refs(path: Path) -> str:
    """Every ref of the repository at ``path`` with the object it names."""
    return subprocess.run(
        ["git", "for-each-ref", "--format=%(refname) %(objectname)"],
        cwd=path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
