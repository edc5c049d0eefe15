"""Package indexes: read (PEP 691 JSON, PEP 503 HTML), upload, verify, fetch.

A :class:`Target` is where a release goes: ``local`` (the embedded default, a
PEP 503 directory index that pip installs from with a ``file://`` index URL),
an upload URL, a repository name from the user's ``~/.pypirc``, or ``pypi`` /
``testpypi`` whose upload URLs come from twine's constants.

Reading asks for PEP 691 JSON and falls back to PEP 503 HTML (hashes from
``#sha256=`` fragments), also when a server ignores the ``Accept`` header.
Uploading speaks the legacy upload API exactly as twine does (a multipart form
with ``:action=file_upload``, ``protocol_version=1``, the metadata fields of
the file, ``filetype``, ``pyversion``, ``sha256_digest`` and ``content``).

:func:`publish_files` is resumable: it reads what the index has, skips files
present with the same sha256, refuses (before uploading anything) files
present with a different sha256, uploads wheels in parallel and the sdist
strictly last, retries transient failures with exponential backoff and
jitter, treats "file already exists" as success only when the index shows the
same sha256, and re-reads the index to verify every file at the end.

Credentials come from ``RELMAN_INDEX_TOKEN``, ``TWINE_USERNAME`` /
``TWINE_PASSWORD``, ``~/.pypirc`` or keyring, and never appear in reprs,
messages, reports or logs.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import hashlib
import html
import json
import os
import random
import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relman import _atomic, _report
from relman._atomic import sha256_file
from relman._fault import fault_point
from relman.errors import CheckFailed, RemoteError, UsageError

if TYPE_CHECKING:
    import configparser

    import httpx

    from relman.config import Config

__all__ = [
    "Credentials",
    "FetchReport",
    "FetchedFile",
    "FileResult",
    "IndexClient",
    "IndexFile",
    "PublishPlan",
    "PublishReport",
    "Target",
    "fetch_files",
    "install_url",
    "list_files",
    "local_index_dir",
    "plan_publish",
    "publish_files",
    "resolve_target",
]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
PLATFORMS = ("win", "macosx", "manylinux", "musllinux")
_CHUNK = 64 * 1024


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

    def password(self) -> str:
        return self._password

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password='***', source={self.source!r})"

    __str__ = __repr__


@dataclass(frozen=True, kw_only=True)
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


def install_url(target: Target) -> str:
    """The URL to give pip as ``--index-url`` to install from ``target``."""
    return target.simple_url


def _split_userinfo(url: str) -> tuple[str, Credentials | None]:
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


def _twine_url(name: str) -> str:
    try:
        from twine import utils as twine_utils
    except ImportError:
        raise UsageError(
            f"the upload URL of `{name}` comes from twine, which is not installed",
            hint="install twine (`pip install twine`) or pass the upload URL with --to",
        ) from None
    url = twine_utils.DEFAULT_REPOSITORY if name == "pypi" else twine_utils.TEST_REPOSITORY
    return str(url)


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


@dataclass(frozen=True, kw_only=True)
class DistFile:
    """A local distribution file: its names, hash and kind."""

    path: Path
    filename: str
    project: str
    version: str
    kind: str  # "wheel" or "sdist"
    size: int
    sha256: str


def describe_file(path: Path) -> DistFile:
    """Name, version, kind and sha256 of a wheel or sdist; :class:`UsageError` otherwise."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    name = path.name
    try:
        if name.endswith(".whl"):
            project, version, _, _ = parse_wheel_filename(name)
            kind = "wheel"
        elif name.endswith((".tar.gz", ".zip")):
            project, version = parse_sdist_filename(name)
            kind = "sdist"
        else:
            raise UsageError(
                f"{name} is not a wheel or an sdist",
                hint="only .whl, .tar.gz and .zip files go to a package index",
            )
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise UsageError(f"{name} is not a valid distribution file name: {exc}") from None
    if not path.is_file():
        raise UsageError(f"{path} does not exist")
    return DistFile(
        path=path,
        filename=name,
        project=str(canonicalize_name(project)),
        version=str(version),
        kind=kind,
        size=path.stat().st_size,
        sha256=sha256_file(path),
    )


