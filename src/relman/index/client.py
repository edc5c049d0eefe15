"""The index client: reading project pages (PEP 691 JSON, PEP 503 HTML with
hashes from ``#sha256=`` fragments, also when a server ignores ``Accept``),
downloading, and uploading one file, over kept-alive connections
(:mod:`relman.index.http`), with retries and redacted errors.

The listing URL is discovered where a server keeps it elsewhere: devpi-server
(known by its ``X-Devpi-*`` headers) lists an index at ``<index>/+simple/``,
so a 404 from devpi for ``…/simple/<project>/`` is asked again there, and the
URL found is remembered for the target (:func:`~relman.index.targets.install_url`).
"""

from __future__ import annotations

import random
import re
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from relman import _redact, _report
from relman._record import record
from relman.errors import RemoteError

if TYPE_CHECKING:
    from relman.config import Config

from relman.index.dists import DistFile, canonical_name, encode_multipart, upload_fields
from relman.index.http import TRANSPORT_ERRORS, Pool, Response, basic_auth
from relman.index.targets import Credentials, Target, install_url, remember_listing

__all__ = [
    "IndexClient",
    "IndexFile",
    "parse_project_page",
]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
_CHUNK = 256 * 1024


@record
class IndexFile:
    """One file listed on a project page of an index."""

    filename: str
    url: str
    sha256: str | None
    requires_python: str | None = None
    yanked: bool = False


Link = tuple[str, str, dict[str, str | None]]  # href, text, attributes


