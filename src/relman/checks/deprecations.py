"""The deprecations check: due removals and deprecations without a removal version.

Python sources are parsed with :mod:`ast` (never matched as text). A
deprecation is any of:

- ``warnings.warn(msg, DeprecationWarning)`` (also ``FutureWarning``,
  ``PendingDeprecationWarning``, NumPy's ``VisibleDeprecationWarning``, as a
  positional argument or ``category=``), however ``warn`` was imported;
- a call of such a warning class (``raise FutureWarning(msg)``);
- a decorator ``@deprecated(msg)`` (``typing_extensions.deprecated``,
  ``warnings.deprecated``, or any callable named ``*deprecated``/``*deprecate``).

The message may be a string, an f-string, a concatenation, ``"...".format()``
or ``"..." % args``; keywords such as ``removed_in="2.3"`` also name the
removal version; a message kept in a variable (module-level or assigned
earlier in the function, ``+=`` included) is read from that assignment. A
deprecation whose removal version is at or below the release version is due:
an error at the final, a warning in the alphas, betas and release candidates
before it (and at the branch cut). One whose removal release is already out
(the last release is at or past it) is overdue: the promise was broken by a
published release and this one cannot keep it, so it is a warning. A
deprecation added since the last release
whose message names no removal version is reported as a warning (SciPy's
policy asks for one).
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from relman._regex import LazyPattern
from relman.checks import CheckContext, Finding, Skip, get_check, register

ID = "deprecations"

_CATEGORIES = {
    "DeprecationWarning",
    "FutureWarning",
    "PendingDeprecationWarning",
    "VisibleDeprecationWarning",
}
_REMOVAL_KEYWORDS = {
    "removed_in",
    "remove_in",
    "removal",
    "removal_version",
    "end_version",
    "until",
    "expires",
}
_MESSAGE_KEYWORDS = ("message", "msg", "reason", "category_message")
_VERSION = r"v?(?P<ver>\d+(?:\.\d+)+)"
_REMOVAL_PATTERNS = (
    # "will be removed in 2.3", "removed in version 1.14", "removal in SciPy 1.16"
    LazyPattern(
        r"(?:remov\w*|delet\w*|dropp?\w*|expir\w*|rais\w*\s+an?\s+error|become\s+an?\s+error)"
        r"\s+(?:\w+\s+){0,3}?(?:in|from|by|after|with|as\s+of|starting\s+(?:in|with))\s+"
        r"(?:(?P<who>[A-Za-z][\w-]*)\s+)?(?:version\s+|release\s+)?" + _VERSION,
        re.I,
    ),
    # "in version 2.3 this will be removed", "in SciPy 1.16.0 it will raise"; not
    # "deprecated in NumPy 2.0 and will raise an error in a future version" (numpy.fft):
    # that version says when the deprecation came
    LazyPattern(
        r"(?<!deprecated )\b(?:in|from|after)\s+(?:(?P<who>[A-Za-z][\w-]*)\s+)?(?:version\s+|release\s+)?"
        + _VERSION
        + r"[^.]{0,60}?\b(?:remov|delet|dropp|expir|raise|error)",
        re.I,
    ),
)
_SKIP_PARTS = {"tests", "test", "testing", "docs", "doc", "benchmarks", "bench", "examples"}
# third-party code shipped inside the project: its deprecations are another project's
_VENDORED_PARTS = {
    "_vendor",
    "vendor",
    "vendored",
    "_vendored",
    "extern",
    "externals",
    "_externals",
    "third_party",
    "thirdparty",
    "3rdparty",
}
# words that may stand before the version without naming another product
_GENERIC_WHO = {"version", "release", "the", "a", "next", "future", "v"}


@dataclass(frozen=True)
class Deprecation:
    """One deprecation found in a source file."""

    file: str
    line: int
    end_line: int
    what: str  # "warning" or "decorator"
    message: str
    removal: str | None
    product: str | None = None  # "NumPy" in "removed in NumPy 2.3"; None when not named


def removal_version(message: str) -> str | None:
    """The version a deprecation message names for the removal, or None."""
    return _removal(message)[0]


def removal_product(message: str) -> str | None:
    """The product whose version the removal names ("Python" in "removed in Python 3.14")."""
    return _removal(message)[1]


def _removal(message: str) -> tuple[str | None, str | None]:
    for pattern in _REMOVAL_PATTERNS:
        m = pattern.search(message)
        if m:
            who = m.group("who")
            if who is not None and who.lower() in _GENERIC_WHO:
                who = None
            return m.group("ver").rstrip("."), who
    return None, None


def _text(node: ast.AST | None) -> str | None:
    """The literal text of a message expression (formatted parts left out)."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
            for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        if left is None and right is None:
            return None
        return (left or "") + (right or "")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _text(node.left)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        return _text(node.func.value)
    return None


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


