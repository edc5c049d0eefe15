"""The only module that runs git.

:class:`Repo` offers verbs (``tags()``, ``log()``, ``create_tag()``) instead of
strings of arguments spread through the code. Every call goes through
:func:`relman._proc.run` with ``LC_ALL=C`` so that output can be parsed, and
with the user's configuration otherwise untouched (signing keys, mailmap,
hooks all behave as the user set them).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast

from relman import _cache, _proc, _report
from relman._record import record as _record
from relman._spawn import FS as _FS  # the separators of log records (never in commit data)
from relman._spawn import (
    LOG_ENV,
    REFS_ARGV,
    TAGS_ARGV,
    TOPLEVEL_ARGV,
    TREE_ARGV,
    Spawned,
    git_env,
    log_argv,
    take_early,
)
from relman._spawn import RS as _RS
from relman.errors import CommandError, NotARepository, UsageError

__all__ = [
    "Commit",
    "LogRecord",
    "Ref",
    "Repo",
    "StatusEntry",
    "find_repo",
    "reading",
    "remembered",
]


@_record(kw_only=False)
class Commit:
    """One commit as :meth:`Repo.log` reads it."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    timestamp: int
    subject: str
    body: str

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


class LogRecord(NamedTuple):
    """One commit as the history verbs read it (names and e-mails mailmapped).

    A named tuple, not a dataclass: a history pass makes one per commit. The
    e-mail and raw fields are empty when the pass did not read them.
    """

    sha: str
    parents: tuple[str, ...]
    name: str  # %aN: the author's name through the mailmap
    email: str  # %aE
    raw_name: str  # %an: as recorded in the commit
    raw_email: str  # %ae
    subject: str
    co_authors: tuple[str, ...]  # raw Co-authored-by values ("Name <email>")
    body: str


@_record(kw_only=False)
class StatusEntry:
    """One path of ``git status``."""

    code: str  # two-letter porcelain code, "??" for untracked
    path: str


def _status_entries(raw: str) -> list[StatusEntry]:
    """``git status --porcelain=v1 -z`` read into entries."""
    entries: list[StatusEntry] = []
    items = iter(raw.split("\0"))
    for item in items:
        if not item:
            continue
        code, path = item[:2], item[3:]
        if code[0] in "RC":
            next(items, None)  # the rename source follows
        entries.append(StatusEntry(code, path))
    return entries


class Ref(NamedTuple):
    """A branch or remote-tracking ref as :meth:`Repo.refs` reads it."""

    name: str  # refs/heads/main
    short: str  # main (%(refname:short): "heads/main" where a tag main exists too)
    target: str  # what a symbolic ref points at (refs/remotes/origin/HEAD), else ""
    head: bool  # HEAD is on this branch
    object: str  # the object it points at
    kind: str  # that object's type (commit)


# (cwd, argv, check) -> the finished call, and what callers derived from the answers
# (see remembered()), while a read-only command runs (see reading())
_ANSWERS: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar(
    "relman_git_answers", default=None
)

T = TypeVar("T")


def remembered(key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()``, once per ``key`` within :func:`reading` (every time outside it).

    For what a caller derives from git's answers alone (the parsed tags, the
    release tags of a tag format), so a read-only command derives it once. A
    thread that asks while another computes the same key waits for that answer
    (``relman status`` reads the tags in two threads at once).
    """
    answers = _ANSWERS.get()
    if answers is None:
        return compute()
    full = ("derived", *key)
    if full not in answers:
        with _computing(answers, full):
            if full not in answers:
                answers[full] = compute()
    return cast(T, answers[full])


_LOCKS = threading.Lock()


def _computing(answers: dict[tuple[Any, ...], Any], key: tuple[Any, ...]) -> threading.Lock:
    """The lock held while ``key`` of ``answers`` is computed (one per key)."""
    where = ("lock", *key)
    with _LOCKS:
        lock = answers.get(where)
        if lock is None:
            lock = answers[where] = threading.Lock()
    return cast(threading.Lock, lock)


@contextmanager
def reading() -> Iterator[None]:
    """Within this block the repository does not change: git is asked each question once.

    A read-only command (``relman check``, ``relman status``) runs inside it, so
    the callers that each need HEAD, the tags or the branch share one git call
    for each; a call with input or extra environment is always run.
    """
    token = _ANSWERS.set({})
    try:
        yield
    finally:
        _ANSWERS.reset(token)


def _run(
    args: Sequence[str],
    *,
    cwd: str | os.PathLike[str],
    env: dict[str, str] | None = None,
    input: str | bytes | None = None,
    check: bool = True,
    text: bool = True,
    what: str | None = None,
) -> _proc.Completed:
    """:func:`relman._proc.run` for git, answered from :func:`reading`'s memory when it can."""
    answers = _ANSWERS.get()
    key = (os.fspath(cwd), tuple(args), check)
    if answers is not None and env is None and input is None and text:
        known = answers.get(key)
        if isinstance(known, _proc.Completed):
            return known
        early = take_early(key)
        known = _early_answer(early, check) if early is not None else None
        if known is not None:
            answers[key] = known
            return known
    out = _proc.run(args, cwd=cwd, env=git_env(env), input=input, check=check, text=text, what=what)
    if answers is not None and env is None and input is None and text:
        answers[key] = out
    return out


def _fingerprint(tags: dict[str, str]) -> bytes:
    return "".join([f"\0{name}\0{tags[name]}" for name in sorted(tags)]).encode()


def _early_answer(early: Spawned, check: bool) -> _proc.Completed | None:
    """The answer of a call the CLI started early, as :func:`relman._proc.run` would give
    it; None when that call must run again instead: it failed where the caller checks,
    or said something other than ASCII (which run decodes with the locale's encoding,
    and whose line ends it translates)."""
    stdout = "".join(early.chunks())
    returncode, stderr = early.close()
    said = stdout + stderr
    if (check and returncode != 0) or not said.isascii() or "\r" in said:
        return None
    return _proc.Completed(early.argv, returncode, stdout, stderr)