def find_dist_files(folder: Path) -> list[Path]:
    """The wheels and sdists in ``folder`` (signatures, checksums and the rest left out)."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder", hint="pass the folder the build wrote")
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.name.endswith((".whl", ".tar.gz", ".zip"))
    )


def _read_metadata(path: Path) -> bytes:
    import tarfile
    import zipfile

    if path.name.endswith(".whl"):
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
            if names:
                return zf.read(min(names, key=lambda n: n.count("/")))
    elif path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.endswith("PKG-INFO")]
            if names:
                return zf.read(min(names, key=lambda n: n.count("/")))
    else:
        with tarfile.open(path, "r:gz") as tf:
            members = [m for m in tf.getmembers() if m.name.endswith("PKG-INFO") and m.isfile()]
            if members:
                fh = tf.extractfile(min(members, key=lambda m: m.name.count("/")))
                if fh is not None:
                    return fh.read()
    raise UsageError(
        f"{path.name} has no metadata (METADATA or PKG-INFO)",
        hint="rebuild it with a PEP 517 build backend",
    )


# Field names of packaging's RawMetadata -> names of the upload form (as twine sends them).
_FORM_FIELDS = {
    "metadata_version": "metadata_version",
    "name": "name",
    "version": "version",
    "platforms": "platform",
    "summary": "summary",
    "description": "description",
    "keywords": "keywords",
    "home_page": "home_page",
    "author": "author",
    "author_email": "author_email",
    "license": "license",
    "supported_platforms": "supported_platform",
    "download_url": "download_url",
    "classifiers": "classifiers",
    "requires": "requires",
    "provides": "provides",
    "obsoletes": "obsoletes",
    "maintainer": "maintainer",
    "maintainer_email": "maintainer_email",
    "requires_dist": "requires_dist",
    "provides_dist": "provides_dist",
    "obsoletes_dist": "obsoletes_dist",
    "requires_python": "requires_python",
    "requires_external": "requires_external",
    "project_urls": "project_urls",
    "description_content_type": "description_content_type",
    "provides_extra": "provides_extra",
    "dynamic": "dynamic",
    "license_expression": "license_expression",
    "license_files": "license_file",
}


def upload_fields(dist: DistFile) -> list[tuple[str, str]]:
    """The form fields of an upload of ``dist``, in the order twine sends them (without content)."""
    from packaging import metadata
    from packaging.utils import parse_wheel_filename
    from packaging.version import Version

    raw, unparsed = metadata.parse_email(_read_metadata(dist.path))
    if Version(str(raw.get("metadata_version", "0"))) < Version("2.4"):
        raw.pop("license_files", None)
        unparsed.pop("license-file", None)
    if unparsed:
        raise UsageError(
            f"{dist.filename} has invalid metadata: "
            + "; ".join(f"unrecognized or malformed field {k!r}" for k in sorted(unparsed)),
            hint="fix the project metadata and rebuild",
        )
    fields: list[tuple[str, str]] = []
    for key, value in raw.items():
        form = _FORM_FIELDS.get(key)
        if form is None:
            continue
        if form == "name":
            value = re.sub("[^A-Za-z0-9.]+", "-", str(value))
        if isinstance(value, dict):
            fields.extend((form, f"{k}, {v}") for k, v in value.items())
        elif form == "keywords" and isinstance(value, list):
            fields.append((form, ", ".join(value)))
        elif isinstance(value, list):
            fields.extend((form, str(v)) for v in value)
        else:
            fields.append((form, str(value)))
    if dist.kind == "wheel":
        tags = parse_wheel_filename(dist.filename)[3]
        pyversion = dist.filename[:-4].split("-")[-3] if tags else "any"
    else:
        pyversion = "source"
    fields.append(("pyversion", pyversion))
    fields.append(("filetype", "bdist_wheel" if dist.kind == "wheel" else "sdist"))
    fields.append(("sha256_digest", dist.sha256))
    with contextlib.suppress(ValueError):
        h = hashlib.blake2b(digest_size=32)
        h.update(dist.path.read_bytes())
        fields.append(("blake2_256_digest", h.hexdigest()))
    fields.append((":action", "file_upload"))
    fields.append(("protocol_version", "1"))
    return fields


def _quote_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_multipart(
    fields: Sequence[tuple[str, str]], filename: str, data: bytes
) -> tuple[str, list[bytes]]:
    """A multipart/form-data body: (content type, parts); the file is the last part."""
    boundary = secrets.token_hex(16)
    parts: list[bytes] = []
    for key, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote_field(key)}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="content"; '
            f'filename="{_quote_field(filename)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
    )
    parts.append(data)
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", parts


# -- reading an index ----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IndexFile:
    """One file listed on a project page of an index."""

    filename: str
    url: str
    sha256: str | None
    requires_python: str | None = None
    yanked: bool = False


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, dict[str, str | None]]] = []
        self._href: str | None = None
        self._attrs: dict[str, str | None] = {}
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._attrs = dict(attrs)
            self._href = self._attrs.get("href")
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip(), self._attrs))
            self._href = None


def parse_project_page(body: bytes, content_type: str, page_url: str) -> list[IndexFile]:
    """Files of a PEP 691 JSON or PEP 503 HTML project page; URLs made absolute."""
    if content_type.split(";")[0].strip() == JSON_TYPE or body.lstrip()[:1] == b"{":
        data = json.loads(body)
        out = []
        for item in data.get("files", []):
            hashes = item.get("hashes") or {}
            yanked = item.get("yanked", False)
            out.append(
                IndexFile(
                    filename=str(item["filename"]),
                    url=urllib.parse.urljoin(page_url, str(item["url"])),
                    sha256=hashes.get("sha256"),
                    requires_python=item.get("requires-python"),
                    yanked=bool(yanked),
                )
            )
        return out
    parser = _LinkParser()
    parser.feed(body.decode("utf-8", "replace"))
    out = []
    for href, text, attrs in parser.links:
        absolute = urllib.parse.urljoin(page_url, href)
        url, _, fragment = absolute.partition("#")
        path_name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        frag = dict(p.split("=", 1) for p in fragment.split("&") if "=" in p)
        rp = attrs.get("data-requires-python")
        out.append(
            IndexFile(
                filename=path_name or text,
                url=url,
                sha256=frag.get("sha256"),
                requires_python=html.unescape(rp) if rp else None,
                yanked="data-yanked" in attrs,
            )
        )
    return out


def _redact(text: str, creds: Credentials | None) -> str:
    if creds is not None:
        for secret in {creds.password(), urllib.parse.quote(creds.password(), safe="")}:
            if secret:
                text = text.replace(secret, "***")
    return text


def _reason(response: httpx.Response) -> str:
    """A one-line reason from an index's answer: the text, or an HTML page's title."""
    text = response.text[:4000].strip()
    if text.startswith("<") or "html" in response.headers.get("Content-Type", ""):
        found = re.search(r"<title>(.*?)</title>", text, re.S | re.I) or re.search(
            r"<h1>(.*?)</h1>", text, re.S | re.I
        )
        text = html.unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else ""
    line = " ".join(text.split())[:300]
    return line or response.reason_phrase


class IndexClient:
    """The one HTTP client for package indexes: reads, uploads, downloads, with retries.

    Transient failures (connection errors, timeouts, 429, 5xx) are retried up
    to ``retries`` attempts with exponential backoff from ``backoff`` seconds,
    jittered, and never longer than ``retry_time`` seconds per request.
    """

    def __init__(
        self,
        target: Target,
        *,
        timeout: float = 60.0,
        retries: int = 5,
        backoff: float = 0.5,
        retry_time: float = 120.0,
        connections: int = 8,
    ) -> None:
        import httpx

        from relman import __version__

        self.target = target
        self.retries = max(1, retries)
        self.backoff = backoff
        self.retry_time = retry_time
        self._lock = threading.Lock()
        creds = target.credentials
        self._auth = (creds.username, creds.password()) if creds else None
        urls = [u for u in (target.upload_url, target.simple_url) if u]
        needs_tls = any(u.startswith("https://") for u in urls)
        self._client = httpx.Client(
            # no TLS without https: skip loading the CA bundle (a quarter second)
            verify=needs_tls,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(
                max_connections=max(connections, 1) + 2,
                max_keepalive_connections=max(connections, 1) + 2,
            ),
            headers={"User-Agent": f"relman/{__version__}"},
            follow_redirects=False,
            trust_env=False,
        )

    @classmethod
    def for_config(cls, config: Config, target: Target, *, connections: int = 8) -> IndexClient:
        p = config.publish
        return cls(
            target,
            timeout=p.timeout,
            retries=p.retries,
            backoff=p.backoff,
            retry_time=p.retry_time,
            connections=connections,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> IndexClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------
    def _same_origin(self, url: str) -> bool:
        a = urllib.parse.urlsplit(url)
        for base in (self.target.upload_url, self.target.simple_url):
            if base:
                b = urllib.parse.urlsplit(base)
                if (a.scheme, a.netloc) == (b.scheme, b.netloc):
                    return True
        return False

    def redact(self, text: str) -> str:
        return _redact(text, self.target.credentials)

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None:
            after = response.headers.get("Retry-After", "")
            if after.isdigit():
                return min(float(after), 60.0)
        base: float = min(self.backoff * 2.0 ** (attempt - 1), 30.0)
        return base * random.uniform(0.5, 1.5)

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        make_content: Callable[[], Any] | None = None,
        headers: Mapping[str, str] | None = None,
        on_retry: Callable[[], None] | None = None,
    ) -> tuple[httpx.Response, int]:
        """Send with retries; return the first non-transient response and the attempts used."""
        import httpx

        start = time.monotonic()
        attempt = 0
        redirects = 0
        while True:
            attempt += 1
            response: httpx.Response | None = None
            problem = ""
            try:
                auth = self._auth if self._same_origin(url) else None
                response = self._client.request(
                    method,
                    url,
                    content=make_content() if make_content else None,
                    headers=dict(headers or {}),
                    auth=auth,
                )
                response.read()
                if response.is_redirect and method == "GET" and redirects < 5:
                    redirects += 1
                    url = urllib.parse.urljoin(url, response.headers.get("Location", ""))
                    attempt -= 1
                    continue
                if response.status_code != 429 and response.status_code < 500:
                    return response, attempt
                problem = f"HTTP {response.status_code} {response.reason_phrase}"
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            delay = self._delay(attempt, response)
            if attempt >= self.retries or time.monotonic() - start + delay > self.retry_time:
                if response is not None:
                    return response, attempt
                raise RemoteError(
                    self.redact(f"{what} failed after {attempt} attempts: {problem}"),
                    hint="check the index URL and the network; run again to resume",
                )
            _report.debug(self.redact(f"{what}: {problem}; retry {attempt} in {delay:.2f}s"))
            if on_retry is not None:
                on_retry()
            time.sleep(delay)

    # -- reading -------------------------------------------------------------
    def project_files(self, project: str) -> list[IndexFile]:
        """Every file the index lists for ``project`` (empty when the project is unknown)."""
        from packaging.utils import canonicalize_name

        name = str(canonicalize_name(project))
        url = urllib.parse.urljoin(self.target.simple_url, f"{name}/")
        response, _ = self.request("GET", url, what=f"reading {url}", headers={"Accept": ACCEPT})
        if response.status_code == 404:
            return []
        if response.status_code in (401, 403):
            raise RemoteError(
                f"the index refused to list {name} (HTTP {response.status_code})",
                hint="check the credentials for this index",
            )
        if response.status_code != 200:
            raise RemoteError(self.redact(f"reading {url} failed: HTTP {response.status_code}"))
        return parse_project_page(
            response.content, response.headers.get("Content-Type", ""), str(response.url)
        )

    def download(self, url: str) -> bytes:
        response, _ = self.request("GET", url, what=f"downloading {url.rsplit('/', 1)[-1]}")
        if response.status_code != 200:
            raise RemoteError(self.redact(f"downloading {url} failed: HTTP {response.status_code}"))
        return response.content

    # -- uploading --------------------------------------------------------------
    def upload(
        self,
        dist: DistFile,
        advance: Callable[[int], None],
        fields: Sequence[tuple[str, str]] | None = None,
    ) -> tuple[int, int, str]:
        """POST ``dist`` as twine does: (HTTP status, attempts, response text)."""
        assert self.target.upload_url is not None
        if fields is None:
            fields = upload_fields(dist)
        data = dist.path.read_bytes()
        content_type, parts = encode_multipart(fields, dist.filename, data)
        length = sum(len(p) for p in parts)
        sent = [0]

        def body() -> Iterator[bytes]:
            sent[0] = 0
            for part in parts:
                for i in range(0, len(part), _CHUNK):
                    chunk = part[i : i + _CHUNK]
                    yield chunk
                    if part is data:
                        sent[0] += len(chunk)
                        advance(len(chunk))

        def undo() -> None:
            advance(-sent[0])
            sent[0] = 0

        response, attempts = self.request(
            "POST",
            self.target.upload_url,
            what=f"uploading {dist.filename}",
            make_content=body,
            headers={"Content-Type": content_type, "Content-Length": str(length)},
            on_retry=undo,
        )
        reason = self.redact(_reason(response))
        if "exist" in response.text.lower() and "exist" not in reason.lower():
            reason += " (already exists)"
        return response.status_code, attempts, reason


# -- the local directory index -------------------------------------------------


class LocalIndex:
    """A PEP 503 directory index: ``simple/<project>/index.html`` with the files beside it.

    Every write is atomic (a temporary file, then a rename) and serialised by
    a lock file, so pip never sees a half-written page or file.
    """

    _thread_lock = threading.Lock()

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.simple = directory / "simple"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        import fcntl

        self.directory.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, (self.directory / ".lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def project_files(self, project: str) -> list[IndexFile]:
        page = self.simple / project / "index.html"
        if not page.is_file():
            return []
        return parse_project_page(page.read_bytes(), "text/html", page.as_uri())

    def add(self, dist: DistFile) -> str:
        """Add ``dist``: ``uploaded``, ``exists`` (same bytes already there) or a CheckFailed."""
        folder = self.simple / dist.project
        dest = folder / dist.filename
        with self._locked():
            status = "uploaded"
            if dest.is_file():
                if sha256_file(dest) != dist.sha256:
                    raise CheckFailed(
                        f"{dist.filename} is already in {folder} with a different sha256"
                    )
                status = "exists"
            else:
                _atomic.write_bytes(dest, dist.path.read_bytes())
            self._write_pages(dist.project)
        return status

    def _write_pages(self, project: str) -> None:
        folder = self.simple / project
        known = {f.filename: f.sha256 for f in self.project_files(project)}
        links = []
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.name == "index.html" or path.name.startswith("."):
                continue
            digest = known.get(path.name) or sha256_file(path)
            href = urllib.parse.quote(path.name)
            links.append(f'    <a href="{href}#sha256={digest}">{html.escape(path.name)}</a><br>')
        _atomic.write_text(folder / "index.html", _page(f"Links for {project}", links))
        projects = sorted(
            p.name for p in self.simple.iterdir() if p.is_dir() and (p / "index.html").is_file()
        )
        root_links = [
            f'    <a href="{urllib.parse.quote(p)}/">{html.escape(p)}</a><br>' for p in projects
        ]
        _atomic.write_text(self.simple / "index.html", _page("Simple index", root_links))


def _page(title: str, links: Sequence[str]) -> str:
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta name="pypi:repository-version" content="1.0">\n'
        f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
        f"    <h1>{html.escape(title)}</h1>\n" + "\n".join(links) + "\n  </body>\n</html>\n"
    )


def list_files(target: Target, project: str, *, config: Config | None = None) -> dict[str, str]:
    """Filename -> sha256 of every file ``target`` has for ``project``.

    Files listed without a sha256 are downloaded and hashed.
    """
    from packaging.utils import canonicalize_name

    name = str(canonicalize_name(project))
    if target.kind == "local":
        assert target.directory is not None
        return {
            f.filename: f.sha256 or "" for f in LocalIndex(target.directory).project_files(name)
        }
    client = IndexClient.for_config(config, target) if config is not None else IndexClient(target)
    with client:
        return _hashes(client, client.project_files(name))


def _hashes(
    client: IndexClient, files: Sequence[IndexFile], only: Collection[str] | None = None
) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in files:
        if only is not None and f.filename not in only:
            continue
        out[f.filename] = f.sha256 or hashlib.sha256(client.download(f.url)).hexdigest()
    return out


# -- publishing ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FileResult:
    """What happened (or would happen) to one file.

    ``action``: ``upload``, ``skip`` (on the index with the same sha256) or
    ``conflict`` (on the index with a different sha256).
    ``status``: ``planned``, ``uploaded``, ``exists`` (the index answered
    "already exists" and shows the same sha256), ``skipped``, ``failed`` or
    ``held`` (an sdist not sent because a wheel failed).
    """

    filename: str
    path: Path
    kind: str
    size: int
    sha256: str
    action: str
    status: str = "planned"
    attempts: int = 0
    verified: bool = False
    index_sha256: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "path": str(self.path),
            "kind": self.kind,
            "size": self.size,
            "sha256": self.sha256,
            "action": self.action,
            "status": self.status,
            "attempts": self.attempts,
            "verified": self.verified,
            "index_sha256": self.index_sha256,
            "error": self.error,
        }


@dataclass(frozen=True, kw_only=True)
class PublishPlan:
    target: Target
    files: tuple[FileResult, ...]

    @property
    def conflicts(self) -> list[FileResult]:
        return [f for f in self.files if f.action == "conflict"]

    @property
    def uploads(self) -> list[FileResult]:
        return [f for f in self.files if f.action == "upload"]

    @property
    def skips(self) -> list[FileResult]:
        return [f for f in self.files if f.action == "skip"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target.describe(),
            "upload": [f.filename for f in self.uploads],
            "skip": [f.filename for f in self.skips],
            "conflict": [f.filename for f in self.conflicts],
            "files": [f.as_dict() for f in self.files],
        }


@dataclass(frozen=True, kw_only=True)
class PublishReport:
    target: Target
    files: tuple[FileResult, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        """True when every file is on the index with the right sha256."""
        return all(f.verified for f in self.files)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "target": self.target.describe(),
            "seconds": round(self.seconds, 3),
            "uploaded": self.count("uploaded") + self.count("exists"),
            "skipped": self.count("skipped"),
            "failed": sum(1 for f in self.files if not f.verified),
            "files": [f.as_dict() for f in self.files],
        }


def _order(dists: Sequence[DistFile]) -> list[DistFile]:
    return sorted(dists, key=lambda d: (d.kind == "sdist", d.filename))


def _describe_all(files: Sequence[Path]) -> list[DistFile]:
    if not files:
        raise UsageError("no distribution files to publish", hint="build them first: relman build")
    dists = [describe_file(Path(p)) for p in files]
    names = [d.filename for d in dists]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UsageError(f"the same file name is given twice: {', '.join(dupes)}")
    return _order(dists)


def _index_state(
    target: Target, client: IndexClient | None, dists: Sequence[DistFile]
) -> dict[str, str]:
    """Filename -> sha256 on the index, for the files of ``dists``' projects."""
    wanted = {d.filename for d in dists}
    out: dict[str, str] = {}
    for project in sorted({d.project for d in dists}):
        if target.kind == "local":
            assert target.directory is not None
            for f in LocalIndex(target.directory).project_files(project):
                if f.filename in wanted:
                    path = target.directory / "simple" / project / f.filename
                    out[f.filename] = sha256_file(path) if path.is_file() else ""
        else:
            assert client is not None
            out.update(_hashes(client, client.project_files(project), wanted))
    return out


