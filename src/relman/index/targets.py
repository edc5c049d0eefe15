"""Where a release goes: a :class:`Target` (the embedded local index, an upload
URL, a repository of ``~/.pypirc``, or the public index from twine's constants)
and its :class:`Credentials`, which never appear in reprs, messages or logs.

Credentials come from ``RELMAN_INDEX_TOKEN``, ``TWINE_USERNAME`` /
``TWINE_PASSWORD``, ``~/.pypirc`` or keyring.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relman import _redact
from relman._record import record
from relman._regex import LazyPattern
from relman.errors import UsageError

if TYPE_CHECKING:
    import configparser

    from relman.config import Config


__all__ = [
    "Credentials",
    "Target",
    "install_url",
    "local_index_dir",
    "remember_listing",
    "resolve_target",
    "upload_url_for",
]


def _url_path(url: str) -> Path:
    """The local path of a ``file://`` URL."""
    return Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path))


# -- credentials and targets ---------------------------------------------------


class Credentials:
    """A username and a secret. The secret never shows in repr, str or JSON."""

    __slots__ = ("_password", "source", "username")

    def __init__(self, username: str, password: str, *, source: str) -> None:
        self.username = username
        self._password = password
        self.source = source
        _redact.remember(password, username=username)

    def password(self) -> str:
        return self._password

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password='***', source={self.source!r})"

    __str__ = __repr__


@record
class Target:
    """A package index to publish to or read from.

    ``kind`` is ``local`` (a directory index at :attr:`directory`) or
    ``remote`` (:attr:`upload_url` for uploads, :attr:`simple_url` for reads).
    """

    name: str
    kind: str
    simple_url: str
    upload_url: str | None = None
    directory: Path | None = None
    credentials: Credentials | None = field(default=None, repr=False, compare=False)

    @property
    def public(self) -> bool:
        """Whether this is the public index (or its test instance), whose upload rules
        :mod:`relman.artifacts.rules` holds files to; twine's constants name it.
        """
        if self.upload_url is None:
            return False
        urls = _twine_urls()
        return self.upload_url.rstrip("/") in {u.rstrip("/") for u in urls.values()}

    def describe(self) -> dict[str, Any]:
        """Plain data for reports: never the credentials, only where they came from."""
        return {
            "name": self.name,
            "kind": self.kind,
            "upload_url": self.upload_url,
            "simple_url": self.simple_url,
            "directory": str(self.directory) if self.directory else None,
            "credentials": self.credentials.source if self.credentials else None,
        }


def local_index_dir(config: Config) -> Path:
    """Folder of the embedded local index: ``publish.local-dir`` or <git-dir>/relman/index."""
    if config.publish.local_dir:
        return (config.project_dir / config.publish.local_dir).resolve()
    from relman.git import find_repo

    return find_repo(config.project_dir).git_dir / config.state_dir_name / "index"


_listings: dict[str, str] = {}


def remember_listing(simple_url: str, found: str) -> None:
    """Record that the index configured or derived as ``simple_url`` lists at ``found``
    (devpi-server's ``+simple/``), for :func:`install_url` and later reads.
    """
    _listings[simple_url] = found


def install_url(target: Target) -> str:
    """The URL to give pip as ``--index-url`` to install from ``target``: its listing,
    as discovered by the index client where the server keeps it elsewhere.
    """
    return _listings.get(target.simple_url, target.simple_url)


def _split_userinfo(url: str) -> tuple[str, Credentials | None]:
    scheme, sep, rest = url.partition("://")
    at = rest.rfind("@")
    user, colon, _ = rest[:at].partition(":")
    if sep and at > 0 and colon and "/" not in user and any(c in rest[:at] for c in "/?#"):
        # a password with / ? or # written as is: the userinfo ends at the last @
        # (httpx and urlsplit would take the host from inside the password)
        username, _, password = rest[:at].partition(":")
        creds = Credentials(
            urllib.parse.unquote(username), urllib.parse.unquote(password), source="URL"
        )
        return f"{scheme}://{rest[at + 1 :]}", creds
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, None
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    clean = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    creds = Credentials(
        urllib.parse.unquote(parts.username),
        urllib.parse.unquote(parts.password or ""),
        source="URL",
    )
    return clean, creds


