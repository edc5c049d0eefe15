"""What `relman notes draft` prints, without click.

:func:`draft` is the draft as data (the ``--json`` output) and how its text
ends; :func:`notes_version` is the version the notes are for when none is
given. The click commands (:mod:`relman.commands.notes`) use them, and so does
the CLI for a plain ``relman notes draft`` before it has imported click
(:func:`relman.cli.main`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relman.git import Repo

__all__ = ["draft", "notes_version"]


def draft(
    config: Any, version: str | None, *, date: str | None, name: str | None
) -> tuple[dict[str, str], bool]:
    """The notes of ``version`` (``{"version", "notes"}``), and whether their text is
    printed with a newline after it: towncrier's draft ends with the one its command
    adds, blurb's text has its own."""
    from relman.notes import draft_notes

    version = notes_version(config, version)
    text = draft_notes(config, version, date=date, name=name)
    return {"version": version, "notes": text}, config.notes.system != "blurb"


def notes_version(config: Any, version: str | None) -> str:
    """The version given, or the one the project is heading for.

    Without ``--version``: towncrier's ``version`` setting (in pyproject.toml
    or towncrier.toml), then the release the project's files head for (or, for
    a version from git, the one its build backend computes for the checkout:
    9.1.1 for 9.1.1.dev12+g1234abc), then the package's version as towncrier
    reads it (metadata, ``__version__``).
    """
    if version:
        return version
    from packaging.version import InvalidVersion, Version

    from relman.errors import UsageError
    from relman.line import current_version

    settings = None
    if config.notes.system == "towncrier":
        from relman.notes.towncrier import load_settings

        settings = load_settings(config.project_dir, config.pyproject)
        if settings.version:
            return str(settings.version)
    found = current_version(config)  # from the files: no git call
    if found is None:
        found = current_version(config, _checkout(config))
    if found is None and settings is not None:
        from relman.notes.towncrier_project import package_version

        found = package_version(settings)
        if found is not None:
            return found
    if found is None:
        raise UsageError(
            "no --version given and the project's version could not be read",
            hint="pass --version X (or set version in [tool.towncrier])",
        )
    try:
        v = Version(found)
    except InvalidVersion:
        return found
    return v.base_version if v.is_devrelease else str(v)


def _checkout(config: Any) -> Repo | None:
    """The repository, when the version comes from git (setuptools-scm, hatch-vcs, ...):
    with it :func:`relman.line.current_version` computes the checkout's version, which
    comes before an installed package's of the same name. None otherwise, or outside
    a repository (or in one without commits)."""
    from relman.line import version_source

    if not version_source(config).from_git:
        return None
    from relman.errors import NotARepository
    from relman.git import find_repo

    try:
        repo = find_repo(config.project_dir)
    except NotARepository:
        return None
    return repo if repo.has_commits() else None
