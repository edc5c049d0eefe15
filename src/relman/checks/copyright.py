"""The copyright check: the project's own copyright notices cover the release year.

The files are ``checks.copyright-files`` (detected: the ``LICENSE*``,
``LICENCE*`` and ``COPYING*`` files at the top). The same list means the same
thing whether it was detected or written to the configuration.

A *notice* is a copyright marker (``Copyright``, ``(c)``, ``©``) followed by
its years and its holder. The years may be one year, a range (``2019-2026``,
``1991 - 1995``), an open range (``2008-present``, ``1987-``) or a list
(``2001, 2002, 2003``), the list possibly wrapped over lines as CPython's PSF
notice is; one line may hold several notices (SciPy's ``Copyright (c)
2001-2002 Enthought, Inc. 2003, SciPy Developers.``).

Only the notices of the project's own holder are held to the release year:
the holder named by ``checks.copyright-holder``; else the holders that name
the project or one of its authors (``[project]``); else the holder of the most
recent notice. Other holders' notices are history (SciPy's Enthought, CPython's
CWI and CNRI) and never flagged. An own notice that ends before the release
year is a warning: a stale end year does not void the notice, and NumPy and
astropy routinely release in January under last year's (``checks.severity =
{copyright = "error"}`` makes it stop the release, for projects whose checklist
updates the year, as CPython's does); a configured file that is missing, or
no notice of a configured holder, is an error. A notice without an end year (``Copyright 2014 Pallets``, SciPy's
``2003, SciPy Developers`` since it dropped the end year) is fine. Files with no
dated notice (a bare Apache-2.0 text) have nothing to hold; when no file has
one, the check is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from relman._regex import LazyPattern
from relman.checks import CheckContext, Finding, Skip, get_check, register

__all__ = ["Notice", "find_notices", "own_notices"]

ID = "copyright"

_Y = r"(?:19|20)\d{2}"
_SEP = r"\s*(?:[-–]|,)\s*"
_OPEN_WORD = r"(?:present|now|today)"
# one group of years: 2001-2002 / 2001, 2002,\n 2003 / 2008-present / 1987-
_YEARS = rf"{_Y}(?:{_SEP}(?:{_Y}|{_OPEN_WORD})\b)*(?:\s*[-–](?!\s*(?:{_Y}|{_OPEN_WORD})))?"
_MARKER = LazyPattern(r"copyright\b|\(c\)|©", re.I)
_LEAD = LazyPattern(rf"(?:\s|\(c\)|©|[=:\"'])*({_YEARS})", re.I)
_NEXT_GROUP = LazyPattern(rf"(?<![\w.]){_YEARS}(?=[\s,.;]|$)", re.I)
_YEAR = LazyPattern(rf"\b{_Y}\b")


@dataclass(frozen=True)
class Notice:
    """One dated copyright notice: its years and holder, where it starts."""

    line: int
    years: str
    holder: str
    first: int
    last: int | None  # None: open-ended or a single year (no end year)

    def covers(self, year: int) -> bool:
        return self.last is None or self.last >= year


def _parse_years(text: str) -> tuple[int, int | None]:
    years = [int(y) for y in _YEAR.findall(text)]
    first = min(years)
    tail = text.rstrip()
    if re.search(rf"[-–]\s*(?:{_OPEN_WORD})?$", tail, re.I):
        return first, None  # 2008-present, 1987-
    if len(years) == 1:
        return first, None  # the year of first publication only
    return first, max(years)


def _holder(text: str) -> str:
    text = re.split(r";|\ball rights reserved\b", text, maxsplit=1, flags=re.I)[0]
    return text.strip(" \t,.\"'").strip()


def find_notices(text: str) -> list[Notice]:
    """The dated copyright notices of ``text``, in order."""
    notices: list[Notice] = []
    read = 0
    for marker in _MARKER.finditer(text):
        if marker.start() < read:
            continue  # the "(c)" of "Copyright (c) 2020", already read
        lead = _LEAD.match(text, marker.end())
        if lead is None:
            continue  # "the above copyright notice", "Copyright (c) Individual contributors"
        start = lead.start(1)
        pos = lead.end(1)
        years = lead.group(1)
        while True:
            eol = text.find("\n", pos)
            eol = len(text) if eol < 0 else eol
            nxt = _NEXT_GROUP.search(text, pos, eol)
            holder_end = nxt.start() if nxt else eol
            first, last = _parse_years(years)
            notices.append(
                Notice(
                    line=text.count("\n", 0, start) + 1,
                    years=" ".join(years.split()),
                    holder=_holder(text[pos:holder_end]),
                    first=first,
                    last=last,
                )
            )
            if nxt is None:
                read = pos
                break
            start, pos, years = nxt.start(), nxt.end(), nxt.group(0)
    return notices


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^\w]+", text.lower()) if len(w) > 1}


def _project_names(pyproject: Mapping[str, object]) -> list[str]:
    project = pyproject.get("project")
    if not isinstance(project, Mapping):
        return []
    names = [str(project.get("name", ""))]
    for key in ("authors", "maintainers"):
        for person in project.get(key) or []:
            if isinstance(person, Mapping) and person.get("name"):
                names.append(str(person["name"]))
    return [n for n in names if n]


def own_notices(
    notices: Sequence[Notice], *, holder: str | None, project_names: Sequence[str] = ()
) -> list[Notice]:
    """The notices of the project's own copyright holder (see the module docstring)."""
    if holder:
        want = " ".join(holder.lower().split())
        return [n for n in notices if want in " ".join(n.holder.lower().split())]
    named = []
    for name in project_names:
        words = _words(name)
        named += [n for n in notices if words and words <= _words(n.holder)]
    if named:
        return [n for n in notices if n in named]
    if not notices:
        return []
    latest = max(n.last or n.first for n in notices)
    holders = {n.holder for n in notices if (n.last or n.first) == latest}
    return [n for n in notices if n.holder in holders]


@register(ID, "the project's own copyright notices cover the release year")
def check_copyright(ctx: CheckContext) -> Iterator[Finding]:
    check = get_check(ID)
    files = ctx.config.checks.copyright_files
    if not files:
        raise Skip("no copyright files configured (checks.copyright-files)")
    year = ctx.date.year
    holder = ctx.config.checks.copyright_holder
    found: dict[str, list[Notice]] = {}
    for path in files:
        text = ctx.read_text(path)
        if text is None:
            yield check.finding("copyright file is missing", file=path)
            continue
        found[path] = find_notices(text)
    everything = [n for notices in found.values() for n in notices]
    if not everything:
        if found:
            raise Skip(f"no dated copyright notice in {', '.join(found)}: no year to keep up")
        return
    own = own_notices(everything, holder=holder, project_names=_project_names(ctx.pyproject))
    if holder and not own:
        yield check.finding(
            f"no copyright notice of {holder!r} found",
            file=next(iter(found)),
            hint=f"add a line like `Copyright (c) {year}, {holder}`, "
            "or correct checks.copyright-holder",
        )
        return
    for path, notices in found.items():
        for notice in notices:
            if notice not in own or notice.covers(year):
                continue
            hint = (
                f"add {year} to the list"
                if "," in notice.years
                else f"update it to {notice.first}-{year}"
            )
            yield check.finding(
                f"the copyright notice does not include {year}",
                file=path,
                line=notice.line,
                severity="warning",
                hint=f"{hint}, or drop the end year",
            )