def _plan(target: Target, dists: Sequence[DistFile], present: Mapping[str, str]) -> PublishPlan:
    rows = []
    for d in dists:
        there = present.get(d.filename)
        action = "upload" if there is None else ("skip" if there == d.sha256 else "conflict")
        rows.append(
            FileResult(
                filename=d.filename,
                path=d.path,
                kind=d.kind,
                size=d.size,
                sha256=d.sha256,
                action=action,
                index_sha256=there,
            )
        )
    return PublishPlan(target=target, files=tuple(rows))


def conflict_error(plan: PublishPlan) -> CheckFailed:
    lines = [
        f"{f.filename}: index has sha256 {f.index_sha256}, local file {f.sha256}"
        for f in plan.conflicts
    ]
    return CheckFailed(
        "the index already has different files under these names; nothing was uploaded:\n  "
        + "\n  ".join(lines),
        hint="a published file can never be replaced: publish exactly the files that were "
        "released, or release a new version",
    )


def plan_publish(config: Config, files: Sequence[Path], target: Target) -> PublishPlan:
    """What :func:`publish_files` would do: upload, skip or conflict for each file. Changes nothing."""
    dists = _describe_all(files)
    if target.kind == "local":
        return _plan(target, dists, _index_state(target, None, dists))
    with IndexClient.for_config(config, target) as client:
        return _plan(target, dists, _index_state(target, client, dists))


