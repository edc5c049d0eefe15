"""Reading and writing the version wherever a project keeps it.

This module knows the source kinds; :func:`detect_files` finds them in a
project, :func:`read_sources` reads each one's version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relman.config import Config, VersionFile

__all__ = ["SourceValue", "detect_files", "dynamic_backend", "read_sources"]

_DUNDER = re.compile(
    r"""^__version__\s*(?::\s*str\s*)?=\s*(?P<q>['"])(?P<version>[^'"]+)(?P=q)""", re.M
)

_DYNAMIC_BACKENDS = {
    "setuptools_scm": "setuptools_scm",
    "setuptools-scm": "setuptools_scm",
    "hatch-vcs": "hatch-vcs",
    "hatch_vcs": "hatch-vcs",
    "versioneer": "versioneer",
    "pdm-backend": None,
}


@dataclass(frozen=True)
class SourceValue:
    source: VersionFile
    kind: str
    version: str | None
    error: str | None = None


def dynamic_backend(pyproject: Mapping[str, Any], project_dir: Path) -> str | None:
    """The tool that derives the version from git, when the version is dynamic."""
    project = pyproject.get("project", {})
    if "version" not in project.get("dynamic", []):
        return None
    requires = " ".join(pyproject.get("build-system", {}).get("requires", []))
    for needle, name in _DYNAMIC_BACKENDS.items():
        if needle in requires and name:
            return name
    tool = pyproject.get("tool", {})
    if "setuptools_scm" in tool:
        return "setuptools_scm"
    if tool.get("hatch", {}).get("version", {}).get("source") == "vcs":
        return "hatch-vcs"
    if (project_dir / "versioneer.py").is_file():
        return "versioneer"
    return None


def _package_dirs(project_dir: Path, pyproject: Mapping[str, Any]) -> list[Path]:
    name = str(pyproject.get("project", {}).get("name", project_dir.name))
    import_name = re.sub(r"[-.]+", "_", name).lower()
    candidates = [project_dir / "src" / import_name, project_dir / import_name]
    found = [c for c in candidates if (c / "__init__.py").is_file()]
    if not found:
        # the import name differs from the distribution name: the single package in src/
        src = sorted(p.parent for p in (project_dir / "src").glob("*/__init__.py"))
        if len(src) == 1:
            found = src
    return found


def detect_files(project_dir: Path, pyproject: Mapping[str, Any]) -> list[VersionFile]:
    """Every version source found in a project, in the order relman checks them."""
    found: list[VersionFile] = []
    if isinstance(pyproject.get("project", {}).get("version"), str):
        found.append(VersionFile(path="pyproject.toml", kind="pyproject"))
    for pkg in _package_dirs(project_dir, pyproject):
        for candidate in (pkg / "__init__.py", pkg / "_version.py", pkg / "version.py"):
            if candidate.is_file() and _DUNDER.search(
                candidate.read_text(encoding="utf-8", errors="replace")
            ):
                found.append(
                    VersionFile(path=candidate.relative_to(project_dir).as_posix(), kind="python")
                )
                break
    return found


def _read_one(project_dir: Path, source: VersionFile) -> SourceValue:
    path = project_dir / source.path
    kind = source.kind or ("pyproject" if path.name == "pyproject.toml" else "python")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return SourceValue(source, kind, None, f"cannot read {source.path}: {exc.strerror}")
    if kind == "pyproject":
        from relman.config import parse_toml

        version = parse_toml(text, path).get("project", {}).get("version")
        return SourceValue(source, kind, version if isinstance(version, str) else None)
    pattern = re.compile(source.pattern, re.M) if source.pattern else _DUNDER
    m = pattern.search(text)
    if not m:
        return SourceValue(source, kind, None, f"no version found in {source.path}")
    return SourceValue(source, kind, m.group("version"))


def read_sources(config: Config) -> list[SourceValue]:
    return [_read_one(config.project_dir, s) for s in config.version.files]
