"""The copyright check: the release year appears in the copyright notices.

Files named in ``checks.copyright-files`` must each hold a dated notice that
covers the release year (alone, in a range like ``2019-2026``, or in an open
range like ``2008-present``). When the files are only detected (the
``LICENSE*``/``COPYING*`` files), relman asks that of the notices a project
visibly maintains, the year ranges: a license text with no dated notice
(Apache-2.0) or a notice with only the year of first publication
(``Copyright 2014 Pallets``) is how many projects keep it, and passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from relman.checks import CheckContext, Finding, Skip, get_check, register

ID = "copyright"

_NOTICE = re.compile(r"copyright|\(c\)|©", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_RANGE = re.compile(r"\b((?:19|20)\d{2})\s*[-–]\s*((?:19|20)\d{2})\b")
_OPEN_RANGE = re.compile(r"\b((?:19|20)\d{2})\s*[-–]\s*(?:present|now|today)\b", re.I)


def _covers(line: str, year: int) -> bool:
    for m in _OPEN_RANGE.finditer(line):
        if int(m.group(1)) <= year:
            return True
    for m in _RANGE.finditer(line):
        if int(m.group(1)) <= year <= int(m.group(2)):
            return True
    return any(int(y) == year for y in _YEAR.findall(line))


@register(ID, "the release year appears in the copyright notices of the configured files")
def check_copyright(ctx: CheckContext) -> Iterator[Finding]:
    check = get_check(ID)
    files = ctx.config.checks.copyright_files
    if not files:
        raise Skip("no copyright files configured (checks.copyright-files)")
    year = ctx.date.year
    detected = ctx.config.origins.get("checks.copyright-files") == "detected"
    for path in files:
        text = ctx.read_text(path)
        if text is None:
            yield check.finding("copyright file is missing", file=path)
            continue
        notices = [(n, line) for n, line in enumerate(text.splitlines(), 1) if _NOTICE.search(line)]
        dated = [(n, line) for n, line in notices if _YEAR.search(line)]
        if detected:
            # only the notices the project keeps up to date (year ranges)
            dated = [
                (n, line) for n, line in dated if _RANGE.search(line) or _OPEN_RANGE.search(line)
            ]
            if not dated:
                continue
        if not dated:
            yield check.finding(
                "no dated copyright notice found",
                file=path,
                hint=f"add a line like `Copyright (c) {year}, The project developers`",
            )
            continue
        if not any(_covers(line, year) for _, line in dated):
            n, _line = dated[0]
            years = sorted({int(y) for _, ln in dated for y in _YEAR.findall(ln)})
            first = years[0] if years else year
            yield check.finding(
                f"the copyright notice does not include {year}",
                file=path,
                line=n,
                hint=f"update it to {first}-{year}",
            )
