"""The commands relman has and its global options, as data (no click here).

``relman --help`` is printed from this table without importing click
(:func:`relman.cli.render_help`); the click group
(:mod:`relman.commands._root`) and the global options
(:func:`relman.commands._common.global_options`) are built from it too, so
the two never disagree (``tests/test_cli.py`` compares them at every width).
"""

from __future__ import annotations

__all__ = ["COMMANDS", "GROUP_HELP", "OPTION_HELP", "OPTION_ROWS"]

# name -> (module, attribute, short help). Help text lives here so that
# `relman --help` does not import every command.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "status": (
        "relman.commands.status",
        "status",
        "Project, version, last release and next versions.",
    ),
    "config": (
        "relman.commands.status",
        "config_cmd",
        "Resolved configuration and where each value came from.",
    ),
    "init": ("relman.commands.status", "init", "Show (or write) the detected [tool.relman] table."),
    "version": ("relman.commands.version", "version", "Show, check, bump and set the version."),
    "notes": ("relman.commands.notes", "notes", "Release notes from news fragments."),
    "changelog": (
        "relman.commands.history",
        "changelog",
        "Contributors and merged pull requests of a release.",
    ),
    "authors": ("relman.commands.history", "authors", "Authors of a range with commit counts."),
    "mailmap": ("relman.commands.history", "mailmap", "Find duplicate identities for .mailmap."),
    "backports": (
        "relman.commands.history",
        "backports",
        "Pull requests marked for backport and where they are.",
    ),
    "check": ("relman.commands.check", "check", "Preflight checks before a release."),
    "support": ("relman.commands.check", "support", "NEP 29 / SPEC 0 support windows."),
    "build": ("relman.commands.artifacts", "build", "Build sdist and wheels from a clean export."),
    "inspect": (
        "relman.commands.artifacts",
        "inspect",
        "Inspect metadata and contents of artifacts.",
    ),
    "verify": (
        "relman.commands.artifacts",
        "verify",
        "Install and test artifacts in clean environments.",
    ),
    "checksums": (
        "relman.commands.artifacts",
        "checksums",
        "Write SHA256SUMS, signatures and a release README.",
    ),
    "verify-signatures": (
        "relman.commands.artifacts",
        "verify_signatures",
        "Check detached signatures.",
    ),
    "wheels": ("relman.commands.wheels", "wheels", "Fetch wheels built elsewhere."),
    "ci": ("relman.commands.ci", "ci", "The CI workflow that builds every wheel (GitHub Actions)."),
    "publish": (
        "relman.commands.publish",
        "publish",
        "Upload artifacts to a package index, wheels first.",
    ),
    "schedule": (
        "relman.commands.schedule",
        "schedule",
        "Propose a feature release's dates: branch cut, betas, rcs, final.",
    ),
    "plan": ("relman.commands.release", "plan", "Show every release step and its state."),
    "release": ("relman.commands.release", "release", "Run (or resume) a whole release."),
    "demo": ("relman.commands.release", "demo", "A full release of the example project, offline."),
}

GROUP_HELP = """relman: the release manager's tool for Python projects.

Every step of a release as one verified command, and the whole release
as one resumable command: `relman release VERSION`.

Exit codes: 0 ok, 1 a check failed, 2 usage or configuration error,
3 nothing to do, 4 an external command failed, 5 a remote service
failed, 130 interrupted (Ctrl-C or SIGTERM)."""

# the help of each global option (see relman.commands._common.global_options)
OPTION_HELP = {
    "--project": "Project folder (default: nearest pyproject.toml, else setup.py, upward).",
    "--json": "Machine-readable output on stdout.",
    "--verbose": "More output; tracebacks on errors.",
    "--yes": "Answer yes to confirmations (non-interactive use).",
    "--dry-run": "Show what would change; change nothing.",
}

# the Options rows of `relman --help`, as click shows them for the group
OPTION_ROWS = (
    ("--version", "Show the version and exit."),
    ("--project DIRECTORY", OPTION_HELP["--project"]),
    ("--json", OPTION_HELP["--json"]),
    ("-v, --verbose", OPTION_HELP["--verbose"]),
    ("-y, --yes", OPTION_HELP["--yes"]),
    ("--dry-run", OPTION_HELP["--dry-run"]),
    ("-h, --help", "Show this message and exit."),
)