# the words without which a piece of source can hold no deprecation (see may_declare)
# nor import ``warn`` under another name
_NEEDED = ("DeprecationWarning", "FutureWarning", "import")


# lines as the parser counts them (str.splitlines also breaks at form feeds and more)
_LINES = LazyPattern(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _may_hold(text: str) -> bool:
    return any(w in text for w in _NEEDED) or "deprecat" in text.lower()


class _Finder(ast.NodeVisitor):
    def __init__(
        self, path: str, constants: dict[str, str], lines: list[str] | None = None
    ) -> None:
        self.path = path
        self.lines = lines
        # module constants, then one scope per enclosing function: the text last
        # assigned to a name before its use (``msg = "... removed in SciPy 2.1.0"``)
        self.scopes: list[dict[str, str]] = [constants]
        self.found: list[Deprecation] = []
        self.warn_names = {"warn"}

    def _assign(self, target: ast.AST, value: ast.AST | None, *, append: bool = False) -> None:
        if not isinstance(target, ast.Name):
            return
        text = _text(value) if value is not None else None
        if text is None and isinstance(value, ast.Name):
            text = self._lookup(value.id)
        scope = self.scopes[-1]
        if text is None:
            scope.pop(target.id, None)
        elif append:
            scope[target.id] = (self._lookup(target.id) or "") + text
        else:
            scope[target.id] = text

    def _lookup(self, name: str) -> str | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        if len(node.targets) == 1:
            self._assign(node.targets[0], node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        self._assign(node.target, node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.generic_visit(node)
        if isinstance(node.op, ast.Add):
            self._assign(node.target, node.value, append=True)

    def _scoped(self, node: ast.AST) -> None:
        self.scopes.append({})
        try:
            self.generic_visit(node)
        finally:
            self.scopes.pop()

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module == "warnings":
            for alias in node.names:
                if alias.name == "warn":
                    self.warn_names.add(alias.asname or "warn")
        self.generic_visit(node)

    def _message(self, node: ast.AST | None) -> str | None:
        if isinstance(node, ast.Name):
            return self._lookup(node.id)
        return _text(node)

    def _add(self, node: ast.AST, what: str, message: str | None, removal: str | None) -> None:
        text = message or ""
        start: int = getattr(node, "lineno", 0)
        end: int = getattr(node, "end_lineno", None) or start
        product = None
        if removal is None:
            removal, product = _removal(text)
        self.found.append(Deprecation(self.path, start, end, what, text, removal, product))

    @staticmethod
    def _keyword_removal(call: ast.Call) -> str | None:
        for kw in call.keywords:
            if kw.arg in _REMOVAL_KEYWORDS:
                value = _text(kw.value)
                if value is None and isinstance(kw.value, ast.Constant):
                    value = str(kw.value.value)
                if value:
                    m = re.search(_VERSION, value)
                    return m.group(1) if m else None
        return None

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        is_warn = (isinstance(node.func, ast.Name) and node.func.id in self.warn_names) or (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "warn"
            and _name(node.func.value) == "warnings"
        )
        if is_warn:
            category = node.args[1] if len(node.args) > 1 else None
            for kw in node.keywords:
                if kw.arg == "category":
                    category = kw.value
            if category is not None and _name(category) in _CATEGORIES:
                message = self._message(node.args[0] if node.args else None)
                for kw in node.keywords:
                    if kw.arg == "message" and message is None:
                        message = self._message(kw.value)
                self._add(node, "warning", message, None)
        elif name in _CATEGORIES and node.args:
            self._add(node, "warning", self._message(node.args[0]), None)
        self.generic_visit(node)

    def _decorators(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        for deco in node.decorator_list:
            name = _name(deco).lower()
            if not (name.endswith("deprecated") or name.endswith("deprecate")):
                continue
            message: str | None = None
            removal: str | None = None
            if isinstance(deco, ast.Call):
                if deco.args:
                    message = self._message(deco.args[0])
                for kw in deco.keywords:
                    if kw.arg in _MESSAGE_KEYWORDS and message is None:
                        message = self._message(kw.value)
                removal = self._keyword_removal(deco)
            self._add(deco, "decorator", message, removal)

    def _cannot_hold(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """True when the function's source (decorators, signature, body) names no
        category, no ``deprecate(d)`` and imports nothing: nothing in it can be a
        deprecation, and what it assigns stays in its own scope, so it is not visited."""
        if self.lines is None or node.end_lineno is None:
            return False
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        return not _may_hold("".join(self.lines[first - 1 : node.end_lineno]))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if self._cannot_hold(node):
            return
        self._decorators(node)
        self._scoped(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        if self._cannot_hold(node):
            return
        self._decorators(node)
        self._scoped(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._decorators(node)
        self.generic_visit(node)


# a decorator begins a logical line; a name ending in "deprecate" or "deprecated"
_DECORATOR_LINE = LazyPattern(r"^[ \t\f]*@", re.M)
_DEPRECATE_NAME = LazyPattern(r"deprecated?(?!\w)", re.I)


def may_declare(source: str) -> bool:
    """False when ``source`` cannot hold a deprecation, without parsing it.

    Every warning category the check knows spells ``DeprecationWarning`` or
    ``FutureWarning``, and a decorator needs a line that starts with ``@`` and
    a name that ends in ``deprecate(d)``: a file with neither (most files, and
    those that only say "deprecated" in a docstring without any decorator) is
    not parsed.
    """
    if "DeprecationWarning" in source or "FutureWarning" in source:
        return True
    return bool(_DECORATOR_LINE.search(source) and _DEPRECATE_NAME.search(source))


def find_deprecations(path: str, source: str) -> list[Deprecation]:
    """Every deprecation in one Python source (a syntax error gives none)."""
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError):
        return []
    # module constants first (a function may use one assigned below it), then the visit
    constants: dict[str, str] = {}
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            text = _text(stmt.value)
            if text is not None:
                constants[stmt.targets[0].id] = text
    finder = _Finder(path, constants, _LINES.findall(source))
    finder.visit(tree)
    return finder.found


def _source_files(ctx: CheckContext) -> list[str]:
    dirs = [d.strip("/") + "/" for d in ctx.config.checks.source_dirs]
    out = []
    for path in ctx.tracked_files:
        if not path.endswith(".py"):
            continue
        if dirs:
            if any(path.startswith(d) for d in dirs):
                out.append(path)
        else:
            parts = path.split("/")
            folders = set(parts[:-1])
            if _SKIP_PARTS & folders or parts[-1].startswith(("test_", "conftest")):
                continue
            if _VENDORED_PARTS & folders or any(p.startswith("vendored") for p in folders):
                continue
            out.append(path)
    return out


# parse in worker processes when this many files, or this much source, are not in the
# cache (SciPy 1.15's 34 candidate modules hold 2.2 MB, seconds of parsing on one core)
_PARALLEL_FROM = 48
_PARALLEL_CHARS = 500_000


def _find_all(items: list[tuple[str, str]]) -> list[list[Deprecation]]:
    return [find_deprecations(path, text) for path, text in items]


def _scan(ctx: CheckContext, files: list[str]) -> list[Deprecation]:
    """The deprecations of ``files``: each file read once, parsed only when its
    content is not in the cache, the misses parsed in parallel when they are many."""
    import dataclasses

    from relman._cache import ResultCache

    cache = ResultCache(ctx.repo.git_dir, ID, salt=_SALT)
    results: dict[str, list[Deprecation]] = {}
    misses: list[tuple[str, str, str]] = []
    for path in files:
        # a file as the index has it is known by its blob id without reading it
        blob = ctx.blob_id(path)
        key = cache.blob_key(path, blob) if blob else None
        hit = cache.get(key) if key else None
        if hit is not None:
            if hit:
                results[path] = [Deprecation(*row) for row in hit]
            continue
        text = ctx.read_text(path)
        if key is None and text is not None:
            key = cache.key(path, text)
            hit = cache.get(key)
            if hit is not None:
                results[path] = [Deprecation(*row) for row in hit]
                continue
        if not text or not may_declare(text):
            if key is not None:
                cache.put(key, [])  # remembered too: the next run does not read it again
            continue
        assert key is not None
        misses.append((key, path, text))
    workers = min(os.cpu_count() or 1, 4)
    many = len(misses) >= _PARALLEL_FROM or sum(len(t) for _, _, t in misses) >= _PARALLEL_CHARS
    if many and workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        # the largest first, dealt out in turn: the workers finish together
        misses.sort(key=lambda m: -len(m[2]))

        chunks = [[(path, text) for _, path, text in misses[i::workers]] for i in range(workers)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parsed = [deps for chunk in pool.map(_find_all, chunks) for deps in chunk]
        order = [m for i in range(workers) for m in misses[i::workers]]
    else:
        parsed = _find_all([(path, text) for _, path, text in misses])
        order = misses
    for (key, path, _), deps in zip(order, parsed, strict=True):
        results[path] = deps
        cache.put(key, [dataclasses.astuple(d) for d in deps])
    cache.save()
    return [d for path in files for d in results.get(path, ())]


_SALT = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()


@register(
    ID,
    "deprecations due for removal in this release; new deprecations naming no removal version",
    kinds=("alpha", "beta", "rc", "final", "new-branch"),
)
def check_deprecations(ctx: CheckContext) -> Iterator[Finding]:
    from packaging.version import InvalidVersion, Version

    from relman.line import last_release

    check = get_check(ID)
    if ctx.version is None:
        raise Skip("no release version (pass --version, or fix the version sources)")
    release = Version(Version(ctx.version).base_version)
    found = _scan(ctx, _source_files(ctx))
    new_lines: dict[str, set[int]] | None = None
    last = last_release(ctx.config, ctx.repo) if ctx.repo.has_commits() else None
    ours = _own_names(ctx)
    for dep in found:
        if dep.product is not None and _canonical(dep.product) not in ours:
            continue  # "removed in Python 3.14", "In requests 3.0 ...": not this project's
        if dep.removal is not None:
            try:
                due = Version(dep.removal) <= release
            except InvalidVersion:
                continue
            if due and last is not None and last.version >= Version(dep.removal):
                # the release that was to remove it is out already: this release cannot
                # keep the promise any more (SciPy 1.16.0 still held a removal due in
                # 1.11.0), so it is the project's known debt, a warning
                yield check.finding(
                    f"deprecated in the code and overdue for removal since {dep.removal} "
                    f"(already released; last release {last.version}): {_short(dep.message)}",
                    file=dep.file,
                    line=dep.line,
                    severity="warning",
                    hint="remove the deprecated code, or move its removal version on",
                )
            elif due:
                # removals due in X.Y.0 may still be in its alphas, betas and rcs (and at
                # the branch cut): a warning then, an error at the final
                early = ctx.kind in ("alpha", "beta", "rc", "new-branch")
                yield check.finding(
                    f"deprecated in the code and due for removal in {dep.removal} "
                    f"(releasing {ctx.version}): {_short(dep.message)}",
                    file=dep.file,
                    line=dep.line,
                    severity="warning" if early else None,
                    hint="remove the deprecated code and mention it in the release notes"
                    + (" before the final release" if early else ""),
                )
            continue
        if new_lines is None:
            prefix = ctx.repo_prefix
            changed = (
                ctx.repo.added_lines(last.commit, [prefix + d.file for d in found]) if last else {}
            )
            new_lines = {k[len(prefix) :]: v for k, v in changed.items()}
        if last is not None and not (
            new_lines.get(dep.file, set()) & set(range(dep.line, dep.end_line + 1))
        ):
            continue  # an older deprecation: reported when it was new
        yield check.finding(
            f"new deprecation names no removal version: {_short(dep.message) or dep.what}",
            file=dep.file,
            line=dep.line,
            severity="warning",
            hint='say when it goes: "... is deprecated and will be removed in X.Y"',
        )


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _own_names(ctx: CheckContext) -> set[str]:
    """The names a deprecation message may use for this project."""
    names = {_canonical(ctx.config.name)}
    names.add(_canonical(ctx.config.name.split("-")[0]))
    for d in ctx.config.checks.source_dirs:
        names.add(_canonical(d.strip("/").rsplit("/", 1)[-1]))
    return names


def _short(message: str) -> str:
    flat = " ".join(message.split())
    return flat if len(flat) <= 90 else flat[:87] + "..."