def publish_files(
    config: Config,
    files: Sequence[Path],
    target: Target,
    *,
    workers: int | None = None,
) -> PublishReport:
    """Publish ``files`` to ``target``: wheels in parallel, the sdist last, then verify.

    Raises :class:`CheckFailed` before uploading anything when the index has a
    different file under one of the names. Upload failures do not raise: the
    report says which files failed (``report.ok`` is False) and a new run
    resumes where this one stopped.
    """
    started = time.monotonic()
    n_workers = max(1, workers if workers is not None else config.publish.workers)
    dists = _describe_all(files)
    by_name = {d.filename: d for d in dists}
    client = (
        None
        if target.kind == "local"
        else IndexClient.for_config(config, target, connections=n_workers)
    )
    try:
        # read the index while the form fields of every file are prepared
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as reader:
            listing = reader.submit(
                contextvars.copy_context().run, _index_state, target, client, dists
            )
            forms: dict[str, list[tuple[str, str]] | UsageError] = {}
            if client is not None:
                for d in dists:
                    try:
                        forms[d.filename] = upload_fields(d)
                    except UsageError as exc:
                        forms[d.filename] = exc
            plan = _plan(target, dists, listing.result())
        if plan.conflicts:
            raise conflict_error(plan)
        for row in plan.uploads:
            form = forms.get(row.filename)
            if isinstance(form, UsageError):
                raise form  # invalid metadata: refused before anything is uploaded
        results: dict[str, FileResult] = {
            f.filename: replace(f, status="skipped") if f.action == "skip" else f
            for f in plan.files
        }
        todo = [by_name[f.filename] for f in plan.uploads]
        wheels = [d for d in todo if d.kind != "sdist"]
        sdists = [d for d in todo if d.kind == "sdist"]
        total = sum(d.size for d in todo)
        if todo:
            _report.info(
                f"uploading {len(todo)} file{'s' if len(todo) != 1 else ''} to {target.name}"
                + (f", skipping {len(plan.skips)} already there" if plan.skips else "")
            )
        with _report.progress(f"upload {len(todo)} files", total=total or None) as bar:
            lock = threading.Lock()

            def advance(n: int) -> None:
                with lock:
                    bar.advance(n)

            refused = threading.Event()

            def send(d: DistFile) -> FileResult:
                if refused.is_set():
                    return replace(
                        results[d.filename],
                        status="failed",
                        error="not attempted: the index refused the credentials",
                    )
                form = forms.get(d.filename)
                return _send_one(
                    target,
                    client,
                    d,
                    results[d.filename],
                    advance,
                    form if isinstance(form, list) else None,
                    refused,
                )

            if wheels:
                with concurrent.futures.ThreadPoolExecutor(
                    max_workers=min(n_workers, len(wheels)), thread_name_prefix="relman-upload"
                ) as pool:
                    contexts = [contextvars.copy_context() for _ in wheels]
                    for res in pool.map(lambda c, d: c.run(send, d), contexts, wheels):
                        results[res.filename] = res
            wheels_ok = all(results[d.filename].status in ("uploaded", "exists") for d in wheels)
            fault_point("publish:mid")  # wheels on the index, sdist not yet
            for d in sdists:
                if wheels_ok:
                    results[d.filename] = send(d)
                else:
                    results[d.filename] = replace(
                        results[d.filename],
                        status="held",
                        error="not uploaded: the sdist goes last, after every wheel is on the index",
                    )
        final = _verify(target, client, dists, results)
    finally:
        if client is not None:
            client.close()
    return PublishReport(
        target=target,
        files=tuple(final[d.filename] for d in dists),
        seconds=time.monotonic() - started,
    )


