"""The copyright check: the release year appears in the copyright notices."""

from __future__ import annotations

import re
from collections.abc import Iterator

from relman.checks import CheckContext, Finding, Skip, get_check, register

ID = "copyright"

_NOTICE = re.compile(r"copyright|\(c\)|©", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_RANGE = re.compile(r"\b((?:19|20)\d{2})\s*[-–]\s*((?:19|20)\d{2})\b")


def _covers(line: str, year: int) -> bool:
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
    for path in files:
        text = ctx.read_text(path)
        if text is None:
            yield check.finding("copyright file is missing", file=path)
            continue
        notices = [(n, line) for n, line in enumerate(text.splitlines(), 1) if _NOTICE.search(line)]
        dated = [(n, line) for n, line in notices if _YEAR.search(line)]
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