def _simple_from_upload(upload_url: str) -> str:
    """The simple index URL that belongs to an upload URL.

    ``…/legacy/`` becomes ``…/simple/`` and a leading ``upload.`` host label
    is dropped (the layout of the public indexes); any other URL gets
    ``simple/`` appended (pypiserver and most self-hosted indexes).
    """
    parts = urllib.parse.urlsplit(upload_url)
    host = parts.netloc
    if host.startswith("upload."):
        host = host[len("upload.") :]
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    if path.endswith("/legacy/"):
        path = path[: -len("legacy/")] + "simple/"
    elif not path.endswith("/simple/"):
        path = path + "simple/"
    return urllib.parse.urlunsplit((parts.scheme, host, path, "", ""))


def _read_pypirc() -> configparser.RawConfigParser:
    import configparser

    parser = configparser.RawConfigParser()
    path = Path(os.path.expanduser("~/.pypirc"))
    if path.is_file():
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error as exc:
            raise UsageError(
                f"{path} cannot be read: {type(exc).__name__}",
                hint="fix the file; it uses the same format as twine's",
            ) from None
    return parser


_TWINE_CONSTANTS = {"pypi": "DEFAULT_REPOSITORY", "testpypi": "TEST_REPOSITORY"}
# a line assigning a plain string (no escapes) to a name, as a module's top level does
_CONSTANT_LINE = LazyPattern(r"""^([A-Z_]+)[ \t]*=[ \t]*(["'])([^"'\\\n]*)\2[ \t]*$""", re.M)


@functools.cache
def _twine_urls() -> dict[str, str]:
    """The upload URLs twine's ``twine.utils`` defines (``pypi``, ``testpypi``); empty
    without twine.

    The module's assignments are read from its source: importing it would import
    requests and more, most of a second on a busy machine, for two strings. Only
    the module's start, up to the last line that assigns one of them a plain
    string, is parsed (parsing all of it costs some 10 ms, a twentieth of a
    publish's start), or all of it when that start does not parse (the line is
    inside a string). A twine whose module no longer assigns them as plain
    strings is imported.
    """
    import ast
    import importlib.util

    # the package's folder, found without importing the package (its __init__ reads
    # its own metadata)
    spec = importlib.util.find_spec("twine")
    if spec is None or not spec.submodule_search_locations:
        return {}
    found: dict[str, str] = {}
    with contextlib.suppress(OSError, SyntaxError, ValueError):
        source = Path(next(iter(spec.submodule_search_locations))) / "utils.py"
        text = source.read_text(encoding="utf-8")
        wanted = set(_TWINE_CONSTANTS.values())
        ends = [m.end() for m in _CONSTANT_LINE.finditer(text) if m.group(1) in wanted]
        try:
            tree = ast.parse(text[: max(ends)] if ends else text)
        except SyntaxError:
            tree = ast.parse(text)
        for stmt in tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
            ):
                found[stmt.targets[0].id] = stmt.value.value
    if not all(c in found for c in _TWINE_CONSTANTS.values()):
        try:
            from twine import utils as twine_utils
        except ImportError:
            return {}
        found = {c: str(getattr(twine_utils, c)) for c in _TWINE_CONSTANTS.values()}
    return {name: found[constant] for name, constant in _TWINE_CONSTANTS.items()}


def _twine_url(name: str) -> str:
    url = _twine_urls().get(name)
    if url is None:
        raise UsageError(
            f"the upload URL of `{name}` comes from twine, which is not installed",
            hint="install twine (`pip install twine`) or pass the upload URL with --to",
        )
    return url


