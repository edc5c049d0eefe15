"""The version towncrier would give the notes, read from the package as towncrier does.

towncrier takes the version from ``--version``, then its ``version``
setting, then the package named by ``package`` (under ``package_dir``): the
installed distribution's metadata first, then the package's ``__version__``
(a string or a tuple). relman reads ``__version__`` from the source without
importing the package when it is a literal, and imports it in a separate
Python only when it is not (``from ._version import __version__``).
"""

from __future__ import annotations

import ast
import contextlib
import importlib.metadata
import os
import sys
from pathlib import Path

from relman.notes.towncrier import Settings

__all__ = ["package_version"]


def _literal_version(source: str) -> str | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = list(node.targets), node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if not any(isinstance(t, ast.Name) and t.id == "__version__" for t in targets):
            continue
        try:
            found = ast.literal_eval(value) if value is not None else None
        except ValueError:
            return None
        if isinstance(found, str):
            return found.strip()
        if isinstance(found, tuple):
            return ".".join(map(str, found)).strip()
        return None
    return None


def _imported_version(package_dir: Path, package: str) -> str | None:
    from relman import _proc

    code = (
        "import sys, importlib\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "v = getattr(importlib.import_module(sys.argv[2]), '__version__', None)\n"
        "if isinstance(v, tuple): v = '.'.join(map(str, v))\n"
        "elif v is not None and not isinstance(v, str) and hasattr(v, 'base'):\n"
        "    v = str(v.base()).replace('.rc', 'rc')\n"
        "print(v.strip() if isinstance(v, str) and v else '')\n"
    )
    out = _proc.run(
        [sys.executable, "-c", code, os.fspath(package_dir), package],
        cwd=package_dir,
        check=False,
    )
    text = out.stdout.strip()
    return text.splitlines()[-1] if out.returncode == 0 and text else None


def package_version(settings: Settings) -> str | None:
    """The version of ``settings.package`` as towncrier reads it; None when it cannot."""
    if settings.version:
        return settings.version
    package = settings.package
    if not package:
        return None
    with contextlib.suppress(importlib.metadata.PackageNotFoundError, ValueError):
        if found := importlib.metadata.version(package):
            return found
    base = Path(os.path.abspath(settings.base_dir / settings.package_dir))
    for candidate in (base / package / "__init__.py", base / f"{package}.py"):
        try:
            source = candidate.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        literal = _literal_version(source)
        if literal:
            return literal
        break
    if not (base / package).is_dir() and not (base / f"{package}.py").is_file():
        return None
    return _imported_version(base, package)