def _send_one(
    target: Target,
    client: IndexClient | None,
    dist: DistFile,
    row: FileResult,
    advance: Callable[[int], None],
    fields: Sequence[tuple[str, str]] | None = None,
    refused: threading.Event | None = None,
) -> FileResult:
    if target.kind == "local":
        assert target.directory is not None
        try:
            status = LocalIndex(target.directory).add(dist)
        except (OSError, CheckFailed) as exc:
            return replace(row, status="failed", attempts=1, error=str(exc))
        advance(dist.size)
        return replace(row, status=status, attempts=1)
    assert client is not None
    try:
        code, attempts, text = client.upload(dist, advance, fields)
    except RemoteError as exc:
        return replace(row, status="failed", error=exc.message)
    except OSError as exc:
        return replace(row, status="failed", error=f"{type(exc).__name__}: {exc}")
    if 200 <= code < 300:
        _report.debug(f"uploaded {dist.filename}")
        return replace(row, status="uploaded", attempts=attempts)
    if code == 409 or (code == 400 and "exist" in text.lower()):
        # "already exists": a success only if the index shows the very same bytes
        return _check_existing(client, dist, replace(row, attempts=attempts))
    reason = text
    hint = ""
    if 300 <= code < 400:
        hint = " (the index redirects uploads: publish to the upload URL itself)"
    if code in (401, 403):
        if refused is not None:
            refused.set()  # the other files would be refused too: do not send them
        hint = (
            " (credentials missing or refused: set RELMAN_INDEX_TOKEN or "
            "TWINE_USERNAME/TWINE_PASSWORD, or add them to ~/.pypirc)"
        )
    return replace(
        row,
        status="failed",
        attempts=attempts,
        error=client.redact(f"HTTP {code}: {reason}{hint}".strip()),
    )