def upload_url_for(name: str) -> str:
    """The upload URL of the public index (``pypi``) or its test instance (``testpypi``)."""
    return _twine_url(name)


def _credentials(
    upload_url: str, section: Mapping[str, str], url_creds: Credentials | None
) -> Credentials | None:
    env = os.environ
    token = env.get("RELMAN_INDEX_TOKEN")
    if token:
        return Credentials("__token__", token, source="RELMAN_INDEX_TOKEN")
    if env.get("TWINE_PASSWORD"):
        return Credentials(
            env.get("TWINE_USERNAME") or "__token__",
            env["TWINE_PASSWORD"],
            source="TWINE_USERNAME/TWINE_PASSWORD",
        )
    if url_creds is not None:
        return url_creds
    username = env.get("TWINE_USERNAME") or section.get("username")
    if section.get("password"):
        return Credentials(username or "__token__", section["password"], source="~/.pypirc")
    password = _keyring_password(upload_url, username)
    if password:
        return Credentials(username or "__token__", password, source="keyring")
    return None


def _keyring_password(url: str, username: str | None) -> str | None:
    try:
        import keyring
    except ImportError:
        return None
    try:
        if username:
            found = keyring.get_password(url, username)
            return str(found) if found else None
        cred = keyring.get_credential(url, None)
        return str(cred.password) if cred is not None and cred.password else None
    except Exception:  # no backend, a locked keyring: no credentials
        return None


def resolve_target(config: Config, target: str | None) -> Target:
    """The :class:`Target` named by ``target`` (default: ``publish.target``).

    ``local``; ``file://`` URLs and folder paths (a directory index there);
    ``http(s)://`` upload URLs; ``pypi`` and ``testpypi``; and any repository
    section of ``~/.pypirc``.
    """
    name = target or config.publish.target
    if name == "local":
        return _local_target("local", local_index_dir(config))
    if name.startswith("file://"):
        return _local_target(name, _url_path(name))
    scheme = name.partition("://")[0]
    if "://" in name and scheme.lower() not in ("http", "https"):
        raise UsageError(
            f"relman cannot publish to a {scheme}:// URL ({_redact.url(name)})",
            hint="publish to an http(s):// upload URL, a file:// URL or a folder",
        )
    if name.startswith(("http://", "https://")):
        url, url_creds = _split_userinfo(name)
        simple = config.publish.index_url or _simple_from_upload(url)
        return Target(
            name=url,
            kind="remote",
            upload_url=url,
            simple_url=simple if simple.endswith("/") else simple + "/",
            credentials=_credentials(url, {}, url_creds),
        )
    if "/" in name or name.startswith("."):
        return _local_target(name, (config.project_dir / name).resolve())
    parser = _read_pypirc()
    servers = parser.get("distutils", "index-servers", fallback="pypi testpypi").split()
    section: dict[str, str] = dict(parser.items(name)) if parser.has_section(name) else {}
    if "repository" in section:
        url = section["repository"]
    elif name in ("pypi", "testpypi"):
        url = _twine_url(name)
    else:
        known = sorted({"local", "pypi", "testpypi", *servers, *parser.sections()} - {"distutils"})
        raise UsageError(
            f"unknown publish target {name!r}",
            hint=f"use a URL, a folder, or one of: {', '.join(known)} "
            "(repositories come from ~/.pypirc)",
        )
    url, url_creds = _split_userinfo(url)
    simple = config.publish.index_url or _simple_from_upload(url)
    return Target(
        name=name,
        kind="remote",
        upload_url=url,
        simple_url=simple if simple.endswith("/") else simple + "/",
        credentials=_credentials(url, section, url_creds),
    )


def _local_target(name: str, directory: Path) -> Target:
    directory = directory.resolve()
    return Target(
        name=name,
        kind="local",
        simple_url=(directory / "simple").as_uri() + "/",
        directory=directory,
    )


# -- distribution files --------------------------------------------------------
