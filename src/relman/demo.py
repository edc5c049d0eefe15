"""A realistic git history around one of relman's example projects.

:func:`build_history` copies an example project into a new git repository
and gives it the history of a real project between two releases: several
authors (one under two e-mail addresses, fixed by a .mailmap), a merged pull
request ("Merge pull request #N from user/branch"), a squash-merged one
("Title (#N)") with a Co-authored-by trailer, a bot commit, an earlier release
tag and the ``.dev0`` tag NumPy puts at the start of development, and the
news fragments of the coming release. A bare repository beside it serves as
``origin``. ``relman demo`` and relman's tests use it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from relman.config import parse_toml
from relman.git import Repo

__all__ = ["AUTHORS", "DemoRepo", "build_history", "examples_dir"]

AUTHORS = {
    "ada": ("Ada Lovelace", "ada@example.org"),
    "bob": ("Bob Builder", "bob@example.org"),
    "bob-alias": ("bob", "12345+bob@users.noreply.github.com"),
    "carol": ("Carol Chen", "carol@example.org"),
    "dave": ("Dave Dev", "dave@example.org"),
    "bot": ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
}

MAILMAP = """\
# Names as they should appear in changelogs
Bob Builder <bob@example.org> bob <12345+bob@users.noreply.github.com>
"""

_START = 1788307200  # 2026-09-02 00:00:00 UTC: a fixed past so histories are reproducible


@dataclass(frozen=True)
class DemoRepo:
    path: Path
    remote: Path
    previous_release: str
    version: str
    repo: Repo


def examples_dir() -> Path:
    """The example projects: shipped inside the installed package, or a checkout's examples/."""
    here = Path(__file__).resolve()
    shipped = here.parent / "_examples"
    if (shipped / "purelib" / "pyproject.toml").is_file():
        return shipped
    for parent in here.parents:
        candidate = parent / "examples"
        if (candidate / "purelib" / "pyproject.toml").is_file():
            return candidate
    from relman.errors import UsageError

    raise UsageError(
        "the relman example projects were not found",
        hint="run from a relman source checkout (git clone), where examples/ exists",
    )


class _Clock:
    def __init__(self) -> None:
        self.now = _START

    def tick(self) -> Iterator[str]:
        self.now += 3 * 3600 + 17
        yield f"@{self.now} +0000"


def _commit(repo: Repo, who: str, message: str, clock: _Clock, *, committer: str = "ada") -> str:
    name, email = AUTHORS[who]
    cname, cemail = AUTHORS[committer]
    when = next(clock.tick())
    env = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_NAME": cname,
        "GIT_COMMITTER_EMAIL": cemail,
        "GIT_COMMITTER_DATE": when,
    }
    repo.git("commit", "-q", "--no-verify", "--no-gpg-sign", "-F", "-", input=message, env=env)
    return repo.head()


def _tag(repo: Repo, name: str, message: str, clock: _Clock) -> None:
    cname, cemail = AUTHORS["ada"]
    env = {
        "GIT_COMMITTER_NAME": cname,
        "GIT_COMMITTER_EMAIL": cemail,
        "GIT_COMMITTER_DATE": f"@{clock.now} +0000",
    }
    repo.git("tag", "-a", "--no-sign", "-F", "-", name, input=message, env=env)


def _set_version(root: Path, old: str, new: str) -> None:
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".toml") and ".git" not in path.parts:
            text = path.read_text(encoding="utf-8")
            if old in text:
                path.write_text(text.replace(f'"{old}"', f'"{new}"'), encoding="utf-8")


