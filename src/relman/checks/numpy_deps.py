"""The numpy-deps check: NumPy's rules for downstream packages (build and runtime bounds).

From NumPy's guide for downstream package authors:

- a package compiled against NumPy's C API builds against ``numpy>=2`` in
  ``build-system.requires``: such wheels run with NumPy 1.x and 2.x
  (``oldest-supported-numpy`` is no longer needed);
- the runtime dependency has a lower bound;
- an upper bound, when set, is at least three minor versions ahead of the
  current NumPy (``<MAJOR.MINOR+N``, N >= 3), or, for C-API users, a pin of
  the next major version. One that is closer is a warning (a bound set three
  ahead falls behind as NumPy releases); one that leaves out the current
  NumPy is an error;
- a ``numpy<2`` pin is no longer needed once NumPy 2 is released.
"""

from __future__ import annotations

from collections.abc import Iterator

from relman.checks import CheckContext, Finding, Skip, get_check, register
from relman.checks.support import lower_bound, minor, requirements, upper_bound

ID = "numpy-deps"


@register(ID, "numpy build and runtime bounds follow NumPy's advice for downstream packages")
def check_numpy_deps(ctx: CheckContext) -> Iterator[Finding]:
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    from relman.support import RELEASES

    check = get_check(ID)
    pyfile = "pyproject.toml"
    build = requirements(ctx.pyproject.get("build-system", {}).get("requires"))
    runtime = requirements(ctx.pyproject.get("project", {}).get("dependencies"))
    build_np = [(r, t) for r, t in build if canonicalize_name(r.name) == "numpy"]
    oldest = [(r, t) for r, t in build if canonicalize_name(r.name) == "oldest-supported-numpy"]
    run_np = [(r, t) for r, t in runtime if canonicalize_name(r.name) == "numpy"]
    if not (build_np or oldest or run_np):
        raise Skip("the project does not depend on numpy")
    released = sorted(
        (Version(v) for v, d in RELEASES["numpy"].items() if d <= ctx.date), reverse=True
    )
    current = released[0] if released else Version("2.0")
    numpy2_out = Version("2.0") in released
    capi = bool(build_np or oldest)
    for _req, text in oldest:
        yield check.finding(
            "oldest-supported-numpy in build-system.requires",
            file=pyfile,
            line=ctx.line_of(pyfile, text),
            hint='build against "numpy>=2.0": those wheels run with NumPy 1.x and 2.x',
        )
    for req, text in build_np:
        low = lower_bound(req.specifier)
        high = upper_bound(req.specifier)
        if (low is None or low < Version("2.0rc1")) and numpy2_out:
            yield check.finding(
                f"build-system.requires {text!r} can build against NumPy 1.x, whose wheels "
                "do not run with NumPy 2",
                file=pyfile,
                line=ctx.line_of(pyfile, text),
                hint='require "numpy>=2.0" at build time (the runtime bound stays lower)',
            )
        elif high is not None and high <= Version("2.0") and numpy2_out:
            yield check.finding(
                f"build-system.requires {text!r} pins numpy<2",
                file=pyfile,
                line=ctx.line_of(pyfile, text),
                hint='require "numpy>=2.0" at build time',
            )
    if capi and not run_np:
        yield check.finding(
            "numpy is needed at build time but is not a runtime dependency",
            file=pyfile,
            hint=f'add "numpy>={minor(current)}"-style bound to [project] dependencies',
        )
    for req, text in run_np:
        line = ctx.line_of(pyfile, text)
        low = lower_bound(req.specifier)
        high = upper_bound(req.specifier)
        if low is None:
            yield check.finding(
                "numpy has no runtime lower bound",
                file=pyfile,
                line=line,
                hint="require the oldest NumPy you test against, like numpy>=1.25",
            )
        if high is None:
            continue
        rel = (*high.release, 0, 0)
        if numpy2_out and high <= Version("2.0"):
            yield check.finding(
                f"{text!r} pins numpy<2, which is no longer needed",
                file=pyfile,
                line=line,
                hint="build against numpy>=2 and drop the <2 pin: wheels then run with 1.x and 2.x",
            )
            continue
        major_pin = rel[1] == 0 and rel[0] == current.major + 1
        needed = Version(f"{current.major}.{current.minor + 3}")
        if capi and major_pin:
            continue
        if high >= needed:
            continue
        hint = (
            f"use <{needed} or later"
            + (f", or pin the major version (<{current.major + 1})" if capi else "")
            + ", or drop the upper bound"
        )
        if high <= Version(f"{current.major}.{current.minor}"):
            yield check.finding(
                f"{text!r}: the upper bound leaves out NumPy {minor(current)}, the current release",
                file=pyfile,
                line=line,
                hint=hint,
            )
        else:
            # a bound three ahead when it was set falls behind as NumPy releases (astropy
            # 7.2.2 kept numpy<2.7 under NumPy 2.5): advice to follow, not a broken release
            yield check.finding(
                f"{text!r}: the upper bound is less than three minor versions ahead of "
                f"NumPy {minor(current)}",
                file=pyfile,
                line=line,
                severity="warning",
                hint=hint,
            )
