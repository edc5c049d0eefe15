"""The changelog of a range: collected in the project's style, rendered, written.

:func:`collect_changelog` reads the two passes (see ``_log``), picks the
people (``people``) and the pull requests (``pulls``) by the style's rules;
:func:`enrich_titles` optionally takes the titles from GitHub (GraphQL, 100
pull requests per request, cached in the git directory) and records which
titles came from there; :func:`render_changelog` writes the style's layout
as rst, or markdown or json.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relman import _report
from relman.errors import UsageError
from relman.history import people, pulls
from relman.history._log import Passes, StartedLog, collector_paused, read_passes, start_log
from relman.history.people import Author
from relman.history.pulls import PullRequest
from relman.history.styles import Style, get_style, sanitize_titles, title_rules

if TYPE_CHECKING:
    from relman.config import Config
    from relman.forge import Forge
    from relman.git import MailmapLookup, Repo

FORMATS = ("rst", "md", "json")


def _people_count(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def author_msg(n: int) -> str:
    return (
        f'A total of {_people_count(n)} contributed to this release.  People with a "+" by their\n'
        "names contributed a patch for the first time."
    )


def pr_msg(n: int) -> str:
    if n == 1:
        return "A total of 1 pull request was merged for this release."
    return f"A total of {n} pull requests were merged for this release."


@dataclass(frozen=True)
class Changelog:
    """Contributors and merged pull requests of one revision range."""

    range: str
    authors: tuple[Author, ...]
    pull_requests: tuple[PullRequest, ...]
    style: str = "default"
    first_timers_known: bool = True
    title_rules: str = "default"  # see styles.title_rules

    def as_dict(self) -> dict[str, Any]:
        return {
            "range": self.range,
            "style": self.style,
            "first_timers_known": self.first_timers_known,
            "authors": [{"name": a.name, "new": a.new, "commits": a.commits} for a in self.authors],
            "pull_requests": [
                {"number": p.number, "title": p.title, "url": p.url, "title_source": p.source}
                for p in self.pull_requests
            ],
        }


def collect_changelog(
    config: Config,
    repo: Repo,
    rev_range: str,
    *,
    mailmap_rev: str | None = None,
    started: StartedLog | None = None,
    style: str | None = None,
    version: str | None = None,
) -> Changelog:
    """Contributors and merged pull requests of ``rev_range`` (``A..B`` or ``B``), offline.

    ``style`` (default ``[tool.relman.changelog] style``) picks the rules;
    ``started`` is the pass :func:`start_log` began for the same arguments.
    With ``version``, in the ``numpy`` style, the pull request that last
    changed ``version``'s changelog file in the range is left out: the
    changelog was written in it, before it was merged (NumPy's release-prep
    pull requests are not in their own release's list).
    """
    lookup = repo.mailmap_lookup(mailmap_rev=mailmap_rev)
    try:
        with collector_paused():  # (the records of a big range live until the lists are made)
            return _collect(config, repo, rev_range, mailmap_rev, started, style, version, lookup)
    finally:
        lookup.close()


def _collect(
    config: Config,
    repo: Repo,
    rev_range: str,
    mailmap_rev: str | None,
    started: StartedLog | None,
    style: str | None,
    version: str | None,
    lookup: MailmapLookup,
) -> Changelog:
    chosen: Style = get_style(style or config.changelog.style)
    if started is None or (started.rev_range, started.mailmap_rev) != (rev_range, mailmap_rev):
        started = start_log(repo, rev_range, mailmap_rev=mailmap_rev)
    # what needs no commit is asked while git streams the range (the configuration's
    # detected values included: the pull requests' address may ask git for the remotes)
    main_ref = _main_ref(config, repo, started.rng.end) if chosen.originals else None
    mailmap = people.read_mailmap(repo, mailmap_rev)
    template = config.changelog.pr_url
    rules = title_rules(chosen, config.project_dir)
    bots = people.pattern_matcher(config.changelog.bots)
    assistants = people.pattern_matcher(config.changelog.ai_assistants)
    pull_scan = pulls.PullScan(started.rng.end, title_merges=chosen.title_merges)
    author_scan: people.NamesScan | people.MailmapScan
    if chosen.people == "names":
        author_scan = people.NamesScan(people.name_map(mailmap[0]) if mailmap else {})
    else:
        author_scan = people.MailmapScan(lookup)
    passes = read_passes(
        repo,
        rev_range,
        mailmap_rev=mailmap_rev,
        before_fields=chosen.before_fields,
        started=started,
        scans=(pull_scan, author_scan),
        before_scans=(author_scan.before,),
    )
    if not passes.commits:
        _report.warn(f"the range {passes.rng.text} has no commits: nothing to list")
    if passes.shallow:
        _report.warn(
            "this is a shallow clone: first-time contributors cannot be known, so none is "
            "marked (fetch the whole history with `git fetch --unshallow`)"
        )
    if mailmap is not None:
        for problem in people.mailmap_problems(*mailmap):
            _report.warn(f"{problem} (git reads such a line only in part, or not at all)")
    if isinstance(author_scan, people.NamesScan):
        authors = people.collect_named_authors(
            passes, author_scan.names, bots=bots, assistants=assistants, scan=author_scan
        )
    else:
        authors = people.collect_mailmap_authors(
            repo,
            passes,
            mailmap_rev=mailmap_rev,
            bots=bots,
            assistants=assistants,
            scan=author_scan,
        )
    main = None
    if main_ref is not None and passes.commits:
        main = pulls.read_main_line(repo, main_ref, passes.rng.start)
    found = pulls.collect_pull_requests(
        repo,
        passes,
        title_merges=chosen.title_merges,
        originals=chosen.originals,
        main=main,
        nested_merges=chosen.nested_merges,
        scan=pull_scan,
    )
    if version and chosen.name == "numpy" and found:
        own = _changelog_pull_request(config, repo, passes, version)
        if own is not None:
            found.pop(own, None)
    if chosen.milestones and found:
        for number in _shipped_by_older_line(config, repo, passes.rng.start, passes.rng.end):
            found.pop(number, None)
    urls = (template.format(number=n) for n in found) if template else repeat("")
    make = partial(tuple.__new__, PullRequest)  # (what PullRequest._make does, in C)
    prs = tuple(map(make, zip(found, found.values(), urls, repeat("git"))))
    return Changelog(
        passes.rng.text,
        authors,
        prs,
        chosen.name,
        not passes.shallow,
        rules,
    )


def _changelog_pull_request(config: Config, repo: Repo, passes: Passes, version: str) -> int | None:
    """The pull request of the range that last changed ``version``'s changelog file, if any."""
    path = changelog_path(config, version)
    if path is None or not passes.commits:
        return None
    try:
        relative = path.resolve().relative_to(Path(repo.root).resolve()).as_posix()
    except ValueError:
        return None
    rng = passes.rng
    revs = [rng.end] + ([f"^{rng.start}"] if rng.start else [])
    rows = list(repo.iter_log(["-1", *revs, "--", relative], ("%H",)))
    if not rows:
        return None
    return pulls.pull_request_of(passes, rows[0][0])


def _main_ref(config: Config, repo: Repo, end: str) -> str | None:
    """The main branch's commit, when the range ends off it (a maintenance branch)."""
    for ref in (config.main_branch, f"{config.remote}/{config.main_branch}"):
        sha = repo.rev_parse(ref)
        if sha is not None:
            if sha == end or repo.is_ancestor(end, sha):
                return None  # the range is on the main branch itself
            return sha
    return None


def _shipped_by_older_line(config: Config, repo: Repo, start: str | None, end: str) -> set[int]:
    """Pull requests of a new ``X.Y.0`` already shipped by a release of an older line.

    SciPy's milestones give a pull request backported to ``1.13.x`` to that
    release, not to ``1.14.0`` whose range also holds its original. Two
    things show it in git: a commit ``Title (#N)`` on the older line (a
    cherry-pick that kept its number), and ``#N`` in the pull requests the
    older release's notes list (the notes files at ``end``, found through
    ``[tool.relman.notes] release-index``), which also catches pull
    requests merged on main after the branch point and backported to the
    older line's ``X.Y-1.0``.
    """
    from relman.line import release_tags

    reachable = release_tags(config, repo, merged_into=end)
    if not reachable:
        return set()
    newest = reachable[-1].version
    if newest.release[2:3] not in ((), (0,)):
        return set()
    names = {t.name for t in reachable}
    older = [t for t in release_tags(config, repo) if t.name not in names and t.is_release]
    older = [t for t in older if t.version < newest]
    if not older:
        return set()
    revs = [*(t.commit for t in older), f"^{end}"] + ([f"^{start}"] if start else [])
    numbers = set()
    for (subject,) in repo.iter_log(revs, ("%s",)):
        m = pulls.SQUASH_PR.match(subject) if subject.endswith(")") else None
        if m:
            numbers.add(int(m.group(2)))
    numbers |= _listed_in_notes(config, repo, end, {str(t.version) for t in older})
    return numbers


_PULL_LINK = r"/pulls?/[0-9]+>"


def _listed_in_notes(config: Config, repo: Repo, rev: str, versions: set[str]) -> set[int]:
    """The pull requests (``.../pull/N>`` links) the notes of ``versions`` list, at ``rev``.

    The notes files are the release index's entries that name one of
    ``versions`` (SciPy's ``doc/source/release.rst`` lists
    ``release/X.Y.Z-notes``); one ``git grep`` reads them all.
    """
    from relman.notes.fragments import ENTRY_VERSION, entry_target, toctree_entries

    if not config.notes.release_index:
        return set()
    index = (config.project_dir / config.notes.release_index).resolve()
    try:
        index_path = index.relative_to(Path(repo.root).resolve()).as_posix()
    except ValueError:
        return set()
    text = repo.show_file(rev, index_path)
    if text is None:
        return set()
    folder = index_path.rpartition("/")[0]
    paths = []
    for entry in toctree_entries(text):
        target = entry_target(entry)
        m = ENTRY_VERSION.match(target)
        if m and m["version"] in versions:
            paths.append(f"{folder}/{target}.rst".lstrip("/"))
    found = repo.grep_matches(rev, _PULL_LINK, paths)
    return {int(hit.rstrip(">").rpartition("/")[2]) for hit in found}


# -- GitHub titles ------------------------------------------------------------


def _title_cache(repo: Repo) -> Path:
    return repo.git_dir / "relman" / "pr-titles.json"


def enrich_titles(
    changelog: Changelog, repo: Repo, forge: Forge, *, use_cache: bool = True
) -> Changelog:
    """Titles (and URLs) as on GitHub, fetched with GraphQL 100 at a time, cached on disk.

    Pull requests GitHub does not know keep their titles from git; the
    others are marked ``source="github"``.
    """
    from relman import _atomic
    from relman.forge import fetch_pull_requests

    path = _title_cache(repo)
    cache: dict[str, dict[str, dict[str, str]]] = {}
    if use_cache and path.is_file():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                cache = loaded
        except (OSError, ValueError):
            cache = {}
    known = cache.setdefault(forge.repo, {})
    wanted = [p.number for p in changelog.pull_requests if str(p.number) not in known]
    if wanted:
        fetched = fetch_pull_requests(forge, wanted)
        for number, info in fetched.items():
            known[str(number)] = {"title": info.title, "url": info.url}
        _atomic.write_text(path, json.dumps(cache, indent=1, sort_keys=True) + "\n")
    prs = []
    for p in changelog.pull_requests:
        info_d = known.get(str(p.number))
        if info_d:
            p = p._replace(
                title=" ".join(info_d["title"].split()),
                url=info_d["url"] or p.url,
                source="github",
            )
        prs.append(p)
    return replace(changelog, pull_requests=tuple(prs))


def github_note(changelog: Changelog) -> str:
    """Which titles came from GitHub and which from git, for the user."""
    n = sum(1 for p in changelog.pull_requests if p.source == "github")
    rest = len(changelog.pull_requests) - n
    return f"titles: {n} from GitHub, {rest} from git"


# -- rendering ----------------------------------------------------------------


_TITLE = itemgetter(1)  # (PullRequest.title, read in C)


def _pr_lines(prs: Sequence[PullRequest], style: str) -> list[str]:
    titles = sanitize_titles(list(map(_TITLE, prs)), style)
    return [
        f"* `#{number} <{url}>`__: {title}" if url else f"* #{number}: {title}"
        for (number, _, url, _), title in zip(prs, titles, strict=True)
    ]


def _render_numpy(changelog: Changelog) -> str:
    lines = ["", "Contributors", "=" * len("Contributors"), ""]
    lines.append(author_msg(len(changelog.authors)))
    lines.append("")
    lines += [f"* {a.display}" for a in changelog.authors]
    heading = "Pull requests merged"
    lines += ["", heading, "=" * len(heading), ""]
    lines.append(pr_msg(len(changelog.pull_requests)))
    lines.append("")
    lines += _pr_lines(changelog.pull_requests, changelog.title_rules)
    return "\n".join(lines) + "\n"


def _render_scipy(changelog: Changelog, version: str | None) -> str:
    lines = ["Authors", "=======", "", "* Name (commits)"]
    lines += [f"* {a.name} ({a.commits})" + (" +" if a.new else "") for a in changelog.authors]
    lines += [
        "",
        f"A total of {_people_count(len(changelog.authors))} contributed to this release.",
        'People with a "+" by their names contributed a patch for the first time.',
        "This list of names is automatically generated, and may not be fully complete.",
        "",
    ]
    heading = f"Pull requests for {version}" if version else "Pull requests"
    lines += ["", heading, "-" * len(heading), ""]
    lines += _pr_lines(changelog.pull_requests, "scipy")
    return "\n".join(lines) + "\n"


def _escape_md(text: str) -> str:
    return re.sub(r"([\\*_\[\]<>])", r"\\\1", text)


def _render_md(changelog: Changelog, version: str | None) -> str:
    lines = [f"# Changelog for {version}", ""] if version else []
    lines += ["## Contributors", "", author_msg(len(changelog.authors)).replace("\n", " ")]
    lines = [line.replace("  People", " People") for line in lines]
    lines.append("")
    lines += [f"* {_escape_md(a.display)}" for a in changelog.authors]
    lines += ["", "## Pull requests merged", "", pr_msg(len(changelog.pull_requests)), ""]
    for p in changelog.pull_requests:
        ref = f"[#{p.number}]({p.url})" if p.url else f"#{p.number}"
        lines.append(f"* {ref}: {_escape_md(p.title)}")
    return "\n".join(lines) + "\n"


def render_changelog(changelog: Changelog, fmt: str, *, version: str | None = None) -> str:
    """The changelog as ``rst`` (the style's layout), ``md`` or ``json``."""
    if fmt == "rst":
        if get_style(changelog.style).layout == "scipy":
            return _render_scipy(changelog, version)
        return _render_numpy(changelog)
    if fmt == "md":
        return _render_md(changelog, version)
    if fmt == "json":
        return json.dumps(changelog.as_dict(), indent=2, ensure_ascii=False) + "\n"
    raise UsageError(f"unknown changelog format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")


def changelog_path(config: Config, version: str) -> Path | None:
    """Where the changelog of ``version`` is written, or None when not configured."""
    if not config.changelog.path:
        return None
    return config.project_dir / config.changelog.path.format(version=version)


def write_changelog(
    config: Config, repo: Repo, version: str, *, forge: Forge | None = None
) -> Path | None:
    """Write ``[tool.relman.changelog] path`` for ``version``; None when no path is set.

    The range is :func:`relman.history.default_range`; titles come from
    GitHub when ``forge`` is given (and from git otherwise).
    """
    from relman.history import default_range

    path = changelog_path(config, version)
    if path is None:
        return None
    from relman import _atomic

    changelog = collect_changelog(
        config, repo, default_range(config, repo, version), version=version
    )
    if forge is not None:
        changelog = enrich_titles(changelog, repo, forge)
    _atomic.write_text(path, render_changelog(changelog, config.changelog.format, version=version))
    return path