def _check_existing(client: IndexClient, dist: DistFile, row: FileResult) -> FileResult:
    for attempt in range(3):
        try:
            files = {
                f.filename: f
                for f in client.project_files(dist.project)
                if f.filename == dist.filename
            }
            found = _hashes(client, list(files.values()))
        except RemoteError as exc:
            return replace(row, status="failed", error=exc.message)
        there = found.get(dist.filename)
        if there == dist.sha256:
            return replace(row, status="exists", index_sha256=there)
        if there is not None:
            return replace(
                row,
                status="failed",
                index_sha256=there,
                error=f"the index already has a different {dist.filename} (sha256 {there})",
            )
        time.sleep(client.backoff * (attempt + 1))
    return replace(
        row,
        status="failed",
        error="the index answered 'already exists' but does not list the file",
    )


def _verify(
    target: Target,
    client: IndexClient | None,
    dists: Sequence[DistFile],
    results: Mapping[str, FileResult],
) -> dict[str, FileResult]:
    """Re-read the index; mark each file verified when it is there with the right sha256."""
    expected = {d.filename: d.sha256 for d in dists}
    present: dict[str, str] = {}
    error: str | None = None
    for attempt in range(3):
        try:
            present = _index_state(target, client, dists)
        except RemoteError as exc:
            error = exc.message
        sent = [n for n, r in results.items() if r.status in ("uploaded", "exists", "skipped")]
        if all(present.get(n) == expected[n] for n in sent):
            break  # only files that were never sent can be missing: do not wait for them
        time.sleep((client.backoff if client else 0.05) * (attempt + 1))
    out = {}
    for name, row in results.items():
        there = present.get(name)
        ok = there == expected[name]
        new = replace(row, verified=ok, index_sha256=there)
        if not ok and new.status not in ("failed", "held"):
            new = replace(
                new,
                status="failed",
                error=error
                or (
                    "not on the index after upload"
                    if there is None
                    else f"the index shows sha256 {there}"
                ),
            )
        out[name] = new
    return out


