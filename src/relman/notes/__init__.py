"""Release notes from news fragments, towncrier- and blurb-compatible.

A project keeps its fragments and configuration as they are: towncrier's
``[tool.towncrier]`` (``pyproject.toml`` or ``towncrier.toml``) or CPython's
blurb layout (``Misc/NEWS.d/next/<section>/``); ``tool.relman.notes.system``
says which (detected). The rendered notes are byte-identical to what
``towncrier build`` and ``blurb release`` produce.

Entry points:

- :func:`draft_notes` renders the notes and changes nothing;
- :func:`build_notes` writes the notes file, removes the used fragments with
  ``git rm`` and optionally commits, all or nothing;
- :func:`start_notes` creates the next release's notes file from a template
  (:func:`plan_start_notes` names the files it would write);
- :func:`notes_home` and :func:`notes_done` say where a release's notes are
  committed (NumPy's tracked ``X.Y.Z-notes.rst`` that includes the git-ignored
  towncrier output, see :mod:`relman.notes.layout`) and whether they are;
- :func:`release_notes` is one release's section of the committed notes,
  rendered for mail or GitHub (:mod:`relman.notes.sections`);
- :func:`pending_fragments`, :func:`notes_file`, :func:`new_fragment`,
  :func:`check_fragments` for the helpers around them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from relman import _report
from relman._record import record
from relman.errors import CheckFailed, UsageError
from relman.notes.check import Problem, check_fragments

if TYPE_CHECKING:
    from relman.config import Config
    from relman.git import Repo
    from relman.notes.towncrier import Settings

__all__ = [
    "NotesResult",
    "Problem",
    "build_notes",
    "check_fragments",
    "draft_notes",
    "fragment_dirs",
    "new_fragment",
    "notes_done",
    "notes_file",
    "notes_home",
    "pending_fragments",
    "plan_notes",
    "plan_start_notes",
    "release_notes",
    "start_notes",
]


@record
class NotesResult:
    """What :func:`build_notes` did: files written and fragments removed."""

    version: str
    written: tuple[Path, ...]
    removed: tuple[Path, ...]
    commit: str | None = None


@record
class NotesPlan:
    """Everything :func:`build_notes` would do, computed without changing anything."""

    version: str
    notes_path: Path
    text: str
    files: dict[Path, bytes]
    remove: tuple[Path, ...]
    ignored: tuple[Path, ...] = ()  # files written that git ignores: never staged


def _system(config: Config) -> str:
    system = config.notes.system
    if system not in ("towncrier", "blurb"):
        raise UsageError(
            "this project has no news fragment system configured",
            hint="configure [tool.towncrier], use Misc/NEWS.d (blurb), or set "
            "tool.relman.notes.system",
        )
    return system


def _settings(config: Config) -> Settings:
    from relman.notes.towncrier import load_settings

    return load_settings(config.project_dir, config.pyproject)


def _check_version(version: str) -> None:
    # a "/" is allowed, as towncrier allows it: it only names a folder when the
    # news file's name holds the version (checked where the name is made)
    if not version or not version.strip():
        raise UsageError(f"invalid version {version!r} for release notes")


def notes_file(config: Config, version: str) -> Path | None:
    """The file the notes of ``version`` go to (None without a fragment system)."""
    if config.notes.system == "towncrier":
        from relman.notes.towncrier import news_file_name

        settings = _settings(config)
        return settings.base_dir / news_file_name(settings, version=version)
    if config.notes.system == "blurb":
        from relman.notes.blurb import release_file

        return release_file(config.project_dir, version)
    return None


def fragment_dirs(config: Config) -> list[Path]:
    """The folders news fragments are kept in (every towncrier section; blurb's next/)."""
    if _system(config) == "towncrier":
        settings = _settings(config)
        return [settings.fragment_dir(path) for _name, path in settings.sections]
    return [config.project_dir / "Misc" / "NEWS.d" / "next"]


def pending_fragments(config: Config) -> list[Path]:
    """The fragments the next :func:`build_notes` would use (and remove)."""
    if _system(config) == "towncrier":
        from relman.notes.towncrier import find_fragments

        return [Path(f.path) for f in find_fragments(_settings(config), read=False).fragments]
    from relman.notes.blurb import next_files

    return next_files(config.project_dir)


def draft_notes(
    config: Config, version: str, *, date: str | None = None, name: str | None = None
) -> str:
    """The notes of ``version`` as the build would write them; changes nothing.

    For towncrier this is what ``towncrier build --draft --version X`` prints
    (without the final newline click adds); for blurb the text of
    ``Misc/NEWS.d/<version>.rst``.
    """
    _check_version(version)
    if _system(config) == "towncrier":
        from relman.notes.towncrier import find_fragments, render_notes

        settings = _settings(config)
        scan = find_fragments(settings)
        _refuse_invalid(scan.invalid, settings)
        return render_notes(settings, scan.fragments, version=version, date=date, name=name).content
    from relman.notes.blurb import find_entries, render_release

    return render_release(find_entries(config.project_dir), version, date=date)


def _refuse_invalid(invalid: Sequence[Path], settings: Settings) -> None:
    """Files in the fragment folder that are not fragments.

    As towncrier: skipped with a warning, unless the configuration sets
    ``ignore`` (then every other file must be a fragment and the build
    stops). `relman notes check` reports them either way.
    """
    if not invalid:
        return
    names = ", ".join(str(p) for p in invalid)
    if settings.ignore is None:
        _report.warn(f"not a news fragment, skipped: {names}")
        return
    raise CheckFailed(
        f"not a news fragment (unknown type or bad name): {names}",
        hint="name fragments <issue>.<type>[.<counter>].<ext> with a type of: "
        + ", ".join(settings.type_map)
        + "; or list the file under tool.towncrier.ignore",
    )


def plan_notes(
    config: Config,
    version: str,
    *,
    date: str | None = None,
    name: str | None = None,
    repo: Repo | None = None,
) -> NotesPlan:
    """Compute the files :func:`build_notes` writes and removes; raises, writes nothing.

    In NumPy's layout (the news file is ignored by git and the release's
    tracked notes file includes it) the notes go into the including file in
    place of the include, and the ignored file is not written. ``repo`` is
    the project's repository when the caller has found it already.
    """
    _check_version(version)
    files: dict[Path, bytes] = {}
    ignored: list[Path] = []
    if _system(config) == "towncrier":
        from relman.notes.layout import include_pattern, including_file, replace_include
        from relman.notes.towncrier import (
            find_fragments,
            news_file_name,
            plan_news_file,
            render_notes,
        )

        settings = _settings(config)
        scan = find_fragments(settings)
        _refuse_invalid(scan.invalid, settings)
        rendered = render_notes(settings, scan.fragments, version=version, date=date, name=name)
        path = settings.base_dir / news_file_name(settings, version=version, date=date, name=name)
        text = rendered.content
        if repo is None:
            repo = _find_repo(config)
        news_ignored = _is_ignored(repo, path)
        including = (
            including_file(repo, path, version, ignored=True)
            if repo is not None and news_ignored
            else None
        )
        old = _read_utf8(including) if including is not None else ""
        if including is not None and include_pattern(path.name).search(old):
            files[including] = replace_include(old, path.name, text).encode("utf-8")
            path = including
        else:
            files[path] = plan_news_file(settings, rendered, path)
            if news_ignored:
                ignored.append(path)
        remove = tuple(Path(f.path) for f in scan.fragments)
    else:
        from relman.notes.blurb import find_entries, release_file, render_release

        path = release_file(config.project_dir, version)
        if path.exists():
            raise UsageError(
                f"{path} already exists",
                hint="the notes of this version were built already",
            )
        entries = find_entries(config.project_dir)
        text = render_release(entries, version, date=date)
        files[path] = text.encode("utf-8")
        remove = tuple(e.path for e in entries if e.path is not None)
    if config.notes.release_index:
        index = config.project_dir / config.notes.release_index
        new = _plan_release_index(index, path)
        if new is not None:
            files[index] = new
            if config.notes.system == "towncrier" and _is_ignored(repo, index):
                ignored.append(index)
    return NotesPlan(
        version=version,
        notes_path=path,
        text=text,
        files=files,
        remove=remove,
        ignored=tuple(ignored),
    )


def _find_repo(config: Config) -> Repo | None:
    from relman.errors import NotARepository
    from relman.git import find_repo

    try:
        return find_repo(config.project_dir)
    except NotARepository:
        return None


def _is_ignored(repo: Repo | None, path: Path) -> bool:
    """Whether git ignores ``path`` (never a tracked file, nor one outside ``repo``)."""
    if repo is None:
        return False
    try:
        rel = path.resolve().relative_to(repo.root.resolve()).as_posix()
    except ValueError:
        return False
    return repo.is_ignored(rel)


def _read_utf8(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckFailed(f"{path}: not valid UTF-8 ({exc.reason})") from None


def _including_file(
    config: Config, news_file: Path, version: str, repo: Repo | None = None
) -> Path | None:
    from relman.notes.layout import including_file

    if repo is None:
        repo = _find_repo(config)
    return None if repo is None else including_file(repo, news_file, version)


def notes_home(config: Config, version: str) -> tuple[Path, str | None] | None:
    """The file the notes of ``version`` are committed in, and the file it includes.

    The news file itself, or in NumPy's layout the tracked release notes file
    that includes the ignored news file (then the second item is the included
    file's name, which the committed notes no longer include). None without
    a fragment system.
    """
    target = notes_file(config, version)
    if target is None:
        return None
    if config.notes.system == "towncrier":
        including = _including_file(config, target, version)
        if including is not None:
            return including, target.name
    return target, None


def notes_done(config: Config, repo: Repo, version: str, *, rev: str = "HEAD") -> bool:
    """Whether the notes of ``version`` are committed at ``rev`` where the project keeps them.

    The notes file (see :func:`notes_home`) must hold them at ``rev`` and no
    fragment may be pending. A news file git ignores that no tracked file
    includes is never committed: then the notes are done when it holds them.
    """
    from relman.notes.layout import notes_committed

    home = notes_home(config, version)
    if home is None or pending_fragments(config):
        return False
    path, include_of = home
    rel = path.resolve().relative_to(repo.root.resolve()).as_posix()
    start = _settings(config).start_string if config.notes.system == "towncrier" else ""
    if include_of is None and not repo.ls_files(rel) and repo.is_ignored(rel):
        if not path.exists():
            return False
        from relman.notes.sections import names_version, release_section

        text = _read_utf8(path)
        return release_section(
            text, version, filename=rel, start_string=start
        ) is not None or names_version(text, version)
    return notes_committed(repo, rel, version, rev=rev, start_string=start, include_of=include_of)


def release_notes(
    config: Config, repo: Repo, version: str, *, rev: str, medium: str = "text"
) -> str:
    """This release's section of the notes committed at ``rev``, for ``medium``.

    ``medium`` is ``"text"`` (plain text, for mail), ``"markdown"`` (GitHub)
    or ``"source"`` (the section as written). Empty when the release has no
    notes there; the whole file when no section names the version.
    """
    from relman.notes.sections import Section, as_markdown, as_plain_text, release_section

    home = notes_home(config, version)
    if home is None:
        return ""
    path = home[0]
    rel = path.resolve().relative_to(repo.root.resolve()).as_posix()
    text = repo.show_file(rev, rel)
    if text is None:
        return ""
    start = _settings(config).start_string if config.notes.system == "towncrier" else ""
    section = release_section(text, version, filename=rel, start_string=start)
    if section is None:
        from packaging.version import InvalidVersion, Version

        try:
            base = Version(version).base_version
        except InvalidVersion:
            base = version
        if base != version:
            section = release_section(text, base, filename=rel, start_string=start)
    if section is None:
        body = text.split(start.strip(), 1)[-1] if start.strip() else text
        section = Section(title="", body=body.strip("\n"), markdown=rel.lower().endswith(".md"))
    if medium == "markdown":
        return as_markdown(section)
    if medium == "text":
        return as_plain_text(section)
    return section.body


def _plan_release_index(index: Path, notes: Path) -> bytes | None:
    from relman.notes.fragments import add_toctree_entry

    try:
        old = index.read_bytes().decode("utf-8") if index.exists() else ""
    except UnicodeDecodeError as exc:
        raise CheckFailed(f"{index}: not valid UTF-8 ({exc.reason})") from None
    entry = os.path.splitext(os.path.relpath(notes, index.parent))[0].replace(os.sep, "/")
    new = add_toctree_entry(old, entry)
    return None if new == old else new.encode("utf-8")


def build_notes(
    config: Config,
    version: str,
    *,
    commit: bool = False,
    date: str | None = None,
    name: str | None = None,
) -> NotesResult:
    """Write the notes of ``version``, ``git rm`` the used fragments, maybe commit.

    All or nothing: everything is computed and checked first; if removing the
    fragments fails, the written files are restored.
    """
    from relman import _atomic
    from relman.git import find_repo

    repo = find_repo(config.project_dir)
    plan = plan_notes(config, version, date=date, name=name, repo=repo)
    root = repo.root.resolve()
    rel = [os.path.relpath(p.resolve(), root) for p in plan.remove]
    tracked = set(repo.ls_files(*rel)) if rel else set()
    originals = {p: (p.read_bytes() if p.exists() else None) for p in plan.files}
    _atomic.write_many(plan.files)
    try:
        to_rm = [r for r in rel if r in tracked]
        if to_rm:
            repo.remove_paths(to_rm)
        written_rel = [os.path.relpath(p.resolve(), root) for p in plan.files]
        if _system(config) == "towncrier":
            # as towncrier: a news file the project's .gitignore lists (NumPy's
            # notes-towncrier.rst) is written but neither staged nor committed
            ignored = [os.path.relpath(p.resolve(), root) for p in plan.ignored]
            for r in ignored:
                _report.warn(
                    f"{r} is ignored by git and no tracked notes file of {version} includes "
                    "it: written, not committed"
                )
            written_rel = [r for r in written_rel if r not in ignored]
            repo.add_paths(written_rel)
        else:
            repo.add_paths(written_rel, force=True)  # as blurb does
        sha = None
        if commit:
            message = config.notes.commit_message.format(version=version, name=config.name)
            sha = repo.commit_paths(message, [*written_rel, *to_rm])
    except BaseException:
        _restore(repo, originals, rel, tracked)
        raise
    # untracked fragments go last: git cannot bring them back
    for r in rel:
        if r not in tracked:
            with contextlib.suppress(FileNotFoundError):
                (root / r).unlink()
    _report.info(
        f"wrote {', '.join(str(p) for p in plan.files)}; removed {len(plan.remove)} fragments"
    )
    return NotesResult(
        version=version,
        written=tuple(plan.files),
        removed=plan.remove,
        commit=sha,
    )


def _restore(
    repo: Repo, originals: dict[Path, bytes | None], removed: list[str], tracked: set[str]
) -> None:
    from relman import _atomic

    with contextlib.suppress(Exception):
        restore = [r for r in removed if r in tracked]
        if restore:
            repo.restore_paths(restore)
    for path, old in originals.items():
        with contextlib.suppress(Exception):
            rel = os.path.relpath(path.resolve(), repo.root.resolve())
            if old is None:
                repo.git_ok("rm", "-q", "--cached", "--ignore-unmatch", "--", rel)
                path.unlink(missing_ok=True)
            else:
                _atomic.write_bytes(path, old)
                repo.git_ok("reset", "-q", "--", rel)


def start_notes(config: Config, version: str) -> list[Path]:
    """Create the notes file of the next release ``version`` from the template.

    NumPy-style: copies ``tool.relman.notes.template`` (``{version}`` and
    ``{name}`` replaced) to the per-release notes file and adds it to the
    release index. Returns the files written; empty when the project keeps one
    news file (nothing to start) or the file exists already.
    """
    from relman import _atomic

    files = plan_start_notes(config, version, quiet=False)
    _atomic.write_many(files)
    return list(files)


def plan_start_notes(config: Config, version: str, *, quiet: bool = True) -> dict[Path, bytes]:
    """The files :func:`start_notes` writes for ``version`` and their bytes; writes nothing.

    The new notes file first, then the release index when it gains the entry;
    empty when there is nothing to start. ``quiet=False`` says why not.
    """
    from relman.notes.fragments import start_text

    say = (lambda text: None) if quiet else _report.info
    _check_version(version)
    if config.notes.release_index and (
        config.notes.system != "towncrier" or "{version}" not in _settings(config).filename
    ):
        return _start_release_file(config, version, say)
    if _system(config) != "towncrier":
        return {}
    settings = _settings(config)
    if settings.single_file:
        say(f"{settings.filename} is one file for every release: nothing to start")
        return {}
    path = notes_file(config, version)
    assert path is not None
    if path.exists():
        say(f"{path} exists already")
        return {}
    template_text: str | None = None
    if config.notes.template:
        tpl = config.project_dir / config.notes.template
        try:
            template_text = tpl.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise UsageError(
                f"the notes template {tpl} does not exist",
                hint="fix tool.relman.notes.template",
            ) from None
        except UnicodeDecodeError as exc:
            raise CheckFailed(f"{tpl}: not valid UTF-8 ({exc.reason})") from None
    title_format = settings.title_format if isinstance(settings.title_format, str) else ""
    text = start_text(
        template_text,
        version=version,
        name=settings.project_name() or config.name,
        title_format=title_format or "{name} {version} Release Notes",
        underline=settings.underlines[0] if settings.underlines else "=",
        highlights=config.notes.highlights,
        start_string=settings.start_string,
    )
    files: dict[Path, bytes] = {path: text.encode("utf-8")}
    if config.notes.release_index:
        index = config.project_dir / config.notes.release_index
        new = _plan_release_index(index, path)
        if new is not None:
            files[index] = new
    return files


def _start_release_file(
    config: Config, version: str, say: Callable[[str], None]
) -> dict[Path, bytes]:
    """SciPy's and NumPy's layout: one notes file per release, listed in the release index.

    The new file follows the newest entry of the index (``release/X.Y.Z-notes``)
    and starts from ``tool.relman.notes.template`` (NumPy's
    ``doc/source/release/template.rst``, its ``2.xx.x`` placeholder replaced)
    or, without one, from the previous release's title (SciPy).
    """
    from relman.notes.fragments import (
        ENTRY_VERSION,
        add_toctree_entry,
        entry_target,
        next_release_file,
        start_from_previous,
    )

    assert config.notes.release_index
    index = config.project_dir / config.notes.release_index
    if not index.is_file():
        raise UsageError(
            f"the release index {index} does not exist", hint="fix tool.relman.notes.release-index"
        )
    index_text = _read_utf8(index)
    found = next_release_file(index_text, version)
    if found is None:
        say(f"{index} lists no per-release notes file: nothing to start")
        return {}
    entry, previous = found
    path = index.parent / f"{entry_target(entry)}.rst"
    if path.exists():
        say(f"{path} exists already")
        return {}
    template = None
    if config.notes.template:
        tpl = config.project_dir / config.notes.template
        if not tpl.is_file():
            raise UsageError(
                f"the notes template {tpl} does not exist", hint="fix tool.relman.notes.template"
            )
        template = _read_utf8(tpl)
    prev_path = index.parent / f"{entry_target(previous)}.rst"
    prev_text = _read_utf8(prev_path) if prev_path.is_file() else None
    m = ENTRY_VERSION.match(entry_target(previous))
    old_version = m["version"] if m else ""
    text = start_from_previous(
        template, prev_text, old_version=old_version, version=version, name=config.name
    )
    return {
        path: text.encode("utf-8"),
        index: add_toctree_entry(index_text, entry).encode("utf-8"),
    }


def new_fragment(config: Config, issue: str, kind: str, text: str) -> Path:
    """Create a correctly named fragment for ``issue`` of type ``kind`` (blurb: section)."""
    from relman import _atomic

    if not text.strip():
        raise UsageError("the fragment text is empty", hint="pass -m TEXT or write it in $EDITOR")
    if _system(config) == "towncrier":
        from relman.notes.towncrier import fragment_filename

        settings = _settings(config)
        path = fragment_filename(settings, issue, kind)
        if settings.create_eof_newline and not text.endswith("\n"):
            text += "\n"
        _atomic.write_text(path, text)
        return path
    from relman.notes.blurb import new_entry_path, parse_entries, textwrap_body

    body = textwrap_body(text)
    path = new_entry_path(config.project_dir, issue, kind, body)
    parse_entries(
        body,
        metadata={
            "gh-issue": path.name.split(".")[1].removeprefix("gh-issue-"),
            "section": "Library",
        },
        filename=str(path),
    )
    _atomic.write_text(path, body)
    return path