def _html_links(text: str) -> list[Link]:
    """The ``<a>`` elements of an HTML page (html.parser is imported when a page is HTML)."""
    from html.parser import HTMLParser

    class LinkParser(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.links: list[Link] = []
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

    parser = LinkParser()
    parser.feed(text)
    parser.close()
    return parser.links


def parse_project_page(body: bytes, content_type: str, page_url: str) -> list[IndexFile]:
    """Files of a PEP 691 JSON or PEP 503 HTML project page; URLs made absolute."""
    if content_type.split(";")[0].strip() == JSON_TYPE or body.lstrip()[:1] == b"{":
        import json

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
    import html

    out = []
    for href, text, attrs in _html_links(body.decode("utf-8", "replace")):
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


def devpi_listing(url: str) -> str:
    """The listing devpi-server keeps for the index ``url`` belongs to: ``<index>/+simple/``.

    ``url`` is the upload URL (``…/user/index/``) or a listing derived from it
    (``…/user/index/simple/``).
    """
    parts = urllib.parse.urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    if path.endswith("/simple/") and not path.endswith("/+simple/"):
        path = path[: -len("simple/")]
    if not path.endswith("/+simple/"):
        path += "+simple/"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _is_devpi(response: Response) -> bool:
    return any(k.lower().startswith("x-devpi-") for k in response.headers)


def _redact_text(text: str, creds: Credentials | None) -> str:
    if creds is not None:
        _redact.remember(creds.password(), username=creds.username)
    return _redact.server_text(text)


def _reason(response: Response) -> str:
    """A one-line reason from an index's answer: the text, or an HTML page's title."""
    text = response.text[:4000].strip()
    if text.startswith("<") or "html" in response.headers.get("Content-Type", ""):
        import html

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
        from relman import __version__

        self.target = target
        self.simple_url = install_url(target)  # where this index lists a project (discovered)
        self.retries = max(1, retries)
        self.backoff = backoff
        self.retry_time = retry_time
        self._lock = threading.Lock()
        creds = target.credentials
        self._auth = basic_auth(creds.username, creds.password()) if creds else None
        # redirects are followed here (GET only), never with credentials to another origin
        self._pool = Pool(
            timeout=timeout,
            verify=True,
            headers={"User-Agent": f"relman/{__version__}"},
            keep=max(connections, 1) + 2,
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
        self._pool.close()

    def __enter__(self) -> IndexClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------
    def _same_origin(self, url: str) -> bool:
        a = urllib.parse.urlsplit(url)
        for base in (self.target.upload_url, self.target.simple_url, self.simple_url):
            if base:
                b = urllib.parse.urlsplit(base)
                if (a.scheme, a.netloc) == (b.scheme, b.netloc):
                    return True
        return False

    def redact(self, text: str) -> str:
        return _redact_text(text, self.target.credentials)

    def _delay(self, attempt: int, response: Response | None) -> float:
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
    ) -> tuple[Response, int]:
        """Send with retries; return the first non-transient response and the attempts used."""
        start = time.monotonic()
        attempt = 0
        redirects = 0
        while True:
            attempt += 1
            response: Response | None = None
            problem = ""
            try:
                sent = dict(headers or {})
                if self._auth is not None and self._same_origin(url):
                    sent["Authorization"] = self._auth
                response = self._pool.request(
                    method, url, content=make_content() if make_content else None, headers=sent
                )
                if response.is_redirect and method == "GET" and redirects < 5:
                    redirects += 1
                    url = urllib.parse.urljoin(url, response.headers.get("Location", ""))
                    attempt -= 1
                    continue
                if response.status_code != 429 and response.status_code < 500:
                    return response, attempt
                problem = f"HTTP {response.status_code} {response.reason_phrase}"
            except ssl.SSLCertVerificationError as exc:  # not transient: never retried
                raise RemoteError(
                    self.redact(
                        f"{what} failed: the index's TLS certificate is not trusted "
                        f"({exc.verify_message or exc})"
                    ),
                    hint="relman checks certificates against certifi's CA bundle, as twine "
                    "does: check the index URL, or give the index a certificate from a known CA",
                ) from None
            except TRANSPORT_ERRORS as exc:
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
        name = canonical_name(project)
        url = urllib.parse.urljoin(self.simple_url, f"{name}/")
        response, _ = self.request("GET", url, what=f"reading {url}", headers={"Accept": ACCEPT})
        if response.status_code == 404 and _is_devpi(response):
            listing = devpi_listing(self.simple_url)
            if listing != self.simple_url:
                _report.debug(f"devpi-server lists this index at {_redact.url(listing)}")
                self.simple_url = listing
                remember_listing(self.target.simple_url, listing)
                return self.project_files(project)
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
        data: bytes | None = None,
    ) -> tuple[int, int, str]:
        """POST ``dist`` as twine does: (HTTP status, attempts, response text).

        ``data`` is the file's content when the caller has read it (to hash it).
        The text of a success (2xx) is its reason phrase; a refusal's is its
        text or its HTML page's title (both redacted).
        """
        assert self.target.upload_url is not None
        if fields is None:
            fields = upload_fields(dist)
        if data is None:
            data = dist.path.read_bytes()
        content_type, parts = encode_multipart(fields, dist.filename, data)
        length = sum(len(p) for p in parts)
        # the form fields go out in one piece, so do small files whole: each piece
        # written is a packet of its own
        at = next(i for i, part in enumerate(parts) if part is data)
        head, tail = b"".join(parts[:at]), b"".join(parts[at + 1 :])
        sent = [0]

        def body() -> Iterator[bytes]:
            sent[0] = 0
            if len(data) <= _CHUNK:
                yield head + data + tail
                sent[0] = len(data)
                advance(len(data))
                return
            yield head
            for i in range(0, len(data), _CHUNK):
                chunk = data[i : i + _CHUNK]
                yield chunk
                sent[0] += len(chunk)
                advance(len(chunk))
            yield tail

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
        if 200 <= response.status_code < 300:
            return response.status_code, attempts, self.redact(response.reason_phrase)
        reason = self.redact(_reason(response))
        if "exist" in response.text.lower() and "exist" not in reason.lower():
            reason += " (already exists)"
        return response.status_code, attempts, reason


# -- the local directory index -------------------------------------------------
