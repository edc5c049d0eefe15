"""A package's names imported from their modules when first used (PEP 562).

``__getattr__ = on_first_use(__name__, {"name": "module", ...}, globals())`` in a
package's ``__init__`` makes each name of the table load its module on
first use, and then stay in the package's namespace, so importing the
package (or one of its submodules) loads nothing else: ``relman --help``
does not load the library, ``publish`` reads the rule book without the
build and archive code, the CLI imports the changelog's field list before
anything else. A module named with a leading dot is relative to the
package.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

__all__ = ["on_first_use"]


def on_first_use(
    package: str, homes: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: each name of ``homes`` from its module."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, package), name)
        namespace[name] = value
        return value

    return __getattr__