# -- fetching wheels built elsewhere ---------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FetchedFile:
    filename: str
    path: Path
    sha256: str
    status: str  # "downloaded", "skipped" (already present, same hash)
    verified: bool  # the index gave a sha256 and it matched


@dataclass(frozen=True, kw_only=True)
class FetchReport:
    index_url: str
    project: str
    version: str
    files: tuple[FetchedFile, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "index_url": self.index_url,
            "project": self.project,
            "version": self.version,
            "files": [
                {
                    "filename": f.filename,
                    "path": str(f.path),
                    "sha256": f.sha256,
                    "status": f.status,
                    "verified": f.verified,
                }
                for f in self.files
            ],
        }


def _matches(filename: str, project: str, version: str, platform: str | None) -> bool:
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import InvalidVersion, Version

    try:
        if filename.endswith(".whl"):
            name, ver, _, tags = parse_wheel_filename(filename)
            if platform is not None and not any(
                t.platform.startswith(platform)
                or (platform == "manylinux" and t.platform.startswith("linux"))
                for t in tags
            ):
                return False
        elif filename.endswith((".tar.gz", ".zip")):
            if platform is not None:
                return False
            name, ver = parse_sdist_filename(filename)
        else:
            return False
        return canonicalize_name(name) == canonicalize_name(project) and ver == Version(version)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return False


