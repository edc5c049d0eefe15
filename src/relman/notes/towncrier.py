"""towncrier-compatible news fragments: settings, fragments, rendering, news file.

Reads ``[tool.towncrier]`` from ``towncrier.toml`` or ``pyproject.toml``
exactly as towncrier does, finds fragments named
``<issue>.<type>[.<counter>][.<ext>]``, groups and sorts them as towncrier
does and renders them with the configured jinja2 template (towncrier's
built-in templates ship with relman). The default reStructuredText template is
rendered by an equivalent pure-Python renderer, which gives the same bytes
without jinja2; any other template goes through jinja2 with towncrier's
context. Writing follows towncrier's ``append_to_newsfile``.

The module is long because it mirrors towncrier's settings, builder and writer
in one file, so that each behaviour can be read next to towncrier's own.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any, NamedTuple

from relman import _report
from relman._record import record
from relman._regex import LazyPattern
from relman.errors import CheckFailed, ConfigError, UsageError

__all__ = [
    "Fragment",
    "FragmentType",
    "Settings",
    "find_fragments",
    "load_settings",
    "parse_fragment_name",
    "plan_news_file",
    "render_notes",
]

_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "towncrier"
_RESOURCE_TEMPLATE = LazyPattern(r"[-\w.]+:[-\w.]+$")
_IGNORED = (".gitignore", ".gitkeep", ".keep", "readme", "readme.md", "readme.rst")


@record
class FragmentType:
    """One fragment type: its directory name, title and whether content shows."""

    key: str
    name: str
    showcontent: bool = True
    check: bool = True


@record
class Settings:
    """``[tool.towncrier]`` resolved as towncrier resolves it."""

    base_dir: Path
    config_file: Path
    sections: tuple[tuple[str, str], ...]
    types: tuple[FragmentType, ...]
    template: str | tuple[str, str]
    start_string: str
    package: str = ""
    package_dir: str = "."
    single_file: bool = True
    filename: str = "NEWS.rst"
    directory: str | None = None
    version: str | None = None
    name: str = ""
    title_format: str | bool = ""
    issue_format: str | None = None
    underlines: tuple[str, ...] = ("=", "-", "~")
    wrap: bool | int = False
    all_bullets: bool = True
    orphan_prefix: str = "+"
    create_eof_newline: bool = True
    create_add_extension: bool = True
    ignore: tuple[str, ...] | None = None
    issue_pattern: str = ""
    type_map: Mapping[str, FragmentType] = field(default_factory=dict, repr=False)

    def fragment_dir(self, section_path: str = "") -> Path:
        """The folder holding the fragments of one section."""
        if self.directory is not None:
            return Path(os.path.abspath(self.base_dir / self.directory)) / section_path
        base = Path(os.path.abspath(self.base_dir / self.package_dir / self.package))
        return base / section_path / "newsfragments"

    @property
    def is_markdown(self) -> bool:
        name = self.template[1] if isinstance(self.template, tuple) else self.template
        return os.path.splitext(name)[1].lower() == ".md"

    def project_name(self) -> str:
        if self.name:
            return self.name
        return self.package.title() if self.package else ""


class Fragment(NamedTuple):
    """One news fragment file (a named tuple: thousands are made per build)."""

    path: str
    section: str
    issue: str
    type: str
    counter: int
    content: str


# -- settings ---------------------------------------------------------------

_STR_KEYS = (
    "package",
    "package_dir",
    "filename",
    "directory",
    "version",
    "name",
    "issue_format",
    "orphan_prefix",
    "issue_pattern",
    "start_string",
    "template",
)
_BOOL_KEYS = (
    "single_file",
    "all_bullets",
    "create_eof_newline",
    "create_add_extension",
)


def load_settings(project_dir: Path, pyproject: Mapping[str, Any] | None = None) -> Settings:
    """Read the towncrier configuration of ``project_dir`` as towncrier does.

    ``towncrier.toml`` wins over ``pyproject.toml``; ``name`` and ``package``
    fall back to ``[project] name``. Every problem raises :class:`ConfigError`
    naming the file.
    """
    from relman.config import parse_toml, read_pyproject

    project_dir = Path(project_dir)
    pyproject_path = project_dir / "pyproject.toml"
    if pyproject is None:
        pyproject = read_pyproject(project_dir) if pyproject_path.is_file() else {}
    towncrier_toml = project_dir / "towncrier.toml"
    if towncrier_toml.is_file():
        config_file = towncrier_toml
        try:
            text = towncrier_toml.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{towncrier_toml} is not valid UTF-8: {exc}") from None
        data: Mapping[str, Any] = parse_toml(text, towncrier_toml)
    else:
        config_file = pyproject_path
        data = pyproject
    tool = data.get("tool", {})
    raw = tool.get("towncrier", {}) if isinstance(tool, Mapping) else {}
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"{config_file}: tool.towncrier must be a table",
            hint="write [tool.towncrier] (see towncrier's documentation)",
        )
    # as towncrier: a configuration file without [tool.towncrier] means every default
    settings = _parse_table(project_dir, config_file, raw)
    project = pyproject.get("project", {})
    project_name = project.get("name", "") if isinstance(project, Mapping) else ""
    if project_name:
        package = settings.package or str(project_name)
        name = settings.name or package
        settings = _replace(settings, package=package, name=name)
    return settings


def _replace(settings: Settings, **changes: Any) -> Settings:
    import dataclasses

    return dataclasses.replace(settings, **changes)


def _parse_table(base: Path, config_file: Path, raw: Mapping[str, Any]) -> Settings:
    problems: list[str] = []
    where = "tool.towncrier"
    if raw.get("singlefile"):
        problems.append(f"{where}.singlefile is not a valid option (did you mean 'single_file'?)")
    values: dict[str, Any] = {}
    for key in _STR_KEYS:
        if key in raw:
            if not isinstance(raw[key], str):
                problems.append(f"{where}.{key} must be a string")
            else:
                values[key] = raw[key]
    for key in _BOOL_KEYS:
        if key in raw:
            if not isinstance(raw[key], bool):
                problems.append(f"{where}.{key} option must be boolean: false or true")
            else:
                values[key] = raw[key]
    if "title_format" in raw:
        tf = raw["title_format"]
        if not isinstance(tf, (str, bool)) or tf is True:
            # towncrier takes true for a format string and fails building the title
            problems.append(f"{where}.title_format must be a string or false")
        else:
            values["title_format"] = tf
    if "wrap" in raw:
        if not isinstance(raw["wrap"], (bool, int)):
            problems.append(f"{where}.wrap must be a boolean or an integer")
        else:
            values["wrap"] = raw["wrap"]
    if "underlines" in raw:
        und = raw["underlines"]
        if isinstance(und, str) or (isinstance(und, list) and all(isinstance(u, str) for u in und)):
            values["underlines"] = tuple(und)
        else:
            problems.append(f"{where}.underlines must be a list of strings")
    if "ignore" in raw:
        ign = raw["ignore"]
        if isinstance(ign, list) and all(isinstance(i, str) for i in ign):
            values["ignore"] = tuple(ign)
        else:
            problems.append(f"{where}.ignore must be a list of strings")

    sections: list[tuple[str, str]] = []
    if "section" in raw:
        secs = raw["section"]
        if not isinstance(secs, list):
            problems.append(f"{where}.section must be an array of tables")
        else:
            for i, sec in enumerate(secs):
                if not isinstance(sec, Mapping) or "path" not in sec:
                    problems.append(f"{where}.section[{i}] needs a 'path'")
                    continue
                name = str(sec.get("name", ""))
                # as towncrier's dict: a repeated name keeps its place, the last path wins
                at = next((k for k, s in enumerate(sections) if s[0] == name), None)
                if at is None:
                    sections.append((name, str(sec["path"])))
                else:
                    sections[at] = (name, str(sec["path"]))
    else:
        sections = [("", "")]

    types = _load_types(raw, where, problems)

    filename = values.get("filename", "")
    markdown_file = Path(filename).suffix == ".md"
    template_value = values.get("template", "towncrier:default")
    template: str | tuple[str, str] = template_value
    if _RESOURCE_TEMPLATE.match(template_value):
        package, resource = template_value.split(":", 1)
        if not Path(resource).suffix:
            resource += ".md" if markdown_file else ".rst"
        if package in ("towncrier", "towncrier.templates"):
            if not (_TEMPLATES / resource).is_file():
                problems.append(f"{where}.template: towncrier has no template named {resource!r}")
            template = ("towncrier.templates", resource)
        else:
            found = _resource_exists(package, resource)
            if found is None:
                problems.append(f"{where}.template: {package!r} has no template named {resource!r}")
            else:
                template = (found, resource)
    else:
        path = os.path.join(base, template_value)
        if not os.path.isfile(path):
            problems.append(f"{where}.template: the template file {path!r} does not exist")
        template = path

    start_string = values.pop("start_string", "")
    if not start_string:
        start_string = (
            "<!-- towncrier release notes start -->\n"
            if markdown_file
            else ".. towncrier release notes start\n"
        )
    if problems:
        raise ConfigError(
            f"the towncrier configuration in {config_file} has "
            f"{len(problems)} problem{'s' if len(problems) > 1 else ''}:",
            problems=problems,
        )
    values.pop("template", None)
    return Settings(
        base_dir=base,
        config_file=config_file,
        sections=tuple(sections),
        types=types,
        type_map={t.key: t for t in types},
        template=template,
        start_string=start_string,
        **values,
    )


_DEFAULT_TYPES = (
    FragmentType(key="feature", name="Features"),
    FragmentType(key="bugfix", name="Bugfixes"),
    FragmentType(key="doc", name="Improved Documentation"),
    FragmentType(key="removal", name="Deprecations and Removals"),
    FragmentType(key="misc", name="Misc", showcontent=False),
)


def _load_types(
    raw: Mapping[str, Any], where: str, problems: list[str]
) -> tuple[FragmentType, ...]:
    fragment = raw.get("fragment", {})
    type_list = raw.get("type", {})
    if fragment:
        if not isinstance(fragment, Mapping):
            problems.append(f"{where}.fragment must be a table")
            return ()
        out: list[FragmentType] = []
        for key in sorted(fragment):
            opts = fragment[key] if isinstance(fragment[key], Mapping) else {}
            out.append(
                FragmentType(
                    key=key,
                    name=str(opts.get("name", key.capitalize())),
                    showcontent=opts.get("showcontent", True),
                    check=opts.get("check", True),
                )
            )
        return tuple(out)
    if type_list:
        if not isinstance(type_list, list):
            problems.append(f"{where}.type must be an array of tables")
            return ()
        by_key: dict[str, FragmentType] = {}
        for i, entry in enumerate(type_list):
            if not isinstance(entry, Mapping) or "name" not in entry:
                problems.append(f"{where}.type[{i}] needs a 'name'")
                continue
            name = str(entry["name"])
            key = str(entry.get("directory", name.lower()))
            by_key[key] = FragmentType(
                key=key,
                name=name,
                showcontent=entry.get("showcontent", True),
                check=entry.get("check", True),
            )
        return tuple(by_key.values())
    return _DEFAULT_TYPES


def _resource_exists(package: str, resource: str) -> str | None:
    from importlib import resources

    for candidate in (package, package + ".templates"):
        try:
            if resources.files(candidate).joinpath(resource).is_file():
                return candidate
        except (ModuleNotFoundError, TypeError):
            continue
    return None


def read_template(settings: Settings) -> str:
    """The template text the settings name."""
    if isinstance(settings.template, tuple):
        package, resource = settings.template
        if package == "towncrier.templates":
            return (_TEMPLATES / resource).read_text(encoding="utf-8")
        from importlib import resources

        return resources.files(package).joinpath(resource).read_text(encoding="utf-8")
    try:
        return Path(settings.template).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the template {settings.template} is not valid UTF-8: {exc}") from None


# -- fragments --------------------------------------------------------------


def parse_fragment_name(
    basename: str, types: Iterable[str] | Mapping[str, Any]
) -> tuple[str, str, int] | None:
    """``(issue, type, counter)`` of a fragment file name, or None (towncrier's rules)."""
    parts = basename.split(".")
    if len(parts) == 1:
        return None
    for i in range(len(parts) - 1, 0, -1):
        if parts[i] in types:
            issue = ".".join(parts[0:i]).strip()
            if issue.isdigit():
                issue = str(int(issue))
            counter = 0
            if len(parts) > i + 1 and parts[i + 1].isdigit():
                counter = int(parts[i + 1])
            return issue, parts[i], counter
    return None


@record
class Scan:
    """Every fragment found, and the files that are not fragments."""

    fragments: tuple[Fragment, ...]
    invalid: tuple[Path, ...]


def _ignored_patterns(settings: Settings) -> list[str]:
    patterns = list(_IGNORED)
    if isinstance(settings.template, str):
        patterns.append(os.path.basename(settings.template))
    if settings.ignore:
        patterns.extend(name.lower() for name in settings.ignore)
    return patterns


def _matches_any(name: str, patterns: Sequence[str]) -> bool:
    from fnmatch import fnmatch

    return any(fnmatch(name, p) for p in patterns)


def find_fragments(settings: Settings, *, read: bool = True) -> Scan:
    """Every fragment of every section, in towncrier's order.

    Files that are neither ignored nor fragments are returned in
    :attr:`Scan.invalid` (towncrier skips them silently unless ``ignore`` is
    set). Raises :class:`CheckFailed` for a file that is not UTF-8, two files
    for the same fragment, or an issue that does not match ``issue_pattern``.
    """
    patterns = _ignored_patterns(settings)
    literal = {p for p in patterns if not any(c in p for c in "*?[")}
    globs = [p for p in patterns if p not in literal]
    type_map = settings.type_map
    orphan_prefix = settings.orphan_prefix
    issue_pattern = settings.issue_pattern
    strict = settings.ignore is not None
    fragments: list[Fragment] = []
    invalid: list[Path] = []
    make = tuple.__new__  # Fragment(...) without the keyword-handling __new__
    for section, section_path in settings.sections:
        folder = os.fspath(settings.fragment_dir(section_path))
        try:
            with os.scandir(folder) as listing:
                files = list(listing)
        except (FileNotFoundError, NotADirectoryError):
            files = []
        orphan_counter: dict[str, int] = {}
        seen: dict[tuple[str, str, int], str] = {}
        for entry in files:
            basename = entry.name
            low = basename.lower()
            if low in literal or (globs and _matches_any(low, globs)):
                continue
            parsed = parse_fragment_name(basename, type_map)
            path = folder + os.sep + basename
            if parsed is None:
                # towncrier's strict mode (``ignore`` set) refuses dotfiles and
                # folders too; otherwise only files are worth a warning
                if strict or (not basename.startswith(".") and not entry.is_dir()):
                    invalid.append(Path(path))
                continue
            issue, category, counter = parsed
            if orphan_prefix and issue.startswith(orphan_prefix):
                issue = ""
                counter = orphan_counter.get(category, 0)
                orphan_counter[category] = counter + 1
            if issue_pattern and issue and not re.fullmatch(issue_pattern, issue):
                raise CheckFailed(
                    f"{path}: issue {issue!r} does not match the configured pattern "
                    f"{issue_pattern!r}",
                    hint="rename the fragment or change tool.towncrier.issue_pattern",
                )
            key = (issue, category, counter)
            if key in seen:
                raise CheckFailed(
                    f"{path}: same fragment as {os.path.basename(seen[key])} "
                    f"(issue {issue!r}, type {category!r}, counter {counter})",
                    hint="give one of them a counter, like 123.bugfix.1.rst",
                )
            seen[key] = path
            # the folder's listing says which entries are regular files: a stat call
            # only for the others (links, FIFOs, folders)
            if not entry.is_file(follow_symlinks=False):
                _check_fragment_file(path, settings.base_dir)
            content = _read_fragment(path) if read else ""
            fragments.append(make(Fragment, (path, section, issue, category, counter, content)))
    return Scan(fragments=tuple(fragments), invalid=tuple(invalid))


_CHUNK = 1 << 16


def _check_fragment_file(path: str, base_dir: Path) -> None:
    """A fragment must be a regular file inside the project (never a FIFO, never a
    link out of the project or to nothing): reading one must not block or leak."""
    import stat

    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        target = Path(path).resolve()
        if not target.exists():
            raise CheckFailed(
                f"{path}: is a link to {os.readlink(path)}, which does not exist",
                hint="remove the link, or replace it with the fragment's text",
            )
        root = base_dir.resolve()
        if target != root and root not in target.parents:
            raise CheckFailed(
                f"{path}: is a link to {target}, outside the project",
                hint="news fragments are files of the project: replace the link with a file",
            )
        st = os.stat(path)
    if not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "not a regular file"
        raise CheckFailed(
            f"{path}: is {kind}, not a news fragment",
            hint="news fragments are regular files: remove it",
        )


def _read_fragment(path: str) -> str:
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            data = os.read(fd, _CHUNK)
            if len(data) == _CHUNK:  # a short read of a regular file means end of file
                chunks = [data]
                while chunk := os.read(fd, _CHUNK):
                    chunks.append(chunk)
                data = b"".join(chunks)
        finally:
            os.close(fd)
    except IsADirectoryError:
        raise CheckFailed(f"{path}: is a folder, not a news fragment") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # towncrier reads with errors="replace"; `relman notes check` refuses it
        _report.warn(
            f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start}); read as towncrier does"
        )
        text = data.decode("utf-8", errors="replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# -- grouping and sorting ---------------------------------------------------


def _bullet_content(text: str) -> str:
    """``indent(text.strip(), "  ")[2:]`` without building what is cut off."""
    text = text.strip()
    lines = text.splitlines(True)
    if len(lines) <= 1:
        return text
    return "".join(["  " + line if line.strip() else line for line in lines])[2:]


def split_fragments(
    settings: Settings, fragments: Sequence[Fragment]
) -> dict[str, dict[str, dict[str, list[str]]]]:
    """section -> type -> text -> issues, as towncrier's ``split_fragments``."""
    out: dict[str, dict[str, dict[str, list[str]]]] = {s: {} for s, _ in settings.sections}
    hidden = {t.key for t in settings.types if t.showcontent is False}
    all_bullets = settings.all_bullets
    for frag in fragments:
        content = frag.content
        if all_bullets:
            content = _bullet_content(content)
        else:
            content = content.rstrip()
        if frag.issue and frag.type in hidden:
            content = ""
        texts = out[frag.section].setdefault(frag.type, {})
        issues = texts.get(content)
        if issues is None:
            issues = texts[content] = []
        if frag.issue:
            issues.append(frag.issue)
    for section in out.values():
        for texts in section.values():
            for issues in texts.values():
                if len(issues) > 1:
                    issues.sort()
    return out


_DIGITS = LazyPattern(r"\d+")
_IssueKey = tuple[bool, bool, str, int]  # towncrier's IssueParts, as a plain tuple


def issue_key(issue: str) -> _IssueKey:
    """towncrier's ``issue_key``: names first, then by text around the number, digits last."""
    if issue.isdigit():
        return (True, True, "", int(issue))
    match = _DIGITS.search(issue)
    if not match:
        return (False, False, issue, -1)
    return (False, True, issue[: match.start()] + issue[match.end() :], int(match.group()))


def _bullet_key(entry: tuple[str, Sequence[str]]) -> int:
    text = entry[0]
    if not text:
        return -1
    if text[:2] == "- ":
        return 0
    if text[:2] == "* ":
        return 1
    if text[:3] == "#. ":
        return 2
    return 3


def render_issue(issue_format: str | None, issue: str) -> str:
    if issue_format is None:
        try:
            int(issue)
            return "#" + issue
        except Exception:
            return issue
    return issue_format.format(issue=issue)


_CODE_BLOCK_END = LazyPattern(r"::\n\n((  [ \t]+[^\n]*)?\n)*  [ \t]+[^\n]*$")


def _append_newlines_if_trailing_code_block(text: str) -> str:
    if "::\n\n" in text and _CODE_BLOCK_END.search(text):
        return text + "\n\n "
    return text


# -- rendering --------------------------------------------------------------


def today() -> str:
    """The build date as towncrier computes it (``SOURCE_DATE_EPOCH`` wins)."""
    import datetime

    build_time = int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
    return datetime.date.fromtimestamp(build_time).strftime("%Y-%m-%d")


@record
class Rendered:
    """The rendered notes: the whole text and the title line (may be empty)."""

    content: str
    top_line: str


def render_notes(
    settings: Settings,
    fragments: Sequence[Fragment],
    *,
    version: str,
    date: str | None = None,
    name: str | None = None,
    template: str | None = None,
) -> Rendered:
    """The notes towncrier ``build`` would write for ``fragments``."""
    if template is None:
        template = read_template(settings)
    project_name = settings.project_name() if name is None else name
    project_date = today() if date is None else date
    render_title = settings.title_format == ""
    md_header_level = 1
    if settings.is_markdown:
        if settings.title_format:
            m = re.search(r"^#+(?=\s)", str(settings.title_format), re.MULTILINE)
            md_header_level = len(m[0]) if m else 0
        else:
            md_header_level = 1 if render_title else 0

    all_bullets = settings.all_bullets
    split = split_fragments(settings, fragments)
    data: dict[str, dict[str, dict[str, list[str]]]] = {}
    issues_by_category: dict[str, dict[str, list[str]]] = {}
    native = _is_default_rst(template) and len(settings.underlines) >= 3
    fmt = settings.issue_format

    def show(issue: str) -> str:
        return fmt.format(issue=issue) if fmt is not None else render_issue(None, issue)

    for section_name, section_value in split.items():
        data[section_name] = {}
        issues_by_category[section_name] = {}
        for category, texts in section_value.items():
            entries: list[tuple[tuple[str, list[_IssueKey]], str, list[str]]] = []
            for text, issues in texts.items():
                if len(issues) > 1:
                    issues = sorted(issues, key=issue_key)
                    entries.append((("", [issue_key(i) for i in issues]), text, issues))
                elif issues:
                    entries.append((("", [issue_key(issues[0])]), text, issues))
                else:
                    entries.append(((text, []), text, issues))
            entries.sort(key=lambda e: e[0])
            if not all_bullets:
                entries.sort(key=lambda e: _bullet_key((e[1], e[2])))
            rendered: dict[str, list[str]] = {}
            for _key, text, issues in entries:
                if "::\n\n" in text:
                    text = _append_newlines_if_trailing_code_block(text)
                rendered[text] = [show(i) for i in issues]
            data[section_name][category] = rendered
            if not native:  # only templates other than the default use it
                category_issues = {i for issues in texts.values() for i in issues}
                issues_by_category[section_name][category] = [
                    show(i) for i in sorted(category_issues, key=issue_key)
                ]

    definitions = {
        t.key: {"name": t.name, "showcontent": t.showcontent, "check": t.check}
        for t in settings.types
    }
    underlines = list(settings.underlines[1:])
    versiondata = {"name": project_name, "version": version, "date": project_date}

    def get_indent(text: str) -> str:
        if all_bullets or text[:2] == "- " or text[:2] == "* ":
            return "  "
        if text[:3] == "#. ":
            return "   "
        return ""

    if native:
        res = _render_default_rst(
            data, definitions, underlines, versiondata, settings.underlines[0], render_title
        )
    else:
        res = _render_jinja(
            template,
            render_title=render_title,
            sections=data,
            definitions=definitions,
            underlines=underlines,
            versiondata=versiondata,
            top_underline=settings.underlines[0],
            get_indent=get_indent,
            issues_by_category=issues_by_category,
            header_prefix="#" * md_header_level,
        )
    wrap = settings.wrap
    if wrap is not False:
        import textwrap

        width = 79 if wrap is True else int(wrap)
        if width <= 0:
            width = 79
        res = "\n".join(
            textwrap.fill(
                line,
                width=width,
                subsequent_indent=get_indent(line),
                break_long_words=False,
                break_on_hyphens=False,
            )
            for line in res.split("\n")
        )

    if settings.title_format:
        top_line = str(settings.title_format).format(
            name=project_name, version=version, project_date=project_date
        )
        parts = (
            [top_line]
            if settings.is_markdown
            else [
                top_line,
                settings.underlines[0] * len(top_line),
            ]
        )
        parts.append(res)
        return Rendered(content="\n".join(parts), top_line=top_line)
    return Rendered(content=res, top_line="")


_DEFAULT_RST: str | None = None


def _is_default_rst(template: str) -> bool:
    global _DEFAULT_RST
    if _DEFAULT_RST is None:
        _DEFAULT_RST = (_TEMPLATES / "default.rst").read_text(encoding="utf-8")
    return template == _DEFAULT_RST


def _render_default_rst(
    sections: Mapping[str, Mapping[str, Mapping[str, Sequence[str]]]],
    definitions: Mapping[str, Mapping[str, Any]],
    underlines: Sequence[str],
    versiondata: Mapping[str, str],
    top_underline: str,
    render_title: bool,
) -> str:
    """towncrier's ``default.rst`` rendered without jinja2 (same bytes).

    Each block below mirrors the template's lines under ``trim_blocks``.
    """
    out: list[str] = []
    add = out.append
    if render_title:
        name, version, date = versiondata["name"], versiondata["version"], versiondata["date"]
        if name:
            add(f"{name} {version} ({date})\n")
            add(top_underline * (len(name + version + date) + 4) + "\n")
        else:
            add(f"{version} ({date})\n")
            add(top_underline * (len(version + date) + 3) + "\n")
    for section, categories in sections.items():
        underline = underlines[0]
        if section:
            add(f"{section}\n{underline * len(section)}\n")
            underline = underlines[1]
        add("\n")
        if categories:
            for category, definition in definitions.items():
                if category not in categories:
                    continue
                title = definition["name"]
                add(f"{title}\n{underline * len(title)}\n\n")
                entries = categories[category]
                for text, values in entries.items():
                    if text:
                        if values:
                            add(f"- {text} ({', '.join(values)})\n")
                        else:
                            add(f"- {text}\n")
                    else:
                        add(f"- {', '.join(values)}\n")
                add("\n")
                if not entries:
                    add("No significant changes.\n\n")
                add("\n")
        else:
            add("No significant changes.\n\n\n")
    return "".join(out)


@functools.lru_cache(maxsize=8)
def _compile(template: str) -> Any:
    """The template compiled once per text (a compile costs far more than a render)."""
    import jinja2

    return jinja2.Template(template, trim_blocks=True)


def _render_jinja(template: str, **context: Any) -> str:
    import jinja2

    try:
        result: str = _compile(template).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(
            f"the notes template has a syntax error at line {exc.lineno}: {exc.message}",
            hint="fix the template named by tool.towncrier.template",
        ) from None
    except jinja2.TemplateError as exc:
        raise ConfigError(f"the notes template failed to render: {exc}") from None
    return result


# -- news file --------------------------------------------------------------


def news_file_name(
    settings: Settings, *, version: str, date: str | None = None, name: str | None = None
) -> str:
    """The news file's path relative to the project, as towncrier names it.

    A version with a ``/`` in a name made from the version names a folder,
    as in towncrier (:func:`plan_news_file` refuses one that does not exist).
    """
    if settings.single_file is False:
        return settings.filename.format(
            name=settings.project_name() if name is None else name,
            version=version,
            project_date=today() if date is None else date,
        )
    return settings.filename


def plan_news_file(settings: Settings, rendered: Rendered, news_file: Path) -> bytes:
    """New bytes of ``news_file`` after adding ``rendered`` (towncrier's writer).

    For one file per release (``single_file = false``) towncrier always starts
    from an empty file, overwriting one that exists; relman does the same,
    except for a per-release file that holds the start string (one made by
    `relman notes start`, with text the release manager wrote around it):
    there the notes go in at the start string.
    """
    content = rendered.content
    made_folder = os.path.relpath(news_file.parent, settings.base_dir) != (
        os.path.dirname(settings.filename) or "."
    )
    if made_folder and not news_file.parent.is_dir():
        raise UsageError(
            f"the news file {news_file} would go to a folder that does not exist "
            "(the version holds a '/'?)",
            hint="pass a version without '/', or create the folder",
        )
    header, prev_body = "", ""
    existing = ""
    if news_file.exists():
        try:
            existing = news_file.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CheckFailed(f"{news_file}: not valid UTF-8 ({exc.reason})") from None
        existing = existing.replace("\r\n", "\n").replace("\r", "\n")
    scratch = settings.single_file is False and (
        "{version}" not in settings.filename or settings.start_string not in existing
    )
    if existing and scratch and "{version}" in settings.filename:
        _report.warn(f"{news_file} exists: overwritten, as towncrier does for one file per release")
    if news_file.exists() and not scratch:
        parts = existing.split(settings.start_string, 1)
        if len(parts) == 2:
            header = f"{parts[0].rstrip()}\n\n{settings.start_string}\n"
            prev_body = parts[1].lstrip()
        else:
            prev_body = existing.lstrip()
    if rendered.top_line and rendered.top_line in prev_body:
        raise UsageError(
            f"{news_file} already has notes titled {rendered.top_line!r}",
            hint="the notes of this version were built already",
        )
    text = header + (content + prev_body if prev_body else content.rstrip() + "\n")
    return text.encode("utf-8")


def fragment_filename(
    settings: Settings, issue: str, type_: str, *, exists: Callable[[Path], bool] | None = None
) -> Path:
    """Where ``towncrier create <issue>.<type>`` would put a new fragment."""
    if type_ not in settings.type_map:
        raise UsageError(
            f"unknown fragment type {type_!r}",
            hint="use one of: " + ", ".join(settings.type_map),
        )
    if not issue or "/" in issue or os.sep in issue:
        raise UsageError(f"invalid issue {issue!r} for a fragment name")
    ext = ""
    if settings.create_add_extension:
        suffix = os.path.splitext(settings.filename)[1]
        if suffix.lower() in (".rst", ".md"):
            ext = suffix
    if settings.orphan_prefix and issue == settings.orphan_prefix:
        issue = f"{settings.orphan_prefix}{os.urandom(4).hex()}"
    base = f"{issue}.{type_}"
    folder = settings.fragment_dir(_default_section_path(settings))
    check = exists or (lambda p: p.exists())
    path = folder / f"{base}{ext}"
    retry = 0
    while check(path):
        retry += 1
        path = folder / f"{base}.{retry}{ext}"
    return path


def _default_section_path(settings: Settings) -> str:
    if len(settings.sections) == 1:
        return settings.sections[0][1]
    for _name, path in settings.sections:
        if not path:
            return path
    return settings.sections[0][1]
