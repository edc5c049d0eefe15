"""Regular expressions compiled when first used, not when their module is imported.

Compiling a pattern costs tens to hundreds of microseconds; relman's modules
hold some seventy, and a command uses a handful, so compiling them at import
made every command pay for all of them. ``LazyPattern(r"...", re.M)`` stands
where ``re.compile(r"...", re.M)`` stood: it offers the methods of
:class:`re.Pattern` relman uses and compiles on the first call. The compiled
pattern's own methods then replace the instance's, so later calls cost what
calls of the compiled pattern cost.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import Any, AnyStr, Generic

__all__ = ["LazyPattern"]

_METHODS = ("match", "search", "fullmatch", "sub", "subn", "finditer", "findall", "split")


class LazyPattern(Generic[AnyStr]):
    """A :func:`re.compile` deferred to the first match, search or substitution."""

    def __init__(self, pattern: AnyStr, flags: int | re.RegexFlag = 0) -> None:
        self.pattern: AnyStr = pattern
        self._flags = flags

    def compiled(self) -> re.Pattern[AnyStr]:
        """The compiled pattern (compiled now if it was not yet)."""
        rx = re.compile(self.pattern, self._flags)
        # the compiled pattern's bound methods shadow this class's from now on
        for name in _METHODS:
            setattr(self, name, getattr(rx, name))
        setattr(self, "compiled", lambda: rx)  # noqa: B010 (shadows the method)
        return rx

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}, {self._flags!r})"

    def match(
        self, string: AnyStr, pos: int = 0, endpos: int = sys.maxsize
    ) -> re.Match[AnyStr] | None:
        return self.compiled().match(string, pos, endpos)

    def search(
        self, string: AnyStr, pos: int = 0, endpos: int = sys.maxsize
    ) -> re.Match[AnyStr] | None:
        return self.compiled().search(string, pos, endpos)

    def fullmatch(
        self, string: AnyStr, pos: int = 0, endpos: int = sys.maxsize
    ) -> re.Match[AnyStr] | None:
        return self.compiled().fullmatch(string, pos, endpos)

    def sub(
        self,
        repl: AnyStr | Callable[[re.Match[AnyStr]], AnyStr],
        string: AnyStr,
        count: int = 0,
    ) -> AnyStr:
        return self.compiled().sub(repl, string, count)

    def subn(
        self,
        repl: AnyStr | Callable[[re.Match[AnyStr]], AnyStr],
        string: AnyStr,
        count: int = 0,
    ) -> tuple[AnyStr, int]:
        return self.compiled().subn(repl, string, count)

    def finditer(
        self, string: AnyStr, pos: int = 0, endpos: int = sys.maxsize
    ) -> Iterator[re.Match[AnyStr]]:
        return self.compiled().finditer(string, pos, endpos)

    def findall(self, string: AnyStr, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        return self.compiled().findall(string, pos, endpos)

    def split(self, string: AnyStr, maxsplit: int = 0) -> list[AnyStr | Any]:
        return self.compiled().split(string, maxsplit)