def fetch_files(
    index_url: str,
    project: str,
    version: str,
    *,
    dest: Path,
    platform: str | None = None,
    config: Config | None = None,
    workers: int = 8,
) -> FetchReport:
    """Download every file of ``project`` ``version`` from a staging index into ``dest``.

    Hashes the index gives are verified before a file is written (atomically);
    files already in ``dest`` with the same hash are skipped. A file in
    ``dest`` with a different hash than the index's is refused before anything
    is downloaded.
    """
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    if platform is not None and platform not in PLATFORMS:
        raise UsageError(
            f"unknown platform {platform!r}", hint=f"use one of: {', '.join(PLATFORMS)}"
        )
    try:
        Version(version)
    except InvalidVersion:
        raise UsageError(f"{version!r} is not a valid version") from None
    name = str(canonicalize_name(project))
    if index_url.startswith(("http://", "https://")):
        url, creds = _split_userinfo(index_url)
        target = Target(
            name=url,
            kind="remote",
            simple_url=url if url.endswith("/") else url + "/",
            credentials=creds,
        )
    elif index_url.startswith("file://") or "://" not in index_url:
        path = (
            _url_path(index_url) if index_url.startswith("file://") else Path(index_url)
        ).resolve()
        target = Target(name=str(path), kind="staging-dir", simple_url=path.as_uri() + "/")
    else:
        raise UsageError(f"{index_url} is not an http(s) or file URL")
    client = (
        IndexClient.for_config(config, target, connections=workers)
        if config is not None
        else IndexClient(target, connections=workers)
    )
    with client:
        if target.kind == "staging-dir":
            page = _url_path(target.simple_url) / name / "index.html"
            listed = (
                parse_project_page(page.read_bytes(), "text/html", page.as_uri())
                if page.is_file()
                else []
            )
        else:
            listed = client.project_files(name)
        chosen = [f for f in listed if _matches(f.filename, name, version, platform)]
        if not chosen:
            what = f"{name} {version}" + (f" for {platform}" if platform else "")
            raise CheckFailed(
                f"{target.name} has no files of {what}",
                hint="check the project name, the version and the index URL",
            )
        dest.mkdir(parents=True, exist_ok=True)
        skipped: dict[str, FetchedFile] = {}
        for f in chosen:
            local = dest / f.filename
            if local.exists():
                have = sha256_file(local)
                if f.sha256 is not None and have != f.sha256:
                    raise CheckFailed(
                        f"{local} exists with sha256 {have}, the index has {f.sha256}",
                        hint="remove the local file if the index's file is the right one",
                    )
                skipped[f.filename] = FetchedFile(
                    filename=f.filename,
                    path=local,
                    sha256=have,
                    status="skipped",
                    verified=f.sha256 is not None,
                )

        def get(f: IndexFile) -> FetchedFile:
            if f.url.startswith("file://"):
                data = _url_path(f.url).read_bytes()
            else:
                data = client.download(f.url)
            digest = hashlib.sha256(data).hexdigest()
            if f.sha256 is not None and digest != f.sha256:
                raise RemoteError(
                    f"{f.filename}: downloaded sha256 {digest} does not match the index's {f.sha256}",
                    hint="nothing was written for this file; run again, or check the staging index",
                )
            _atomic.write_bytes(dest / f.filename, data)
            return FetchedFile(
                filename=f.filename,
                path=dest / f.filename,
                sha256=digest,
                status="downloaded",
                verified=f.sha256 is not None,
            )

        todo = [f for f in chosen if f.filename not in skipped]
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            contexts = [contextvars.copy_context() for _ in todo]
            fetched = {r.filename: r for r in pool.map(lambda c, f: c.run(get, f), contexts, todo)}
    rows = tuple((skipped | fetched)[f.filename] for f in sorted(chosen, key=lambda f: f.filename))
    return FetchReport(index_url=target.name, project=name, version=version, files=rows)
