"""Pull requests merged on the main branch that are marked for backport, and where they are.

See :func:`find_backports`: one ``git log`` pass over both branches since they
forked; patch-ids only for what a number or a cherry-pick trailer did not settle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from relman import _report
from relman.errors import UsageError
from relman.history.identities import _ancestors
from relman.history.pulls import AUTO_MERGE, CHERRY, MERGE_PR, SQUASH_PR, first_line

if TYPE_CHECKING:
    from relman.config import Config
    from relman.forge import Forge
    from relman.git import LogRecord, Repo


def _merge_title(r: LogRecord) -> str:
    title = first_line(r.body)
    if not title:
        branch = re.search(r"Merge pull request #\d+ from (\S+)", r.subject)
        title = branch.group(1) if branch else r.subject
    return title


@dataclass(frozen=True)
class Backport:
    """A pull request merged on the main branch and marked for backport."""

    number: int
    title: str
    commit: str  # the merge or squash commit on the main branch
    marked_by: str  # "trailer", "file" or "label"
    backported: bool
    evidence: str | None  # "pr-number", "cherry-pick" or "patch-id"
    branch_commit: str | None  # the commit on the maintenance branch that carries it


@dataclass(frozen=True)
class BackportReport:
    branch: str
    main: str
    base: str
    backports: tuple[Backport, ...]

    @property
    def missing(self) -> tuple[Backport, ...]:
        return tuple(b for b in self.backports if not b.backported)

    def as_dict(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "main": self.main,
            "base": self.base,
            "backports": [
                {
                    "number": b.number,
                    "title": b.title,
                    "commit": b.commit,
                    "marked_by": b.marked_by,
                    "backported": b.backported,
                    "evidence": b.evidence,
                    "branch_commit": b.branch_commit,
                }
                for b in self.backports
            ],
        }


@dataclass(frozen=True)
class _MainPR:
    number: int
    title: str
    commit: str
    commits: tuple[str, ...]  # the commits that carry its change
    messages: tuple[str, ...]


def _resolve_branch(repo: Repo, name: str, remote: str, what: str) -> str:
    for ref in (name, f"{remote}/{name}"):
        if repo.rev_parse(ref):
            return ref
    raise UsageError(
        f"{what} branch {name!r} does not exist (locally or on {remote})",
        hint="pass --branch/--main, or fetch the remote",
    )


def _backport_numbers_from_file(config: Config) -> set[int]:
    if not config.changelog.backport_file:
        return set()
    path = config.project_dir / config.changelog.backport_file
    if not path.is_file():
        raise UsageError(
            f"backport file {path} does not exist",
            hint="create it (one pull-request number per line) or unset "
            "[tool.relman.changelog] backport-file",
        )
    numbers = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0] if not line.lstrip().startswith("#") else line.lstrip()[1:]
        m = re.match(r"\s*(?:gh-)?(\d+)\b", line)
        if m:
            numbers.add(int(m.group(1)))
    return numbers


def _trailer_marked(trailer: str, messages: Iterable[str]) -> bool:
    rx = re.compile(rf"^{re.escape(trailer)}\s*:\s*(.*)$", re.I | re.M)
    for message in messages:
        for m in rx.finditer(message):
            if m.group(1).strip().lower() not in ("no", "false", "0"):
                return True
    return False


def _find_evidence(
    pr: _MainPR, branch_recs: Sequence[LogRecord], patch_ids: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """How ``pr`` got onto the branch (and the commit that carries it), or (None, None)."""
    mention = re.compile(rf"(?:#|gh-|backport[-_/]){pr.number}\b", re.I)
    shas = (*pr.commits, pr.commit)
    texts = [(rec, f"{rec.subject}\n\n{rec.body}") for rec in branch_recs]
    for rec, text in texts:
        if mention.search(text):
            return "pr-number", rec.sha
    for rec, text in texts:
        if any(c.startswith(p) for p in CHERRY.findall(text) for c in shas):
            return "cherry-pick", rec.sha
    ids = {patch_ids[c] for c in pr.commits if c in patch_ids}
    for rec, _ in texts:
        if rec.sha in patch_ids and patch_ids[rec.sha] in ids:
            return "patch-id", rec.sha
    return None, None


def find_backports(
    config: Config,
    repo: Repo,
    *,
    branch: str | None = None,
    main: str | None = None,
    forge: Forge | None = None,
) -> BackportReport:
    """Pull requests merged on ``main`` since ``branch`` forked, marked for backport.

    A pull request is marked by a ``Backport-Candidate:`` trailer in its
    commits (``[tool.relman.changelog] backport-trailer``), by its number in
    ``backport-file``, or by the ``backport-label`` on GitHub (when ``forge``
    is given: one GraphQL request per 100 pull requests). It counts as
    backported when a commit on the branch names it (``#N``, ``gh-N``, ``backport-N``), carries a
    ``(cherry picked from commit X)`` trailer for one of its commits, or has
    the same patch-id as one of them. One ``git log`` pass; patch-ids (one
    ``git diff-tree`` piped to ``git patch-id``) only for the commits a number
    or a trailer did not settle.
    """
    if branch is None:
        branch = repo.current_branch()
        if branch is None:
            raise UsageError(
                "HEAD is detached: which maintenance branch?", hint="pass --branch NAME"
            )
    main = main or config.main_branch
    branch_ref = _resolve_branch(repo, branch, config.remote, "maintenance")
    main_ref = _resolve_branch(repo, main, config.remote, "main")
    branch_sha = repo.rev_parse(branch_ref)
    main_sha = repo.rev_parse(main_ref)
    assert branch_sha and main_sha
    if branch == main:
        raise UsageError(
            f"{branch} is the main branch: backports go to a maintenance branch",
            hint="check out the maintenance branch, or pass --branch maintenance/X.Y.x",
        )
    if branch_sha == main_sha or repo.is_ancestor(branch_sha, main_sha):
        raise UsageError(
            f"{branch} has no commits of its own beyond {main}",
            hint="run on a maintenance branch, or pass --branch maintenance/X.Y.x",
        )
    base = repo.merge_base(main_sha, branch_sha)
    if base is None:
        raise UsageError(f"{branch} and {main} have no common history")
    records = repo.log_history([main_sha, branch_sha, f"^{base}"], emails=False)
    parents = {r.sha: r.parents for r in records}
    by_sha = {r.sha: r for r in records}
    on_branch = _ancestors(branch_sha, parents)

    # main's first-parent line since the branch point, and the pull requests on it
    line: list[LogRecord] = []
    sha: str | None = main_sha
    while sha is not None and sha in by_sha:
        line.append(by_sha[sha])
        sha = by_sha[sha].parents[0] if by_sha[sha].parents else None
    mainline = {r.sha for r in line}
    prs: list[_MainPR] = []
    for r in line:
        message = f"{r.subject}\n\n{r.body}"
        if len(r.parents) > 1:
            m = MERGE_PR.search(r.subject) or AUTO_MERGE.search(r.subject)
            if m:
                inner = _branch_commits(r.parents[1], by_sha, mainline)
                prs.append(
                    _MainPR(
                        int(m.group(1)),
                        " ".join(_merge_title(r).split()),
                        r.sha,
                        tuple(x.sha for x in inner),
                        (message, *(f"{x.subject}\n\n{x.body}" for x in inner)),
                    )
                )
        else:
            m = SQUASH_PR.match(r.subject)
            if m:
                title = " ".join(m.group(1).split())
                prs.append(_MainPR(int(m.group(2)), title, r.sha, (r.sha,), (message,)))

    labels: dict[int, tuple[str, ...]] = {}
    if forge is not None and prs:
        from relman.forge import fetch_pull_requests

        labels = {
            n: info.labels
            for n, info in fetch_pull_requests(forge, [p.number for p in prs]).items()
        }
    from_file = _backport_numbers_from_file(config)
    label = config.changelog.backport_label
    marked: list[tuple[_MainPR, str]] = []
    for pr in sorted(prs, key=lambda p: p.number):
        if label in labels.get(pr.number, ()):
            marked.append((pr, "label"))
        elif pr.number in from_file:
            marked.append((pr, "file"))
        elif _trailer_marked(config.changelog.backport_trailer, pr.messages):
            marked.append((pr, "trailer"))
    branch_recs = [r for r in records if r.sha in on_branch]
    found = {pr.number: _find_evidence(pr, branch_recs, {}) for pr, _ in marked}
    # patch-ids only when a number or a cherry-pick trailer did not tell
    unresolved = [pr for pr, _ in marked if found[pr.number][0] is None]
    if unresolved:
        patch_ids = repo.patch_ids(
            [r.sha for r in branch_recs if len(r.parents) == 1]
            + [c for pr in unresolved for c in pr.commits]
        )
        for pr in unresolved:
            found[pr.number] = _find_evidence(pr, branch_recs, patch_ids)
    items = [
        Backport(
            pr.number,
            pr.title,
            pr.commit,
            how,
            found[pr.number][0] is not None,
            found[pr.number][0],
            found[pr.number][1],
        )
        for pr, how in marked
    ]
    if not prs:
        _report.debug(f"no pull requests found on {main} since {base[:12]}")
    return BackportReport(branch, main, base, tuple(items))


def _branch_commits(
    tip: str, by_sha: Mapping[str, LogRecord], mainline: set[str]
) -> list[LogRecord]:
    """The commits of a merged branch: from its tip back to where it left the main line."""
    seen: set[str] = set()
    out: list[LogRecord] = []
    stack = [tip]
    while stack:
        sha = stack.pop()
        if sha in seen or sha in mainline or sha not in by_sha:
            continue
        seen.add(sha)
        out.append(by_sha[sha])
        stack.extend(by_sha[sha].parents)
    return out
