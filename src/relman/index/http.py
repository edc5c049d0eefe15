"""HTTP/1.1 for the index client, on the standard library's ``http.client``.

:class:`Pool` keeps connections alive and reuses them: idle connections wait
per origin (scheme, host, port) and each request takes one (or opens one), so
a few threads uploading at once keep a few connections busy for the whole
publish. A connection the server has closed while idle is seen before reuse
(its socket is readable) and dropped. TLS is verified against certifi's CA
bundle, as httpx verifies it; environment settings (proxies, ``SSL_CERT_FILE``)
are not read, as with httpx's ``trust_env=False``; gzip answers are decoded.

``http.client`` is what an index needs and costs a few milliseconds to
import; httpx with httpcore, h11 (and trio or anyio, when installed) costs a
quarter of a second on a busy machine, all of it before the first request.
"""

from __future__ import annotations

import base64
import http.client
import select
import threading
import urllib.parse
import zlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

__all__ = [
    "TRANSPORT_ERRORS",
    "Pool",
    "Response",
    "basic_auth",
]

# what a request can fail with before the server answers (ssl.SSLError and
# socket timeouts are OSErrors; a malformed or missing answer an HTTPException)
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)
_REDIRECTS = (301, 302, 303, 307, 308)


class Response:
    """One answer, read whole: status, reason, headers (case-insensitive), body."""

    def __init__(
        self, url: str, status_code: int, reason_phrase: str, headers: http.client.HTTPMessage
    ) -> None:
        self.url = url
        self.status_code = status_code
        self.reason_phrase = reason_phrase
        self.headers = headers
        self.content = b""

    @property
    def is_redirect(self) -> bool:
        return self.status_code in _REDIRECTS and "Location" in self.headers

    @property
    def text(self) -> str:
        charset = self.headers.get_content_charset() or "utf-8"
        try:
            return self.content.decode(charset, "replace")
        except LookupError:  # a charset Python does not know
            return self.content.decode("utf-8", "replace")


def basic_auth(username: str, password: str) -> str:
    """The ``Authorization`` header value of HTTP basic authentication (UTF-8, as httpx)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def _decode(data: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(data, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            try:
                return zlib.decompress(data)
            except zlib.error:  # raw deflate, without the zlib header
                return zlib.decompress(data, -zlib.MAX_WBITS)
    except zlib.error as exc:
        raise http.client.HTTPException(f"the answer's {encoding} body is broken: {exc}") from None
    return data


def _closed_by_peer(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle connection can no longer be used (the server closed it, or sent
    something unasked, which a fresh request would misread as its answer)."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        if hasattr(select, "poll"):  # select.select takes no descriptor past 1023
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class Pool:
    """Kept-alive HTTP/1.1 connections, reused across requests and threads.

    One request uses one connection at a time; the pool holds the idle ones
    (at most ``keep`` per origin) and closes the rest.
    """

    def __init__(
        self,
        *,
        timeout: float,
        verify: bool,
        headers: Mapping[str, str],
        keep: int = 10,
    ) -> None:
        self.timeout = timeout
        self.verify = verify
        self.headers = {"Accept": "*/*", "Accept-Encoding": "gzip", **headers}
        self.keep = max(1, keep)
        self._idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None
        self._closed = False

    def _ssl_context(self) -> ssl.SSLContext:
        with self._lock:
            if self._context is None:
                import ssl

                if self.verify:
                    import certifi

                    self._context = ssl.create_default_context(cafile=certifi.where())
                else:
                    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                    self._context = context
            return self._context

    def _take(self, origin: tuple[str, str, int]) -> http.client.HTTPConnection:
        with self._lock:
            idle = self._idle.get(origin, [])
            while idle:
                conn = idle.pop()
                if not _closed_by_peer(conn):
                    return conn
                conn.close()
        scheme, host, port = origin
        if scheme == "https":
            return http.client.HTTPSConnection(
                host, port, timeout=self.timeout, context=self._ssl_context()
            )
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    def _give_back(self, origin: tuple[str, str, int], conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if not self._closed and len(idle) < self.keep:
                idle.append(conn)
                return
        conn.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send one request and read its whole answer; raises one of ``TRANSPORT_ERRORS``."""
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise http.client.InvalidURL(f"not an http(s) URL: {url}")
        origin = (scheme, parts.hostname, parts.port or (443 if scheme == "https" else 80))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = {**self.headers, **(headers or {})}
        conn = self._take(origin)
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            for key, value in sent.items():
                conn.putheader(key, value)
            if content is not None and "Content-Length" not in sent:
                if not isinstance(content, bytes):
                    raise ValueError("a streamed body needs a Content-Length")
                conn.putheader("Content-Length", str(len(content)))
            elif content is None and method in ("POST", "PUT"):
                conn.putheader("Content-Length", "0")
            conn.endheaders()
            try:
                for chunk in [content] if isinstance(content, bytes) else content or ():
                    conn.send(chunk)
            except (BrokenPipeError, ConnectionResetError):
                # the server may answer (401, 413) and close before reading the whole
                # body: its answer is still worth reading
                pass
            answer = conn.getresponse()
            response = Response(url, answer.status, answer.reason, answer.headers)
            data = answer.read()
            encoding = answer.headers.get("Content-Encoding")
            response.content = _decode(data, encoding) if encoding else data
        except BaseException:
            conn.close()
            raise
        if answer.will_close:
            conn.close()
        else:
            self._give_back(origin, conn)
        return response

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle = [c for conns in self._idle.values() for c in conns]
            self._idle.clear()
        for conn in idle:
            conn.close()
