"""The one redaction layer: no credential reaches any output.

Two rules, applied structurally rather than by masking substrings:

- a URL is rendered without its userinfo (:func:`url`): ``https://u:p@host/x``
  is shown as ``https://host/x``, everywhere a URL is shown;
- every line relman shows goes through :func:`text`, which removes the
  userinfo of every URL in it and every form of every secret in use: the raw
  secret, its percent-encodings, the base64 of ``user:secret`` (as HTTP Basic
  sends it, padded or not, standard or URL-safe alphabet) and the base64 of
  the secret alone (the CLI's output, its errors and the reporter apply it);
- text a server sent (an index's or GitHub's answer) goes through
  :func:`server_text` before it is put in a message: :func:`text`, plus the
  value of every ``Authorization`` header and every ``Bearer``/``Basic``
  credential, known or not.

The secrets in use are those registered with :func:`remember` (relman's
credential objects register themselves when made) and the values of the
environment variables relman reads credentials from (:data:`SECRET_ENV`).
A secret shorter than :data:`SHORT` characters is replaced only where it
stands as a whole token, so a password ``p`` never turns ``http://`` into
``htt***://`` and the masks do not give a short secret away.

The record of secrets is process-wide on purpose: credentials are resolved in
one place and shown, possibly from worker threads, in many others.
"""

from __future__ import annotations

import base64
import functools
import os
import re
import threading
import urllib.parse
from collections.abc import Iterable, Mapping

from relman._regex import LazyPattern

__all__ = [
    "MASK",
    "SECRET_ENV",
    "data",
    "forget_all",
    "forms",
    "remember",
    "secrets",
    "server_text",
    "text",
    "url",
]

MASK = "***"
SHORT = 8
SECRET_ENV = (
    "RELMAN_INDEX_TOKEN",
    "TWINE_PASSWORD",
    "RELMAN_GITHUB_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "RELMAN_SMTP_PASSWORD",
)

_lock = threading.Lock()
_pairs: set[tuple[str, str]] = set()  # (username, secret); username "" when none

# scheme://user@ or scheme://user:password@ (a password may hold / # ? unencoded)
_URL_USERINFO = LazyPattern(
    r"(?i)\b([a-z][a-z0-9+.\-]*://)(?:[^\s/?#@:\"'<>]+|[^\s/?#@:\"'<>]*:[^\s@\"'<>]*?)@"
)
_AUTH_HEADER = LazyPattern(
    r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic|token|digest)\s+)?[^\s\"',;]+"
)
_SCHEME_CRED = LazyPattern(r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9+/=._~\-]{8,}")


def remember(secret: str, *, username: str = "") -> None:
    """Record a secret in use (and the user it goes with, for the Basic form)."""
    if secret:
        with _lock:
            _pairs.add((username, secret))


def forget_all() -> None:
    """Forget every remembered secret (the start of a fresh run)."""
    with _lock:
        _pairs.clear()
    _masks.cache_clear()


def secrets(environ: Mapping[str, str] | None = None) -> set[tuple[str, str]]:
    """Every (username, secret) in use: remembered ones and the credential variables."""
    env = os.environ if environ is None else environ
    with _lock:
        found = set(_pairs)
    for name in SECRET_ENV:
        value = env.get(name)
        if value:
            user = env.get("TWINE_USERNAME", "__token__") if name == "TWINE_PASSWORD" else ""
            found.add((user, value))
            if name == "RELMAN_INDEX_TOKEN":
                found.add(("__token__", value))
    return found


def _b64_forms(raw: str) -> Iterable[str]:
    data = raw.encode("utf-8")
    for enc in (base64.b64encode(data), base64.urlsafe_b64encode(data)):
        s = enc.decode("ascii")
        yield s
        yield s.rstrip("=")


def forms(username: str, secret: str) -> set[str]:
    """Every way ``secret`` can appear in text: raw, percent-encoded, base64."""
    out = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
        *_b64_forms(secret),
    }
    out.update(_b64_forms(f"{username}:{secret}"))
    return {f for f in out if f}


@functools.lru_cache(maxsize=8)
def _masks(pairs: frozenset[tuple[str, str]]) -> tuple[str, ...]:
    """Every form of every secret of ``pairs``, longest first (worked out once for the
    secrets in use, not for each line shown: a publish shows some 400)."""
    found: set[str] = set()
    for username, secret in pairs:
        found |= forms(username, secret)
    return tuple(sorted(found, key=len, reverse=True))


def url(value: str) -> str:
    """``value`` without userinfo (``https://u:p@host/`` -> ``https://host/``)."""
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return _URL_USERINFO.sub(r"\1", value)
    if "@" not in parts.netloc:
        return value
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=host))


def _replace_token(text_: str, secret: str) -> str:
    """Replace ``secret`` where it is not part of a longer word."""
    pattern = re.compile(
        r"(?<![A-Za-z0-9_\-.~%+/])" + re.escape(secret) + r"(?![A-Za-z0-9_\-~%+/])"
    )
    return pattern.sub(MASK, text_)


_SURROGATE = LazyPattern("[\ud800-\udfff]")


def _has_surrogate(value: str) -> bool:
    """Whether ``value`` holds a lone surrogate (UTF-8 cannot encode one: a check in C)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text(value: str, environ: Mapping[str, str] | None = None) -> str:
    """``value`` with URL userinfo, authorization values and every secret form removed.

    A lone surrogate (an undecodable byte of a file or member name, kept by
    ``surrogateescape``) is shown as its ``\\udcXX`` escape, so that no output
    stream, however strict its encoding, fails on what relman shows.
    """
    if not value:
        return value
    out = value
    if "@" in out and "://" in out:
        # userinfo never spans a line: only lines with both are searched (long outputs)
        lines = out.split("\n")
        for i, line in enumerate(lines):
            if "@" in line and "://" in line:
                lines[i] = _URL_USERINFO.sub(r"\1", line)
        out = "\n".join(lines)
    if not out.isascii() and _has_surrogate(out):
        out = _SURROGATE.sub(lambda m: m.group().encode("utf-8", "backslashreplace").decode(), out)
    for form in _masks(frozenset(secrets(environ))):
        if form not in out:
            continue
        out = out.replace(form, MASK) if len(form) >= SHORT else _replace_token(out, form)
    return out


def server_text(value: str, environ: Mapping[str, str] | None = None) -> str:
    """A server's answer fit for a message: :func:`text` and every authorization value."""
    out = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{MASK}", value)
    out = _SCHEME_CRED.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", out)
    return text(out, environ)


def data(value: object, environ: Mapping[str, str] | None = None) -> object:
    """A JSON-ready value with every string in it redacted (keys included)."""
    if isinstance(value, str):
        return text(value, environ)
    if isinstance(value, Mapping):
        return {text(str(k), environ): data(v, environ) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [data(v, environ) for v in value]
    return value
