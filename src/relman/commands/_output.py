"""A command's results as text, without click.

:func:`json_text` is the ``--json`` form of a result (every string redacted);
:func:`relman.commands._common.emit` prints it, and so does the CLI for the
command it runs before importing click (``relman status``). :func:`as_plain`
is a result as JSON-ready data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from relman import _redact

__all__ = ["as_plain", "json_text"]


def _default(o: Any) -> Any:
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    import dataclasses

    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    raise TypeError(f"cannot serialise {type(o).__name__}")


def as_plain(obj: Any) -> Any:
    """Dataclasses, paths and mappings as JSON-ready data."""
    import json

    return json.loads(json.dumps(obj, default=_default))


def json_text(data: Any) -> str:
    """``data`` as indented JSON, every string of it through :func:`relman._redact.data`."""
    import json

    return json.dumps(_redact.data(as_plain(data)), indent=2, ensure_ascii=False)