def _answered(cwd: str | os.PathLike[str], args: Sequence[str]) -> _proc.Completed | None:
    """What git already answered to ``args`` (with ``check``) within :func:`reading`."""
    answers = _ANSWERS.get()
    known = None if answers is None else answers.get((os.fspath(cwd), tuple(args), True))
    return known if isinstance(known, _proc.Completed) else None


def find_repo(path: str | os.PathLike[str]) -> Repo:
    """The repository that contains ``path``; :class:`NotARepository` otherwise.

    The same git call answers the git directory (:attr:`Repo.git_dir`), which
    the caches and the release state live in, and whether the clone is shallow
    (:meth:`Repo.is_shallow` within :func:`reading`).
    """
    path = Path(path).resolve()
    try:
        out = _run(list(TOPLEVEL_ARGV), cwd=path, what="git rev-parse")
    except CommandError as exc:
        if "not a git repository" in exc.stderr.lower():
            raise NotARepository(
                f"{path} is not inside a git repository",
                hint="run relman inside a git checkout, or pass --project DIR",
            ) from None
        if "must be run in a work tree" in exc.stderr.lower():
            raise NotARepository(
                f"{path} is inside a bare git repository: it has no working tree to release from",
                hint="run relman in a clone with a working tree (git clone, or git worktree add)",
            ) from None
        if "dubious ownership" in exc.stderr.lower():
            # a checkout owned by another user (a container, a CI mount)
            advice = [ln.strip() for ln in exc.stderr.splitlines() if "safe.directory" in ln]
            raise NotARepository(
                f"git refuses to work in {path}: the repository is owned by another user",
                hint=advice[-1] if advice else "git config --global --add safe.directory <repo>",
            ) from None
        raise
    top, git_dir, shallow = (*out.stdout.strip().split("\n"), "", "")[:3]
    repo = Repo(Path(top))
    if git_dir:
        repo.__dict__["git_dir"] = Path(git_dir)  # what Repo.git_dir would ask
    if shallow in ("true", "false"):
        repo._shallow = shallow == "true"
    return repo