def build_history(example: str | Path, dest: Path, *, remote: bool = True) -> DemoRepo:
    """Create ``dest`` as a git repository with a realistic history of ``example``.

    ``example`` is an example name (``purelib``, ``cext``) or a folder.
    """
    src = Path(example) if Path(example).is_dir() else examples_dir() / str(example)
    data = parse_toml((src / "pyproject.toml").read_text(encoding="utf-8"), src / "pyproject.toml")
    version = str(data["project"]["version"])
    m = re.match(r"^(\d+)\.(\d+)\.0\.dev0$", version)
    if not m:
        raise ValueError(f"example version {version} is not X.Y.0.dev0")
    major, minor = int(m.group(1)), int(m.group(2))
    previous = f"{major}.{minor - 1}.0" if minor else f"{major - 1}.0.0"
    towncrier = data.get("tool", {}).get("towncrier", {})
    fragment_dir = towncrier.get("directory", "newsfragments")
    name = str(towncrier.get("name") or data["project"]["name"])

    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        src,
        dest,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(
            "__pycache__", "*.egg-info", "build", "dist", "*.so", ".pytest_cache"
        ),
    )
    fragments = sorted(
        p for p in (dest / fragment_dir).glob("*") if p.is_file() and re.match(r"^\d+\.", p.name)
    )
    held = {p: p.read_bytes() for p in fragments}
    for p in fragments:
        p.unlink()
    (dest / ".mailmap").write_text(MAILMAP, encoding="utf-8")
    (dest / ".gitignore").write_text(
        "__pycache__/\n*.egg-info/\nbuild/\ndist/\n*.so\n", encoding="utf-8"
    )
    _set_version(dest, version, previous)

    repo = Repo(dest)
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "commit.gpgsign", "false")
    clock = _Clock()
    readme = dest / "README.md"
    readme_text = readme.read_text(encoding="utf-8")
    readme.write_text(readme_text.split("\n\n")[0] + "\n", encoding="utf-8")
    repo.git("add", "-A")
    _commit(repo, "ada", f"Initial import of {name}", clock)
    readme.write_text(readme_text, encoding="utf-8")
    repo.git("add", "-A")
    _commit(repo, "bob", "DOC: describe the package in the README", clock)
    _tag(repo, f"v{previous}", f"{name} {previous} release", clock)

    _set_version(dest, previous, version)
    repo.git("add", "-A")
    _commit(repo, "ada", f"REL: prepare {major}.{minor}.0 for development", clock)
    _tag(repo, f"v{version}", f"Start of {major}.{minor}.0 development", clock)

    plan = list(held.items())
    # first fragment: a merged pull request from a branch, by Bob under his GitHub address
    if plan:
        path, content = plan[0]
        number = path.name.split(".")[0]
        repo.git("checkout", "-q", "-b", "bob/feature")
        path.write_bytes(content)
        repo.git("add", "-A")
        _commit(
            repo,
            "bob-alias",
            f"ENH: {path.stem.split('.')[1].replace('_', ' ')} from #{number}",
            clock,
            committer="bob-alias",
        )
        repo.git("checkout", "-q", "main")
        when = next(clock.tick())
        repo.git(
            "merge",
            "-q",
            "--no-ff",
            "--no-edit",
            "--no-gpg-sign",
            "-m",
            f"Merge pull request #{number} from bob/feature\n\nENH: the change described in {path.name}",
            "bob/feature",
            env={
                "GIT_COMMITTER_DATE": when,
                "GIT_AUTHOR_DATE": when,
                "GIT_AUTHOR_NAME": AUTHORS["ada"][0],
                "GIT_AUTHOR_EMAIL": AUTHORS["ada"][1],
                "GIT_COMMITTER_NAME": AUTHORS["ada"][0],
                "GIT_COMMITTER_EMAIL": AUTHORS["ada"][1],
            },
        )
        repo.git("branch", "-q", "-D", "bob/feature")
    # second: a squash merge by a first-time contributor, with a co-author
    if len(plan) > 1:
        path, content = plan[1]
        number = path.name.split(".")[0]
        path.write_bytes(content)
        repo.git("add", "-A")
        _commit(
            repo,
            "carol",
            f"BUG: fix the behaviour described in {path.name} (#{number})\n\n"
            f"Co-authored-by: {AUTHORS['dave'][0]} <{AUTHORS['dave'][1]}>\n",
            clock,
        )
    # a bot's pull request
    ci = dest / ".github" / "workflows" / "tests.yml"
    ci.parent.mkdir(parents=True, exist_ok=True)
    ci.write_text(
        "name: tests\non: [push, pull_request]\njobs: {}\n# actions/checkout@v5\n", encoding="utf-8"
    )
    repo.git("add", "-A")
    _commit(repo, "bot", "MAINT: Bump actions/checkout from 4 to 5 (#16)", clock)
    # the rest: squash merges by the maintainer
    for path, content in plan[2:]:
        number = path.name.split(".")[0]
        path.write_bytes(content)
        repo.git("add", "-A")
        _commit(repo, "ada", f"MAINT: change described in {path.name} (#{number})", clock)

    origin = dest.parent / f"{dest.name}-origin.git"
    if remote:
        Repo(dest.parent).git("init", "-q", "--bare", str(origin)) if not origin.exists() else None
        repo.git("remote", "add", "origin", str(origin))
        repo.git("push", "-q", "origin", "main", "--tags")
        repo.git("branch", "-q", "--set-upstream-to=origin/main", "main")
        repo.git("remote", "set-head", "origin", "main")
    return DemoRepo(dest, origin, previous, version, repo)
