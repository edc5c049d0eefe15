"""The support check: requires-python, classifiers and core lower bounds vs NEP 29 / SPEC 0.

The scientific-Python policies apply to projects of that ecosystem: those that
depend on NumPy or SciPy, are one of SPEC 0's core packages, or declare the
policy (``checks.support-policy`` set in the configuration). Any other project
gets the upstream status instead: which Python versions its requires-python
allows that CPython no longer maintains, and which maintained ones it leaves
out (a general-purpose package is not told to require Python >= 3.13).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from relman._regex import LazyPattern
from relman.checks import CheckContext, Finding, Skip, get_check, register

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

ID = "support"
_CLASSIFIER = LazyPattern(r"^Programming Language :: Python :: (3\.\d+)$")


def _v(text: str) -> Version:
    from packaging.version import Version

    return Version(text)


def lower_bound(spec: SpecifierSet) -> Version | None:
    """The smallest version ``spec`` allows by its ``>=``, ``>``, ``==``, ``~=`` clauses."""
    best: Version | None = None
    for s in spec:
        if s.operator in (">=", ">", "~=", "==", "===") and "*" not in s.version:
            v = _v(s.version)
            if best is None or v > best:
                best = v
        elif s.operator == "==" and s.version.endswith(".*"):
            v = _v(s.version[:-2])
            if best is None or v > best:
                best = v
    return best


def upper_bound(spec: SpecifierSet) -> Version | None:
    """The version ``spec`` stops before (``<X.Y``, ``<=X.Y``, ``~=X.Y``), or None."""
    best: Version | None = None
    for s in spec:
        v: Version | None = None
        if s.operator in ("<", "<="):
            v = _v(s.version)
        elif s.operator == "~=":
            parts = _v(s.version).release
            head = list(parts[:-1])
            head[-1] += 1
            v = _v(".".join(map(str, head)))
        if v is not None and (best is None or v < best):
            best = v
    return best


def requirements(items: Any) -> list[tuple[Requirement, str]]:
    """Parsed requirements with their original text; unparsable ones left out."""
    from packaging.requirements import InvalidRequirement, Requirement

    out = []
    for raw in items or []:
        try:
            out.append((Requirement(str(raw)), str(raw)))
        except InvalidRequirement:
            continue
    return out


def minor(v: Version) -> str:
    rel = (*v.release, 0)
    return f"{rel[0]}.{rel[1]}"


@register(
    ID,
    "requires-python, classifiers and core lower bounds follow the NEP 29 / SPEC 0 window",
    kinds=("alpha", "beta", "rc", "final", "new-branch"),
    severity="warning",
)
def check_support(ctx: CheckContext) -> Iterator[Finding]:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.utils import canonicalize_name

    from relman.support import support_window

    check = get_check(ID)
    project = ctx.pyproject.get("project")
    if not isinstance(project, Mapping):
        # setup.py/setup.cfg, Poetry's [tool.poetry] or no Python package at all (CPython)
        raise Skip("no [project] table in pyproject.toml to read requires-python from")
    if not scientific(ctx, project):
        yield from _upstream_status(ctx, project)
        return
    window = support_window(ctx.config.checks.support_policy, ctx.date)
    title = window.policy.title
    py = window.python
    supported = list(py.supported)
    raw = project.get("requires-python")
    pyfile = "pyproject.toml"
    if raw is None:
        yield check.finding(
            "no requires-python",
            file=pyfile,
            hint=f'set requires-python = ">={py.minimum}" ({title} on {ctx.date})',
        )
        spec = SpecifierSet()
    else:
        try:
            spec = SpecifierSet(str(raw))
        except InvalidSpecifier:
            yield check.finding(f"requires-python {raw!r} is not a valid specifier", file=pyfile)
            return
        line = ctx.line_of(pyfile, "requires-python")
        low = lower_bound(spec)
        if py.minimum is not None and low is not None:
            minimum = _v(py.minimum)
            if _v(minor(low)) < minimum:
                yield check.finding(
                    f"requires-python {raw} allows Python {minor(low)}, which {title} no "
                    f"longer supports on {ctx.date} (minimum {py.minimum})",
                    file=pyfile,
                    line=line,
                    hint=f'set requires-python = ">={py.minimum}"',
                )
            excluded = [v for v in supported if not spec.contains(f"{v}.0", prereleases=True)]
            if excluded:
                yield check.finding(
                    f"requires-python {raw} excludes Python {', '.join(excluded)}, "
                    f"which {title} still supports on {ctx.date}",
                    file=pyfile,
                    line=line,
                    hint=f'set requires-python = ">={py.minimum}"',
                )
    # trove classifiers
    classifiers = [str(c) for c in project.get("classifiers", [])]
    listed = {m.group(1): c for c in classifiers if (m := _CLASSIFIER.match(c))}
    if listed:
        for version, text in sorted(listed.items(), key=lambda kv: _v(kv[0])):
            if raw is not None and not spec.contains(f"{version}.0", prereleases=True):
                yield check.finding(
                    f"classifier for Python {version}, which requires-python {raw} excludes",
                    file=pyfile,
                    line=ctx.line_of(pyfile, text),
                    hint=f'remove "{text}"',
                )
            elif py.minimum is not None and _v(version) < _v(py.minimum):
                yield check.finding(
                    f"classifier for Python {version}, which {title} no longer supports",
                    file=pyfile,
                    line=ctx.line_of(pyfile, text),
                    hint=f'remove "{text}" and raise requires-python',
                )
        for version in supported:
            if version not in listed and (raw is None or spec.contains(f"{version}.0")):
                yield check.finding(
                    f"no classifier for Python {version}, which {title} supports",
                    file=pyfile,
                    hint=f'add "Programming Language :: Python :: {version}"',
                )
    # lower bounds of core dependencies
    for req, text in requirements(project.get("dependencies")):
        name = str(canonicalize_name(req.name))
        pkg = window.packages.get(name)
        if pkg is None or pkg.minimum is None:
            continue
        line = ctx.line_of(pyfile, text)
        low = lower_bound(req.specifier)
        if low is None:
            yield check.finding(
                f"{name} has no lower bound",
                file=pyfile,
                line=line,
                hint=f"require {name}>={pkg.minimum} ({title} on {ctx.date})",
            )
        elif _v(minor(low)) < _v(pkg.minimum):
            yield check.finding(
                f"{text} allows {name} {minor(low)}, which {title} no longer supports "
                f"on {ctx.date} (minimum {pkg.minimum})",
                file=pyfile,
                line=line,
                hint=f"raise the bound to {name}>={pkg.minimum}",
            )


def scientific(ctx: CheckContext, project: Mapping[str, Any]) -> bool:
    """Whether the scientific-Python support policies apply (see the module docstring)."""
    from packaging.utils import canonicalize_name

    from relman.support import CORE_PACKAGES

    if ctx.config.origins.get("checks.support-policy", "default") != "default":
        return True
    if str(canonicalize_name(str(project.get("name", "")))) in CORE_PACKAGES:
        return True
    names = {
        str(canonicalize_name(req.name)) for req, _ in requirements(project.get("dependencies"))
    }
    return bool(names & {"numpy", "scipy"})


def _upstream_status(ctx: CheckContext, project: Mapping[str, Any]) -> Iterator[Finding]:
    """Findings against the Python versions CPython still maintains on the check's date."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from relman.support import PYTHON_END_OF_LIFE, maintained_pythons

    check = get_check(ID)
    maintained = maintained_pythons(ctx.date)
    raw = project.get("requires-python")
    pyfile = "pyproject.toml"
    status = f"CPython maintains {', '.join(maintained)} on {ctx.date}"
    if raw is None:
        yield check.finding(
            f"no requires-python ({status})",
            file=pyfile,
            hint=f'set requires-python to the oldest Python you test, e.g. ">={maintained[0]}"',
        )
        return
    try:
        spec = SpecifierSet(str(raw))
    except InvalidSpecifier:
        yield check.finding(f"requires-python {raw!r} is not a valid specifier", file=pyfile)
        return
    line = ctx.line_of(pyfile, "requires-python")
    ended = [
        v
        for v, end in sorted(PYTHON_END_OF_LIFE.items(), key=lambda kv: _v(kv[0]))
        if end <= ctx.date and spec.contains(f"{v}.0", prereleases=True)
    ]
    if ended:
        when = ", ".join(f"{v} on {PYTHON_END_OF_LIFE[v]}" for v in ended)
        yield check.finding(
            f"requires-python {raw} allows Python {', '.join(ended)}, which upstream no "
            f"longer maintains (end of life: {when}; {status})",
            file=pyfile,
            line=line,
            hint=f'keep it if you still test them; else set requires-python = ">={maintained[0]}"',
        )
    left_out = [v for v in maintained if not spec.contains(f"{v}.0", prereleases=True)]
    if left_out and not ended:
        yield check.finding(
            f"requires-python {raw} leaves out Python {', '.join(left_out)}, "
            f"which upstream still maintains ({status})",
            file=pyfile,
            line=line,
            hint="that is fine when intended; users of those versions get an older release",
        )