class Repo:
    """A git working tree."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._shallow: bool | None = None  # as find_repo's call answered it

    def __repr__(self) -> str:
        return f"Repo({str(self.root)!r})"

    # -- plumbing -----------------------------------------------------------
    def git(
        self,
        *args: str,
        check: bool = True,
        input: str | None = None,
        env: dict[str, str] | None = None,
        what: str | None = None,
        strip: bool = True,
    ) -> str:
        out = _run(
            ["git", *args],
            cwd=self.root,
            env=env,
            input=input,
            check=check,
            what=what or f"git {args[0]}",
        )
        return out.stdout.strip() if strip else out.stdout

    def git_ok(self, *args: str) -> bool:
        """True when the git command exits 0."""
        out = _run(["git", *args], cwd=self.root, check=False)
        return out.returncode == 0

    @cached_property
    def git_dir(self) -> Path:
        """The repository's git directory (absolute; the common one for worktrees)."""
        return Path(self.git("rev-parse", "--path-format=absolute", "--git-common-dir"))

    @cached_property
    def own_git_dir(self) -> Path:
        """This worktree's own git directory (its index, MERGE_HEAD, rebase state)."""
        return Path(self.git("rev-parse", "--path-format=absolute", "--git-dir"))

    # -- state --------------------------------------------------------------
    _OPERATIONS = (
        ("MERGE_HEAD", "a merge", "git merge --continue or git merge --abort"),
        ("CHERRY_PICK_HEAD", "a cherry-pick", "git cherry-pick --continue or --abort"),
        ("REVERT_HEAD", "a revert", "git revert --continue or --abort"),
        ("rebase-merge", "a rebase", "git rebase --continue or git rebase --abort"),
        ("rebase-apply", "a rebase or git am", "git rebase --abort or git am --abort"),
    )

    def operation_in_progress(self) -> tuple[str, str] | None:
        """(what, how to finish it) for a merge, cherry-pick, revert or rebase under way."""
        own = self.own_git_dir
        for name, what, finish in self._OPERATIONS:
            if (own / name).exists():
                return what, finish
        return None

    @property
    def index_lock(self) -> Path:
        """``index.lock`` of this worktree (it exists while a git command writes the index)."""
        return self.own_git_dir / "index.lock"

    def index_lock_held(self) -> bool:
        """True when a running git process may hold :attr:`index_lock`.

        git takes the lock by creating the file, not with ``flock``, so this
        looks at the processes: a ``git`` whose working folder is in this
        repository, or any process with the file open. Without ``/proc`` it
        answers True (the lock is never removed blindly).
        """
        proc = Path("/proc")
        if not proc.is_dir():
            return True
        lock = str(self.index_lock)
        roots = (str(self.root.resolve()), str(self.own_git_dir), str(self.git_dir))
        for entry in proc.iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                name = (entry / "comm").read_text().strip()
                if name.startswith("git"):
                    cwd = os.readlink(entry / "cwd")
                    if any(cwd == r or cwd.startswith(r + os.sep) for r in roots):
                        return True
                for fd in (entry / "fd").iterdir():
                    if os.readlink(fd) == lock:
                        return True
            except OSError:
                continue
        return False

    def remote_unreachable(self, remote: str, *, timeout: float = 15.0) -> str | None:
        """Why ``remote`` cannot be reached now, or None when it answers.

        One ``git ls-remote`` asking for a single ref, bounded by ``timeout``
        seconds, never prompting (no terminal prompt; ssh in batch mode unless
        the user chose an ssh command).
        """
        extra = {"GIT_TERMINAL_PROMPT": "0"}
        if not any(os.environ.get(k) for k in ("GIT_SSH_COMMAND", "GIT_SSH")) and not (
            self.config_get("core.sshCommand")
        ):
            extra["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o ConnectTimeout=10"
        try:
            out = _proc.run(
                ["git", "ls-remote", remote, "HEAD"],
                cwd=self.root,
                env=git_env(extra),
                check=False,
                timeout=timeout,
            )
        except CommandError:
            return f"no answer within {timeout:g} seconds"
        if out.returncode == 0:
            return None
        lines = [ln.strip() for ln in out.stderr.splitlines() if ln.strip()]
        fatal = [ln for ln in lines if ln.startswith("fatal:")]
        return (fatal or lines or [f"git ls-remote exited {out.returncode}"])[0]

    def remote_has_tag(self, remote: str, tag: str) -> bool:
        """True when ``remote`` has the tag (one ``git ls-remote``; False when unreachable)."""
        out = _run(
            ["git", "ls-remote", "--tags", remote, f"refs/tags/{tag}"],
            cwd=self.root,
            check=False,
        )
        return out.returncode == 0 and bool(out.stdout.strip())

    def check_can_commit(self) -> None:
        """Refuse (before anything is written) when git could not make a clean commit."""
        if not self.has_commits():
            raise UsageError(
                f"the repository {self.root} has no commits yet",
                hint="make the first commit, then run relman again",
            )
        busy = self.operation_in_progress()
        if busy is not None:
            what, finish = busy
            raise UsageError(
                f"{what} is in progress in {self.root}: relman will not commit in the middle of it",
                hint=f"finish it first ({finish})",
            )
        if any(
            e.code[0] == "U" or e.code[1] == "U" or e.code in ("AA", "DD")
            for e in self.status(untracked=False)
        ):
            raise UsageError(
                "the index has unmerged paths: relman will not commit over a conflict",
                hint="resolve the conflicts and commit them, or reset",
            )
        if self.index_lock.exists():
            raise UsageError(
                f"git's index is locked: {self.index_lock} exists",
                hint="another git command is running, or one was killed: when no git process "
                f"is running in this repository, remove {self.index_lock}",
            )

    def head(self) -> str:
        sha = self.rev_parse("HEAD")
        # no commit yet: git's own error
        return sha or self.git("rev-parse", "HEAD", what="git rev-parse HEAD")

    def has_commits(self) -> bool:
        return self.rev_parse("HEAD") is not None

    def rev_parse(self, rev: str) -> str | None:
        """Full sha of ``rev`` (peeled to a commit), or None when it does not exist."""
        if rev == "HEAD":
            branch = self._head_branch()
            if branch is not None and branch.kind == "commit":
                return branch.object
        out = _run(
            ["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
            cwd=self.root,
            check=False,
        )
        return out.stdout.strip() if out.returncode == 0 else None

    def current_branch(self) -> str | None:
        """The checked-out branch, or None on a detached HEAD."""
        branch = self._head_branch()
        if branch is not None:
            return branch.short
        out = _run(
            ["git", "symbolic-ref", "--quiet", "--short", "HEAD"],
            cwd=self.root,
            check=False,
        )
        return out.stdout.strip() or None if out.returncode == 0 else None

    def _head_branch(self) -> Ref | None:
        """Within :func:`reading`, the branch HEAD is on, from :meth:`refs` (no git call
        of its own); None elsewhere, and where :meth:`refs` cannot tell (a detached or
        unborn HEAD, a short name git had to disambiguate): the caller asks git."""
        if _ANSWERS.get() is None:
            return None
        for ref in self.refs():
            if ref.head:
                # for-each-ref shortens strictly, symbolic-ref --short leniently: they
                # agree whenever the strict short name is the plain branch name
                plain = ref.name.startswith("refs/heads/") and ref.short == ref.name[11:]
                return ref if plain else None
        return None

    def status(self, *, untracked: bool = True) -> list[StatusEntry]:
        args = ["status", "--porcelain=v1", "-z"]
        if not untracked:
            every = _answered(self.root, TREE_ARGV)
            if every is not None and all(e.code == "??" for e in _status_entries(every.stdout)):
                # nothing but untracked files (or nothing at all): the tracked files are
                # clean (-uno only ever shows less: a submodule's untracked content too)
                return []
        args.append("--untracked-files=all" if untracked else "--untracked-files=no")
        return _status_entries(self.git(*args, strip=False))

    def is_dirty(self, *, untracked: bool = True) -> bool:
        return bool(self.status(untracked=untracked))

    def config_get(self, key: str) -> str | None:
        out = _run(["git", "config", "--get", key], cwd=self.root, check=False)
        return out.stdout.strip() if out.returncode == 0 else None

    # -- refs ---------------------------------------------------------------
    def refs(self) -> list[Ref]:
        """Every branch and remote-tracking ref (``refs/heads``, ``refs/remotes``), in
        git's order, from one ``git for-each-ref``: the branches, the remote branches,
        the remotes' HEADs and, within :func:`reading`, the branch HEAD is on and its
        commit all come from this one answer."""
        return list(remembered(("refs", os.fspath(self.root)), self._read_refs))

    def _read_refs(self) -> list[Ref]:
        raw = self.git(*REFS_ARGV[1:])
        out = []
        for line in raw.split("\n"):
            fields = line.split("\t")
            if len(fields) == 6:
                name, short, target, head, obj, kind = fields
                out.append(Ref(name, short, target, head == "*", obj, kind))
        return out

    def tags(self) -> dict[str, str]:
        """Every tag name mapped to the commit it points at (annotated tags peeled).

        ``git show-ref --dereference`` reads the refs without opening a tag object
        per tag as ``for-each-ref``'s ``%(*objectname)`` does: on thousands of tags
        it is several times faster.
        """
        return dict(remembered(("tags", os.fspath(self.root)), self._read_tags))

    def tags_fingerprint(self) -> bytes:
        """:meth:`tags` as bytes to digest (every name and commit, in name order): what
        the answers remembered for a set of tags are keyed by (made once in
        :func:`reading`)."""
        return remembered(
            ("tags-fingerprint", os.fspath(self.root)), lambda: _fingerprint(self.tags())
        )

    def _read_tags(self) -> dict[str, str]:
        out = _run(
            list(TAGS_ARGV),
            cwd=self.root,
            check=False,
        )
        if out.returncode not in (0, 1):  # 1: no tags at all
            raise CommandError(
                f"git show-ref failed: {out.stderr.strip()}", command=out.args, stderr=out.stderr
            )
        result: dict[str, str] = {}
        for line in out.stdout.split("\n"):
            sha, _, ref = line.partition(" ")
            if not ref.startswith("refs/tags/"):
                continue
            name = ref[len("refs/tags/") :]
            if name.endswith("^{}"):  # the peeled commit of the annotated tag before it
                result[name[:-3]] = sha
            else:
                result.setdefault(name, sha)
        return result

    def merged_tags(self, rev: str = "HEAD", *, tags: dict[str, str] | None = None) -> list[str]:
        """Names of the tags reachable from ``rev`` (``git tag --merged``).

        The answer depends only on ``rev``'s commit and the tags with their
        commits, so it is remembered under that key in
        ``<git-dir>/relman/cache/merged-tags.json``: on a large history (SciPy,
        CPython) the reachability walk takes most of a second, and an unchanged
        repository asks git once. ``tags`` is :meth:`tags` when the caller has it.
        """
        import hashlib

        commit = self.rev_parse(rev)
        if commit is None:
            raise UsageError(f"{rev} is not a revision of this repository")
        digest = hashlib.sha1(commit.encode())
        digest.update(self.tags_fingerprint() if tags is None else _fingerprint(tags))
        key = digest.hexdigest()
        cache = self.git_dir / "relman" / "cache" / "merged-tags.json"
        names = _cache.recall(cache, key)
        if isinstance(names, list) and all(isinstance(n, str) for n in names):
            return list(names)
        names = self.git("tag", "--merged", commit).split()
        _cache.remember(cache, key, names)
        return names

    def tag_exists(self, name: str) -> bool:
        return self.git_ok("rev-parse", "--verify", "--quiet", f"refs/tags/{name}")

    def tag_message(self, name: str) -> str | None:
        """The message of an annotated tag, or None for a lightweight tag."""
        if self.git("cat-file", "-t", f"refs/tags/{name}") != "tag":
            return None
        return self.git("tag", "-l", "--format=%(contents)", name)

    def tags_at(self, rev: str = "HEAD") -> list[str]:
        return self.git("tag", "--points-at", rev).split()

    def branches(self) -> list[str]:
        return [r.short for r in self.refs() if r.name.startswith("refs/heads/")]

    def remote_branches(self) -> list[str]:
        return [
            r.short
            for r in self.refs()
            if r.name.startswith("refs/remotes/") and not r.short.endswith("/HEAD")
        ]

    def remotes(self) -> list[str]:
        return self.git("remote").split()

    def remote_url(self, remote: str = "origin") -> str | None:
        return self.config_get(f"remote.{remote}.url")

    def remote_head_branch(self, remote: str = "origin") -> str | None:
        """The default branch of ``remote`` as recorded by clone (refs/remotes/R/HEAD)."""
        out = _run(
            ["git", "symbolic-ref", "--quiet", "--short", f"refs/remotes/{remote}/HEAD"],
            cwd=self.root,
            check=False,
        )
        if out.returncode != 0:
            return None
        return out.stdout.strip().removeprefix(f"{remote}/") or None

    def upstream(self, branch: str | None = None) -> str | None:
        """The upstream of ``branch`` (default: current), like ``origin/main``."""
        ref = f"{branch}@{{upstream}}" if branch else "@{upstream}"
        out = _run(
            ["git", "rev-parse", "--abbrev-ref", "--symbolic-full-name", ref],
            cwd=self.root,
            check=False,
        )
        return out.stdout.strip() if out.returncode == 0 else None

    def ahead_behind(self, local: str, other: str) -> tuple[int, int]:
        """Commits in ``local`` not in ``other``, and the reverse."""
        raw = self.git("rev-list", "--left-right", "--count", f"{local}...{other}")
        ahead, behind = raw.split()
        return int(ahead), int(behind)

    def is_ancestor(self, ancestor: str, rev: str) -> bool:
        return self.git_ok("merge-base", "--is-ancestor", ancestor, rev)

    def merge_base(self, a: str, b: str) -> str | None:
        out = _run(["git", "merge-base", a, b], cwd=self.root, check=False)
        return out.stdout.strip() if out.returncode == 0 else None

    def describe(self, rev: str = "HEAD", *, match: str | None = None) -> str | None:
        """``git describe --tags`` of ``rev``, or None when no tag is reachable."""
        args = ["git", "describe", "--tags", "--long"]
        if match:
            args += ["--match", match]
        out = _run([*args, rev], cwd=self.root, check=False)
        return out.stdout.strip() if out.returncode == 0 else None

    def count_commits(self, rev_range: str) -> int:
        return int(self.git("rev-list", "--count", rev_range))

    def count_between(
        self, base: str | None, rev: str = "HEAD", *, base_commit: str | None = None
    ) -> int:
        """Commits reachable from ``rev`` and not from ``base`` (all of them without one).

        A function of the two commits alone, so it is remembered under them in
        ``<git-dir>/relman/cache/commit-counts.json``: each count walks the history.
        ``base_commit`` is ``base``'s commit when the caller knows it (a release
        tag's, from :meth:`tags`).
        """
        commit = self.rev_parse(rev)
        since = base_commit or (self.rev_parse(base) if base is not None else None)
        if commit is None or (base is not None and since is None):
            raise UsageError(f"{base}..{rev} is not a range of this repository")
        key = f"{since or ''}..{commit}"
        cache = self.git_dir / "relman" / "cache" / "commit-counts.json"
        known = _cache.recall(cache, key)
        if isinstance(known, int):
            return known
        count = self.count_commits(key if since else commit)
        _cache.remember(cache, key, count)
        return count

    # -- history ------------------------------------------------------------
    def log(
        self,
        rev_range: str | Sequence[str] = "HEAD",
        *,
        first_parent: bool = False,
        paths: Sequence[str] = (),
        extra: Sequence[str] = (),
    ) -> Iterator[Commit]:
        """Commits of ``rev_range`` (newest first), parsed from one git log pass."""
        fmt = _FS.join(["%H", "%P", "%aN", "%aE", "%at", "%s", "%b"]) + _RS
        args = ["log", f"--format={fmt}", *extra]
        if first_parent:
            args.append("--first-parent")
        args += [rev_range] if isinstance(rev_range, str) else list(rev_range)
        if paths:
            args += ["--", *paths]
        raw = self.git(*args, strip=False)
        for record in raw.split(_RS):
            record = record.lstrip("\n")
            if not record:
                continue
            sha, parents, name, email, ts, subject, body = record.split(_FS, 6)
            yield Commit(sha, tuple(parents.split()), name, email, int(ts), subject, body.strip())

    def commit_time(self, rev: str = "HEAD") -> int:
        """The committer time of ``rev`` (seconds since the epoch).

        Within :func:`reading` the time of a commit is remembered under its sha
        in ``<git-dir>/relman/cache/commit-times.json`` (it never changes).
        """
        if _ANSWERS.get() is None:
            return int(self.git("log", "-1", "--format=%ct", rev))
        commit = self.rev_parse(rev)
        cache = self.git_dir / "relman" / "cache" / "commit-times.json"
        known = _cache.recall(cache, commit) if commit else None
        if isinstance(known, int):
            return known
        when = int(self.git("log", "-1", "--format=%ct", commit or rev))
        if commit:
            _cache.remember(cache, commit, when)
        return when

    def show_file(self, rev: str, path: str) -> str | None:
        """Content of ``path`` at ``rev``, or None when it does not exist there."""
        out = _run(["git", "show", f"{rev}:{path}"], cwd=self.root, check=False)
        return out.stdout if out.returncode == 0 else None

    def grep_matches(self, rev: str, pattern: str, paths: Sequence[str]) -> list[str]:
        """Every match of the extended regex ``pattern`` in ``paths`` at ``rev``, in one call.

        Paths missing at ``rev`` are skipped; no match is an empty list.
        """
        if not paths:
            return []
        out = _proc.run(
            ["git", "grep", "-h", "-o", "-E", "-e", pattern, rev, "--", *paths],
            cwd=self.root,
            env=git_env(),
            check=False,
        )
        return out.stdout.splitlines() if out.returncode == 0 else []

    def ls_files(self, *paths: str) -> list[str]:
        raw = self.git("ls-files", "-z", "--", *paths, strip=False)
        return [p for p in raw.split("\0") if p]

    def index_entries(self, *paths: str) -> list[tuple[str, str, int]]:
        """(path, object id, stage) of each index entry, in ``git ls-files`` order.

        The object id of a stage-0 entry is the blob id of the file's content
        whenever ``git status`` reports no change in the working tree for it.
        """
        raw = self.git("ls-files", "-s", "-z", "--", *paths, strip=False)
        out = []
        for item in raw.split("\0"):
            meta, tab, path = item.partition("\t")
            if not tab:
                continue
            _mode, oid, stage = meta.split(" ")
            out.append((path, oid, int(stage)))
        return out

    # -- changes ------------------------------------------------------------
    def add(self, paths: Iterable[str]) -> None:
        paths = list(paths)
        if paths:
            self.git("add", "--", *paths)

    def rm(self, paths: Iterable[str], *, cached: bool = False) -> None:
        paths = list(paths)
        if paths:
            self.git("rm", "-q", *(["--cached"] if cached else []), "--", *paths)

    def create_commit(
        self, message: str, *, paths: Sequence[str] | None = None, allow_empty: bool = False
    ) -> str:
        """Commit ``paths`` (already-staged changes when None) and return the new sha."""
        if paths:
            self.add(paths)
        args = ["commit", "-q", "-F", "-"]
        if allow_empty:
            args.append("--allow-empty")
        self.git(*args, input=message, what="git commit")
        return self.head()

    def create_tag(
        self,
        name: str,
        message: str,
        *,
        rev: str = "HEAD",
        sign: bool | None = None,
        annotate: bool = True,
    ) -> None:
        """Create tag ``name`` at ``rev``.

        ``sign=True`` signs with the user's configured format (gpg, ssh or
        x509, as ``gpg.format`` says); ``False`` forces an unsigned annotated
        tag; ``None`` follows ``tag.gpgSign``.
        """
        args = ["tag"]
        if sign is True:
            args.append("-s")
        elif sign is False:
            args.append("--no-sign")
            if annotate:
                args.append("-a")
        elif annotate:
            args.append("-a")
        args += ["-F", "-", name, rev]
        self.git(*args, input=message, what=f"git tag {name}")

    def delete_tag(self, name: str) -> None:
        self.git("tag", "-d", name)

    def verify_tag(self, name: str) -> bool:
        return self.git_ok("tag", "-v", name)

    def create_branch(self, name: str, start: str = "HEAD") -> None:
        self.git("branch", name, start)

    def set_upstream(self, branch: str, upstream: str) -> None:
        """``git branch --set-upstream-to=upstream branch``."""
        self.git("branch", "-q", f"--set-upstream-to={upstream}", branch)

    def checkout(self, rev: str) -> None:
        self.git("checkout", "-q", rev)

    def push(
        self, remote: str, refspecs: Sequence[str], *, dry_run: bool = False, atomic: bool = True
    ) -> str:
        args = ["push", "--porcelain"]
        if atomic:
            args.append("--atomic")
        if dry_run:
            args.append("--dry-run")
        return self.git(*args, remote, *refspecs, what=f"git push {remote}")

    def archive(self, rev: str, output: str | os.PathLike[str], *, prefix: str = "") -> None:
        """Write a tar archive of the tree at ``rev`` (clean export, no untracked files)."""
        args = ["archive", "--format=tar", f"--output={os.fspath(output)}"]
        if prefix:
            args.append(f"--prefix={prefix}")
        self.git(*args, rev, what="git archive")

    # -- checks: verbs used by the preflight checks ------------------------------
    def added_lines(self, rev: str, paths: Sequence[str] = ()) -> dict[str, set[int]]:
        """Line numbers (1-based, in the working tree) added or changed since ``rev``.

        Paths are relative to the repository root; files new since ``rev``
        have every line listed.
        """
        raw = self.git(
            "diff",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--no-renames",
            rev,
            "--",
            *paths,
            strip=False,
        )
        out: dict[str, set[int]] = {}
        current: set[int] | None = None
        for line in raw.split("\n"):
            if line.startswith("+++ "):
                name = line[4:]
                current = None if name == "/dev/null" else out.setdefault(name[2:], set())
            elif line.startswith("@@") and current is not None:
                added = line.split(" ")[2]  # +start,count
                start, _, count = added[1:].partition(",")
                n = int(count) if count else 1
                current.update(range(int(start), int(start) + n))
        return out

    # -- versions: the commit of `relman version bump/set --commit` ----------
    def commit_only(self, message: str, paths: Sequence[str]) -> str:
        """Commit exactly ``paths`` (staging them first); other staged changes stay staged."""
        paths = list(paths)
        self.add(paths)
        self.git(
            "commit", "-q", "--only", "-F", "-", "--", *paths, input=message, what="git commit"
        )
        return self.head()

    def is_ignored(self, path: str) -> bool:
        """True when ``path`` is ignored by a .gitignore (or info/exclude) rule.

        A tracked file never is, whatever the rules say (as git sees it).
        """
        return self.git_ok("check-ignore", "-q", "--", path)

    # -- artifacts: files of a commit ---------------------------------------
    def tree_files(self, rev: str, path: str = "") -> list[str]:
        """Every file tracked at ``rev`` (below ``path`` when given), relative to the root."""
        args = ["ls-tree", "-r", "-z", "--name-only", "--full-tree", rev]
        if path:
            args += ["--", path]
        raw = self.git(*args, strip=False, what=f"git ls-tree {rev}")
        return [p for p in raw.split("\0") if p]

    # -- release notes (relman.notes) ---------------------------------------
    def remove_paths(self, paths: Sequence[str]) -> None:
        """``git rm --force`` of tracked ``paths`` (index and working tree)."""
        if paths:
            self.git("rm", "-q", "--force", "--", *paths, what="git rm")

    def add_paths(self, paths: Sequence[str], *, force: bool = False) -> None:
        """``git add`` (``--force`` adds ignored files too, as blurb does)."""
        if paths:
            self.git("add", *(["--force"] if force else []), "--", *paths, what="git add")

    def restore_paths(self, paths: Sequence[str], *, source: str = "HEAD") -> None:
        """Put ``paths`` back in the index and working tree as they are at ``source``."""
        if paths:
            self.git("reset", "-q", source, "--", *paths, what="git reset")
            self.git("checkout", "-q", source, "--", *paths, what="git checkout")

    def commit_paths(self, message: str, paths: Sequence[str]) -> str:
        """Commit the staged changes of ``paths`` only (other staged work stays staged)."""
        self.git("commit", "-q", "-F", "-", "--", *paths, input=message, what="git commit")
        return self.head()

    def deleted_files(self, base: str, rev: str) -> list[str]:
        """Files that exist at ``base`` and were deleted by ``rev``."""
        raw = self.git(
            "diff", "--name-only", "-z", "--no-renames", "--diff-filter=D", base, rev, strip=False
        )
        return [p for p in raw.split("\0") if p]

    def merge_texts(
        self, ours: str, base: str, theirs: str, *, union: bool = False
    ) -> tuple[str, bool]:
        """Three-way merge of texts with ``git merge-file``: (result, clean).

        ``union`` keeps both sides' lines where they conflict (a list such as
        ``.mailmap``).
        """
        import tempfile

        with tempfile.TemporaryDirectory(prefix="relman-merge-") as tmp:
            names = []
            for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
                path = Path(tmp) / name
                path.write_bytes(text.encode("utf-8"))
                names.append(str(path))
            out = _run(
                ["git", "merge-file", "-p", *(["--union"] if union else []), *names],
                cwd=self.root,
                check=False,
                what="git merge-file",
            )
        if out.returncode < 0 or out.returncode > 127:
            raise CommandError(
                "git merge-file failed",
                command=["git", "merge-file"],
                returncode=out.returncode,
                stderr=out.stderr,
            )
        return out.stdout, out.returncode == 0

    def write_blob(self, text: str) -> str:
        """Store ``text`` as a blob in the object database; its sha."""
        return self.git("hash-object", "-w", "--stdin", input=text, what="git hash-object")

    def added_files(self, base: str) -> list[str]:
        """Files added on this branch since it left ``base``, plus staged additions."""
        raw = self.git(
            "diff", "--name-only", "-z", "--diff-filter=A", f"{base}...HEAD", strip=False
        )
        staged = self.git("diff", "--name-only", "-z", "--diff-filter=A", "--cached", strip=False)
        return [p for p in (raw + staged).split("\0") if p]

    # -- history: changelog, authors, mailmap, backports ---------------------
    # One `git log` pass per question; records are split on control characters
    # that never occur in commit data. Names and e-mails go through the
    # working tree's .mailmap (uncommitted edits included), or through the
    # .mailmap of another revision with ``mailmap_rev`` (git's mailmap.blob,
    # the working tree's file left out).

    _HISTORY_FORMAT = (
        _FS.join(
            [
                "%H",
                "%P",
                "%aN",
                "%aE",
                "%an",
                "%ae",
                "%s",
                "%(trailers:key=Co-authored-by,valueonly,separator=%x1d)",
                "%b",
            ]
        )
        + _RS
    )
    # what a changelog needs: no e-mails, no names before the mailmap
    _HISTORY_LEAN_FORMAT = (
        _FS.join(
            [
                "%H",
                "%P",
                "%aN",
                "%s",
                "%(trailers:key=Co-authored-by,valueonly,separator=%x1d)",
                "%b",
            ]
        )
        + _RS
    )

    def _history_call(
        self, args: Sequence[str], mailmap_rev: str | None
    ) -> tuple[list[str], Path, dict[str, str]]:
        """argv, cwd and environment of a history command under the chosen mailmap."""
        if mailmap_rev is None:
            return ["git", *args], self.root, git_env()
        if self.rev_parse(mailmap_rev) is None:
            raise UsageError(
                f"--mailmap-rev {mailmap_rev}: no such revision",
                hint="give a tag, branch or commit whose .mailmap should be used",
            )
        # Run from inside the git directory so that git finds no working-tree
        # .mailmap: only the blob of ``mailmap_rev`` maps names.
        git_dir = self.git("rev-parse", "--absolute-git-dir")
        return (
            ["git", "-c", f"mailmap.blob={mailmap_rev}:.mailmap", *args],
            Path(git_dir),
            git_env({"GIT_DIR": git_dir}),
        )

    def iter_history(
        self, revs: Sequence[str], *, mailmap_rev: str | None = None, emails: bool = True
    ) -> Iterator[LogRecord]:
        """Every commit reachable from ``revs`` (``^X`` excludes), newest first, in one pass.

        Records are yielded while git still writes the log, so callers can
        work on them as they come. With ``emails=False`` git reads less: the
        e-mail and the names before the mailmap are left empty. ``revs``
        should be full shas when ``mailmap_rev`` is given (git then runs from
        the git directory, where ``HEAD`` still resolves but paths do not).
        """
        fmt = self._HISTORY_FORMAT if emails else self._HISTORY_LEAN_FORMAT
        argv, cwd, env = self._history_call(["log", f"--format={fmt}", *revs, "--"], mailmap_rev)
        new = tuple.__new__
        cls = LogRecord
        pending = ""
        for chunk in _proc.stream(argv, cwd=cwd, env=env, what="git log"):
            records = (pending + chunk).split(_RS)
            pending = records.pop()
            for record in records:
                if emails:
                    f = record.lstrip("\n").split(_FS, 8)
                    if len(f) < 9:
                        continue
                    co = f[7]
                    yield new(
                        cls,
                        (
                            f[0],
                            tuple(f[1].split()),
                            f[2],
                            f[3],
                            f[4],
                            f[5],
                            f[6],
                            tuple(v for v in co.split("\x1d") if v.strip()) if co else (),
                            f[8],
                        ),
                    )
                else:
                    f = record.lstrip("\n").split(_FS, 5)
                    if len(f) < 6:
                        continue
                    co = f[4]
                    yield new(
                        cls,
                        (
                            f[0],
                            tuple(f[1].split()),
                            f[2],
                            "",
                            "",
                            "",
                            f[3],
                            tuple(v for v in co.split("\x1d") if v.strip()) if co else (),
                            f[5],
                        ),
                    )

    def iter_log(
        self, revs: Sequence[str], fields: Sequence[str], *, mailmap_rev: str | None = None
    ) -> Iterator[list[str]]:
        """The ``fields`` (``git log`` placeholders) of every commit of ``revs``, in one pass.

        Streamed like :meth:`iter_history`; each commit is the list of its
        fields, in order (the last one may hold newlines, such as ``%b``).
        """
        for batch in self.iter_log_batches(revs, fields, mailmap_rev=mailmap_rev):
            yield from batch

    def iter_log_batches(
        self,
        revs: Sequence[str],
        fields: Sequence[str],
        *,
        mailmap_rev: str | None = None,
        spawned: Spawned | None = None,
        distinct: bool = False,
    ) -> Iterator[list[list[str]]]:
        """:meth:`iter_log` a batch at a time: the commits git wrote since the last batch.

        ``spawned`` is that ``git log`` already running (:func:`log_argv`'s
        command, started in this repository or a folder of it). With
        ``distinct``, commits whose fields all repeat an earlier one's are
        left out (for who is in a history: most commits repeat a name).
        """
        argv, cwd, env = self._history_call(log_argv(revs, fields)[1:], mailmap_rev)
        env.update(LOG_ENV)
        n = len(fields) - 1
        pending = ""
        known: set[str] = set()
        stream = _proc.stream(argv, cwd=cwd, env=env, what="git log", spawned=spawned)
        end = _RS + "\n"  # each record ends so (--format terminates records)
        for chunk in stream:
            records = (pending + chunk).split(end)
            pending = records.pop()
            if distinct:
                fresh = set(records) - known
                known |= fresh
                records = sorted(fresh)  # the same batch whatever the hashes
            batch = [r.split(_FS, n) for r in records]
            if batch and min(map(len, batch)) <= n:  # a record cut short: left out
                batch = [f for f in batch if len(f) > n]
            if batch:
                yield batch

    def log_history(
        self, revs: Sequence[str], *, mailmap_rev: str | None = None, emails: bool = True
    ) -> list[LogRecord]:
        """:meth:`iter_history` as a list."""
        return list(self.iter_history(revs, mailmap_rev=mailmap_rev, emails=emails))

    def patch_ids(self, shas: Iterable[str]) -> dict[str, str]:
        """The stable patch-id of each commit (merges and empty commits have none).

        One ``git diff-tree --stdin`` for all of them, piped once to ``git
        patch-id --stable``. Diffs are read as bytes, so ids only compare with
        each other (which is all a cherry-pick check needs).
        """
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        diff = _run(
            ["git", "diff-tree", "--stdin", "-p", "--root", "--no-color", "--no-ext-diff"],
            cwd=self.root,
            input="\n".join(wanted) + "\n",
            text=False,
            what="git diff-tree",
        ).stdout
        if not diff.strip():
            return {}
        raw = _run(
            ["git", "patch-id", "--stable"],
            cwd=self.root,
            input=diff,
            text=False,
            what="git patch-id",
        ).stdout
        ids: dict[str, str] = {}
        for line in raw.splitlines():
            parts = line.split()
            if len(parts) == 2:
                ids[parts[1]] = parts[0]
        return ids

    def check_mailmap(
        self, contacts: Iterable[str], *, mailmap_rev: str | None = None
    ) -> dict[str, tuple[str, str]]:
        """Map ``Name <email>`` contacts through the mailmap, in one ``git check-mailmap``."""
        lookup = self.mailmap_lookup(mailmap_rev=mailmap_rev)
        lookup.add(contacts)
        return lookup.result()

    def mailmap_lookup(self, *, mailmap_rev: str | None = None) -> MailmapLookup:
        """A :class:`MailmapLookup`: contacts mapped as a log pass finds them."""
        return MailmapLookup(self, mailmap_rev)

    # -- real-world repositories: CI checkouts ---------------------------------

    def is_shallow(self) -> bool:
        """True in a shallow clone (CI checkouts): history and tags are incomplete."""
        if self._shallow is not None and _ANSWERS.get() is not None:
            return self._shallow  # the repository does not change within reading()
        out = self.git("rev-parse", "--is-shallow-repository", check=False)
        return out.strip() == "true"

    # -- builds: a real checkout of the release commit ---------------------------

    def clone_checkout(self, path: str | os.PathLike[str], rev: str) -> Repo:
        """A private clone of this repository checked out at ``rev`` (hooks off).

        Build backends that ask git for the version or the file list
        (setuptools_scm, hatch-vcs, ``meson dist``) need a checkout, not an
        archive. The clone shares this repository's objects (``--shared``),
        has every tag, and gets its submodules from this checkout's own
        submodule folders where they exist (no network), else from their
        URLs. Nothing in this repository changes.
        """
        self.git(
            "clone", "--quiet", "--shared", "--no-checkout", os.fspath(self.root), os.fspath(path)
        )
        clone = Repo(path)
        clone.git("-c", "core.hooksPath=/dev/null", "checkout", "--quiet", "--detach", rev)
        if (Path(path) / ".gitmodules").is_file():
            raw = clone.git(
                "config", "-f", ".gitmodules", "--get-regexp", r"^submodule\..*\.path$", check=False
            )
            clone.git("submodule", "--quiet", "init")
            for line in raw.splitlines():
                key, _, sub_path = line.partition(" ")
                name = key[len("submodule.") : -len(".path")]
                local = self.root / sub_path
                if (local / ".git").exists():
                    clone.git("config", f"submodule.{name}.url", os.fspath(local))
            clone.git(
                "-c",
                "protocol.file.allow=always",
                "submodule",
                "--quiet",
                "update",
                "--recursive",
                what="git submodule update",
            )
        return clone


class MailmapLookup:
    """One ``git check-mailmap`` that maps contacts while a log pass still reads.

    :meth:`add` sends the ``Name <email>`` contacts it has not sent yet; git
    starts with the first, so it costs nothing where there is none, and reads
    them while Python reads the log. :meth:`result` ends git's input and
    answers what :meth:`Repo.check_mailmap` answers: (name, email) by contact
    as sent, stripped.
    """

    def __init__(self, repo: Repo, mailmap_rev: str | None) -> None:
        self._repo = repo
        self._mailmap_rev = mailmap_rev
        self._sent: dict[str, None] = {}  # (in the order git answers)
        self._spawned: Spawned | None = None
        self._argv: list[str] = []
        self._stopped = False  # git stopped reading: its error is read by result()

    def add(self, contacts: Iterable[str]) -> None:
        new = []
        for contact in contacts:
            contact = contact.strip()
            if (
                contact not in self._sent
                and "<" in contact
                and contact.endswith(">")
                and "\n" not in contact  # (git reads a contact a line; a folded one is kept as is)
            ):
                self._sent[contact] = None
                new.append(contact)
        if not new or self._stopped:
            return
        if self._spawned is None:
            argv, cwd, env = self._repo._history_call(
                ["check-mailmap", "--stdin"], self._mailmap_rev
            )
            argv[0] = _proc.find_program(argv[0])
            self._argv = argv
            _report.debug("$ " + " ".join(argv))
            self._spawned = Spawned(argv, cwd=cwd, env=env, stdin=True)
        try:
            self._spawned.send("\n".join(new) + "\n")
        except OSError:
            self._stopped = True

    def result(self) -> dict[str, tuple[str, str]]:
        if self._spawned is None:
            return {}
        spawned = self._spawned
        spawned.end_input()
        raw = "".join(
            _proc.stream(self._argv, cwd=spawned.cwd, what="git check-mailmap", spawned=spawned)
        )
        result: dict[str, tuple[str, str]] = {}
        for contact, line in zip(self._sent, raw.splitlines(), strict=False):
            name, _, email = line.rpartition("<")
            result[contact] = (name.strip(), email.rstrip(">").strip())
        return result

    def close(self) -> None:
        """Stop git if :meth:`result` was not asked (a pass that failed); closing again is harmless."""
        if self._spawned is not None:
            self._spawned.close()
