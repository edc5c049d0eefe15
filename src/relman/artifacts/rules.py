"""The rule book for release files, shared by ``inspect``, ``verify`` and ``publish``.

Each :class:`Rule` has an id that every message names (``[index:platform-tag]``),
a severity and a source:

* ``twine:*``: what ``twine check --strict`` and twine's upload refuse:
  metadata that packaging cannot parse or validate, unrecognized fields, a
  long description that is missing or does not render;
* ``index:*``: what the public index refuses at upload, learnt from its
  source (warehouse's ``forklift/legacy.py`` and ``forklift/metadata.py``)
  and its published archive rules: Metadata-Version above 2.5, local
  versions, direct references in Requires-Dist, platform tags outside its
  list (a plain ``linux_x86_64``), unnormalized file names, sdists that are
  not gzip, zip members neither stored nor deflated, names that are not
  UTF-8, duplicate members, decompression bombs, a License-File that is not
  in the file, a Summary over 512 characters, a project URL label over 32,
  a Home-page, Download-URL or project URL that is not an http(s) URL (the
  rfc3986 validation forklift calls), a Dynamic field the index does not
  allow, a Provides-Dist or Obsoletes-Dist that is not a valid requirement,
  a Classifier that is not in the trove-classifiers list or is deprecated
  there, an Author-email or Maintainer-email whose address is not valid (the
  syntax rules of the email-validator package forklift calls, without a DNS
  look-up);
* ``relman:*``: relman's deeper checks (RECORD, contents, the sdist against
  git, name and version of the release, the wheel matrix).

``index:*`` rules are errors for the public index (the default) and warnings
for other destinations (a local directory index, a private server), which
accept those files. :func:`upload_metadata` is the one reading of a file's
metadata for an upload: publish sends what it returns, and refuses the file
when :func:`metadata_findings` has an error, the same errors ``inspect``
reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from relman._record import record
from relman._regex import LazyPattern

__all__ = [
    "RULES",
    "Finding",
    "Meta",
    "Rule",
    "email_problem",
    "filename_findings",
    "metadata_findings",
    "plain_url",
    "rfc3986_url_problem",
    "upload_metadata",
    "url_problem",
    "valid_platform_tag",
]

#: The metadata versions the public index accepts (warehouse SUPPORTED_METADATA_VERSIONS).
INDEX_METADATA_VERSIONS = ("1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5")


@record(kw_only=False)
class Rule:
    """One rule: ``id`` (``source:name``), default ``severity``, what it asks."""

    id: str
    severity: str
    summary: str


_TWINE = [
    Rule("twine:metadata", "error", "metadata parses and validates (packaging.metadata)"),
    Rule("twine:unknown-field", "error", "no unrecognized or malformed metadata field"),
    Rule(
        "twine:license-file-dropped",
        "warning",
        "License-File under Metadata-Version below 2.4 is left out of the upload, as twine does",
    ),
    Rule("twine:description-content-type", "error", "Description-Content-Type is given"),
    Rule("twine:description-missing", "error", "a long description is given"),
    Rule("twine:description-render", "error", "the long description renders"),
]
_INDEX = [
    Rule("index:metadata-version", "error", "Metadata-Version is 1.0 to 2.5"),
    Rule("index:local-version", "error", "no local version (1.0+local)"),
    Rule(
        "index:direct-reference", "error", "no URL in Requires-Dist, Provides-Dist, Obsoletes-Dist"
    ),
    Rule("index:platform-tag", "error", "wheel platform tags the index lists (manylinux, ...)"),
    Rule("index:filename", "error", "normalized file names carrying the metadata's version"),
    Rule("index:summary-length", "error", "Summary of at most 512 characters"),
    Rule(
        "index:project-url",
        "error",
        "Project-URL labels of 1 to 32 characters, each with a valid http(s) URL",
    ),
    Rule("index:url", "error", "Home-page and Download-URL are valid http(s) URLs"),
    Rule(
        "index:dynamic",
        "error",
        "Dynamic names only fields the index allows (not Name, Version, Metadata-Version)",
    ),
    Rule(
        "index:requirement",
        "error",
        "every Provides-Dist and Obsoletes-Dist is a valid requirement",
    ),
    Rule("index:license-conflict", "error", "not both License and License-Expression"),
    Rule("index:classifier", "error", "every Classifier is a current trove classifier"),
    Rule("index:email", "error", "Author-email and Maintainer-email hold a valid address"),
    Rule("index:license-file-missing", "error", "every License-File is in the file"),
    Rule("index:sdist-gzip", "error", "a .tar.gz sdist is gzip-compressed tar"),
    Rule("index:archive-compression", "error", "zip members are stored or deflated"),
    Rule("index:archive-encrypted", "error", "no encrypted zip member"),
    Rule("index:archive-member-name", "error", "member names are printable UTF-8"),
    Rule("index:archive-duplicate", "error", "no member appears twice"),
    Rule("index:archive-ratio", "error", "no more than 50 times decompression past 64 MiB"),
    Rule("index:archive-sparse", "error", "no sparse tar member"),
    Rule("index:archive-layout", "error", "one top folder with PKG-INFO; WHEEL, RECORD, METADATA"),
]
_RELMAN = [
    Rule("relman:archive", "error", "the archive reads whole within relman's limits"),
    Rule("relman:metadata-utf8", "error", "METADATA and PKG-INFO are UTF-8"),
    Rule("relman:record", "error", "RECORD lists every file with its sha256 (or better) and size"),
    Rule("relman:contents", "error", "no bytecode, stray top-level folders or loose files"),
    Rule("relman:release", "error", "name and version are the project's and the release's"),
    Rule("relman:sdist-layout", "error", "the sdist has pyproject.toml and is safe to extract"),
    Rule("relman:sdist-git", "error", "files git tracks under the packages are in the sdist"),
    Rule("relman:matrix", "error", "every expected wheel is there"),
]
#: Every rule by id.
RULES: dict[str, Rule] = {r.id: r for r in (*_TWINE, *_INDEX, *_RELMAN)}


@record(kw_only=False)
class Finding:
    """A rule a file breaks: ``severity`` is error or warning."""

    rule: str
    message: str
    severity: str = ""

    def __post_init__(self) -> None:
        if not self.severity:
            object.__setattr__(self, "severity", RULES[self.rule].severity)

    def __str__(self) -> str:
        return f"{self.message} [{self.rule}]"


def finding(rule: str, message: str, *, public: bool = True, severity: str = "") -> Finding:
    """A :class:`Finding`; an ``index:*`` rule only warns when ``public`` is false."""
    if rule.startswith("index:") and not public and not severity:
        return Finding(rule, f"{message} (the public index refuses this)", "warning")
    return Finding(rule, message, severity)


# -- platform tags ---------------------------------------------------------------

_STATIC_PLATFORMS = frozenset(
    {
        "any",
        "win32",
        "win_arm64",
        "win_amd64",
        "win_ia64",
        "linux_armv6l",
        "linux_armv7l",
        *(f"manylinux1_{a}" for a in ("x86_64", "i686")),
        *(f"manylinux2010_{a}" for a in ("x86_64", "i686")),
        *(
            f"manylinux2014_{a}"
            for a in ("x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x")
        ),
    }
)
_LINUX_ARCHES = frozenset({"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"})
_MAC_ARCHES = frozenset(
    {
        "ppc",
        "ppc64",
        "i386",
        "x86_64",
        "arm64",
        "intel",
        "fat",
        "fat3",
        "fat64",
        "universal",
        "universal2",
    }
)
_MAC_MAJORS = frozenset({"11", "12", "13", "14", "15", "26"})


def valid_platform_tag(platform: str) -> bool:
    """Whether the public index takes a wheel with this platform tag (warehouse's list)."""
    if platform in _STATIC_PLATFORMS:
        return True
    if m := re.fullmatch(r"macosx_(\d+)_(\d+)_(.*)", platform):
        major, minor, arch = m.groups()
        return arch in _MAC_ARCHES and (major == "10" or (major in _MAC_MAJORS and minor == "0"))
    if m := re.fullmatch(r"(many|musl)linux_\d+_\d+_(.*)", platform):
        libc, arch = m.groups()
        return arch in _LINUX_ARCHES or (libc == "many" and arch == "ppc64")
    if m := re.fullmatch(r"ios_\d+_\d+_(.*)_(?:iphoneos|iphonesimulator)", platform):
        return m.group(1) in ("arm64", "x86_64")
    if m := re.fullmatch(r"android_\d+_(.*)", platform):
        return m.group(1) in ("armeabi_v7a", "arm64_v8a", "x86", "x86_64")
    return re.fullmatch(r"pyemscripten_\d+_\d+_wasm32", platform) is not None


# -- file names ------------------------------------------------------------------


def filename_findings(filename: str, *, public: bool = True) -> list[Finding]:
    """What the index refuses in a file's name: PEP 625 sdists, wheel names and tags."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    out: list[Finding] = []
    if filename.endswith(".whl"):
        try:
            dist, _ver, _build, tags = parse_wheel_filename(filename)
        except InvalidWheelFilename as exc:
            return [finding("index:filename", f"not a valid wheel file name ({exc})")]
        want = str(dist).replace("-", "_")
        if filename.split("-", 1)[0] != want:
            out.append(
                finding(
                    "index:filename",
                    f"the name part should be the normalized project name {want!r}",
                    public=public,
                )
            )
        for plat in sorted({t.platform for t in tags}):
            if not valid_platform_tag(plat):
                hint = (
                    " (repair the wheel with auditwheel to a manylinux tag)"
                    if plat.startswith("linux_")
                    else ""
                )
                out.append(
                    finding(
                        "index:platform-tag",
                        f"platform tag {plat!r} is not one the index accepts{hint}",
                        public=public,
                    )
                )
    elif filename.endswith((".tar.gz", ".zip")):
        if not filename.endswith(".tar.gz"):
            out.append(finding("index:filename", "sdists are .tar.gz (PEP 625)", public=public))
            return out
        try:
            dist, ver = parse_sdist_filename(filename)
        except InvalidSdistFilename as exc:
            return [finding("index:filename", f"not a valid sdist file name ({exc})")]
        expected = f"{str(dist).replace('-', '_')}-{ver}.tar.gz"
        if filename != expected:
            out.append(finding("index:filename", f"the PEP 625 name is {expected}", public=public))
    else:
        out.append(finding("index:filename", "neither an sdist (.tar.gz) nor a wheel (.whl)"))
    return out


# -- metadata --------------------------------------------------------------------


@record(kw_only=False)
class Meta:
    """The metadata fields inspection reports, as plain values."""

    metadata_version: str | None = None
    name: str | None = None
    version: str | None = None
    summary: str | None = None
    requires_python: str | None = None
    requires_dist: tuple[str, ...] = ()
    license_expression: str | None = None
    license_files: tuple[str, ...] = ()
    classifiers: tuple[str, ...] = ()
    description: str | None = None
    description_content_type: str | None = None


def upload_metadata(data: bytes) -> tuple[dict[str, Any], dict[str, list[str]], list[Finding]]:
    """(raw fields, unparsed fields, findings) of METADATA/PKG-INFO as an upload sends them.

    License-File under a Metadata-Version below 2.4 is dropped (with a
    warning), as twine does; every other unparsed field stays in the second
    value, and is an error.
    """
    from packaging.metadata import parse_email
    from packaging.version import InvalidVersion, Version

    findings: list[Finding] = []
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        findings.append(
            Finding(
                "relman:metadata-utf8",
                f"the metadata is not UTF-8 (byte {exc.start}); indexes and installers read "
                "it as UTF-8",
            )
        )
    raw, unparsed = parse_email(data)
    raw_d: dict[str, Any] = dict(raw)
    try:
        old = Version(str(raw_d.get("metadata_version", "0"))) < Version("2.4")
    except InvalidVersion:
        old = False
    if old and ("license_files" in raw_d or "license-file" in unparsed):
        raw_d.pop("license_files", None)
        unparsed.pop("license-file", None)
        findings.append(
            Finding(
                "twine:license-file-dropped",
                f"License-File under Metadata-Version {raw_d.get('metadata_version')} is not "
                "valid metadata; publish leaves it out of the upload, as twine does",
            )
        )
    return raw_d, unparsed, findings


def metadata_findings(data: bytes, *, public: bool = True) -> tuple[Meta, list[Finding]]:
    """Every rule the metadata of a file breaks, and its fields."""
    from packaging.metadata import Metadata

    raw, unparsed, out = upload_metadata(data)
    for key in sorted(unparsed):
        out.append(
            Finding(
                "twine:unknown-field",
                f"unrecognized or malformed metadata field {key!r}: twine and relman's publish "
                "refuse the upload",
            )
        )
    mv = raw.get("metadata_version")
    if mv not in INDEX_METADATA_VERSIONS:
        out.append(
            finding(
                "index:metadata-version",
                f"Metadata-Version {mv or '(missing)'} is not one the index accepts "
                f"({INDEX_METADATA_VERSIONS[0]} to {INDEX_METADATA_VERSIONS[-1]})",
                public=public,
            )
        )
    meta = _plain_meta(raw)
    try:
        Metadata.from_raw(raw, validate=True)  # type: ignore[arg-type]
    except Exception as exc:  # ExceptionGroup of InvalidMetadata
        for sub in getattr(exc, "exceptions", [exc]):
            out.append(Finding("twine:metadata", f"invalid metadata: {sub}"))
    out += _index_metadata_rules(raw, meta, public=public)
    return meta, out


def _plain_meta(raw: dict[str, Any]) -> Meta:
    def text(key: str) -> str | None:
        v = raw.get(key)
        return None if v is None else str(v)

    return Meta(
        metadata_version=text("metadata_version"),
        name=text("name"),
        version=text("version"),
        summary=text("summary"),
        requires_python=text("requires_python"),
        requires_dist=tuple(raw.get("requires_dist") or ()),
        license_expression=text("license_expression"),
        license_files=tuple(raw.get("license_files") or ()),
        classifiers=tuple(raw.get("classifiers") or ()),
        description=text("description"),
        description_content_type=text("description_content_type"),
    )


def _index_metadata_rules(raw: dict[str, Any], meta: Meta, *, public: bool) -> list[Finding]:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    out: list[Finding] = []
    try:
        if meta.version and Version(meta.version).local:
            out.append(
                finding(
                    "index:local-version",
                    f"version {meta.version} is a local version, which the index refuses",
                    public=public,
                )
            )
    except InvalidVersion:
        pass
    for key, email in (
        ("requires_dist", "Requires-Dist"),
        ("provides_dist", "Provides-Dist"),
        ("obsoletes_dist", "Obsoletes-Dist"),
    ):
        for req in raw.get(key) or ():
            try:
                url = Requirement(str(req)).url
            except InvalidRequirement as exc:
                if key != "requires_dist":  # packaging validates Requires-Dist: twine:metadata
                    out.append(
                        finding(
                            "index:requirement",
                            f"{email} {req!r} is not a valid requirement: "
                            f"{str(exc).splitlines()[0]}",
                            public=public,
                        )
                    )
                continue
            if url:
                out.append(
                    finding(
                        "index:direct-reference",
                        f"{email} {req!r} is a direct reference (a URL)",
                        public=public,
                    )
                )
    if meta.summary is not None and len(meta.summary) > 512:
        out.append(
            finding(
                "index:summary-length",
                f"Summary has {len(meta.summary)} characters (at most 512)",
                public=public,
            )
        )
    for label, url in (raw.get("project_urls") or {}).items():
        if not label or len(label) > 32 or not url:
            out.append(
                finding(
                    "index:project-url",
                    f"Project-URL {label!r}: a label of 1 to 32 characters and a URL are needed",
                    public=public,
                )
            )
        elif why := url_problem(str(url)):
            out.append(
                finding(
                    "index:project-url",
                    f"Project-URL {label!r}: {url!r} is not a valid URL: {why}",
                    public=public,
                )
            )
    for key, email in (("home_page", "Home-page"), ("download_url", "Download-URL")):
        value = raw.get(key)
        # an empty field counts as absent: the index's form parser skips it
        if value and (why := url_problem(str(value))):
            out.append(
                finding("index:url", f"{email} {value!r} is not a valid URL: {why}", public=public)
            )
    for field in raw.get("dynamic") or ():
        if str(field).lower() not in _DYNAMIC_FIELDS:
            why = (
                "it must be static (PEP 643)"
                if str(field).lower() in ("name", "version", "metadata-version")
                else "the index allows only core metadata fields other than Name, Version, "
                "Metadata-Version and Dynamic"
            )
            out.append(
                finding(
                    "index:dynamic",
                    f"Dynamic {field!r} is not a field that can be dynamic: {why}",
                    public=public,
                )
            )
    out += _classifier_findings(raw.get("classifiers") or (), public=public)
    for key, email in (("author_email", "Author-email"), ("maintainer_email", "Maintainer-email")):
        value = raw.get(key)
        address = _forklift_address(str(value)) if value else ""
        why = email_problem(address) if address else None
        if why:
            out.append(
                finding(
                    "index:email",
                    f"{email} {address!r} is not a valid e-mail address: {why}",
                    public=public,
                )
            )
    if raw.get("license") and raw.get("license_expression"):
        out.append(
            finding(
                "index:license-conflict",
                "License and License-Expression are both given; keep only License-Expression",
                public=public,
            )
        )
    return out


# -- URLs and dynamic fields ------------------------------------------------------

#: The fields Dynamic may name (warehouse DYNAMIC_FIELDS, lower case as packaging gives them).
_DYNAMIC_FIELDS = frozenset(
    {
        "platform",
        "supported-platform",
        "summary",
        "description",
        "description-content-type",
        "keywords",
        "home-page",
        "download-url",
        "author",
        "author-email",
        "maintainer",
        "maintainer-email",
        "license",
        "license-expression",
        "license-file",
        "classifier",
        "requires-dist",
        "requires-python",
        "requires-external",
        "project-url",
        "provides-extra",
        "provides-dist",
        "obsoletes-dist",
        "requires",
        "provides",
        "obsoletes",
        "import-name",
        "import-namespace",
    }
)


_PCHARS = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
_LABEL_RE = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_OCTET_RE = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#: http(s) URLs made only of what RFC 3986's grammar allows where it stands: a host
#: of DNS labels whose last begins with a letter, or an IPv4 address (every byte at
#: most 255), a port of at most four digits, no userinfo, a path, query and
#: fragment of the characters their rules allow, or percent-escapes
_PLAIN_URL = LazyPattern(
    rf"[Hh][Tt][Tt][Pp][Ss]?://(?:(?:{_LABEL_RE}\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    rf"|{_OCTET_RE}(?:\.{_OCTET_RE}){{3}})(?::[0-9]{{1,4}})?"
    rf"(?:/{_PCHARS}*)*(?:\?(?:{_PCHARS}|[/?])*)?(?:#(?:{_PCHARS}|[/?])*)?"
)


def plain_url(url: str) -> bool:
    """Whether ``url`` is a plain http(s) URL, which rfc3986's check always passes
    (:func:`url_problem` then needs no rfc3986: importing it is most of the check's cost)."""
    return _PLAIN_URL.fullmatch(url) is not None


def url_problem(url: str) -> str | None:
    """Why the index refuses ``url`` in Home-page, Download-URL or a Project-URL, or None.

    A plain URL (:func:`plain_url`, what nearly every project writes) passes;
    any other is judged by :func:`rfc3986_url_problem`.
    """
    return None if plain_url(url) else rfc3986_url_problem(url)


def rfc3986_url_problem(url: str) -> str | None:
    """The check forklift makes (``is_valid_uri(url, require_authority=False)``):
    rfc3986's validator on the normalized reference, requiring a scheme,
    http or https, and valid scheme, host, port, path and query. A host is
    not required, and rfc3986 lets much through (spaces are percent-encoded
    by the normalization); what it refuses is a missing or other scheme and
    a port past 65535.
    """
    from rfc3986 import exceptions, uri_reference, validators

    validator = validators.Validator().allow_schemes("http", "https")
    validator.require_presence_of("scheme")
    validator.check_validity_of("scheme", "host", "port", "path", "query")
    try:
        validator.validate(uri_reference(url).normalize())
    except exceptions.MissingComponentError:
        return "it has no scheme (the index takes http:// and https:// URLs)"
    except exceptions.UnpermittedComponentError as exc:
        return f"its scheme {exc.component_value!r} is not http or https"
    except exceptions.InvalidComponentsError as exc:
        return f"its {' and '.join(exc.components)} is not valid"
    except exceptions.ValidationError as exc:
        return f"it is not a valid URL ({exc})"
    return None


# -- classifiers -------------------------------------------------------------------


def _classifier_findings(classifiers: Iterable[str], *, public: bool) -> list[Finding]:
    """Classifiers the index refuses: not in trove-classifiers, or deprecated there."""
    from trove_classifiers import all_classifiers, deprecated_classifiers

    out: list[Finding] = []
    given = set(classifiers)
    unknown = sorted(given - set(all_classifiers))
    if unknown:
        from importlib.metadata import version

        known = f"trove-classifiers {version('trove-classifiers')}"
    for c in unknown:
        out.append(
            finding("index:classifier", f"{c!r} is not a valid classifier ({known})", public=public)
        )
    for c in sorted(given & deprecated_classifiers.keys()):
        instead = deprecated_classifiers[c]
        use = f"; use {' or '.join(repr(i) for i in instead)} instead" if instead else ""
        out.append(finding("index:classifier", f"{c!r} is deprecated{use}", public=public))
    return out


# -- e-mail addresses --------------------------------------------------------------

_ATEXT = r"a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~\u0080-\U0010ffff"
_DOT_ATOM = LazyPattern(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*\Z")
_LABEL = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)"
_HOSTNAME = LazyPattern(rf"{_LABEL}(?:\.{_LABEL})*\Z")
#: IANA special-use names no address is delivered to (email-validator's list)
_SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")


def _forklift_address(value: str) -> str:
    """The address forklift checks in a field: ``email.utils.parseaddr(value)[1]``.

    The index runs a Python whose parser is strict (3.13; 3.12.6 and
    3.11.10 have it too): a field with more than one address, unbalanced
    parentheses or a bracketed domain gives no address, so nothing is
    checked. Older Pythons parse leniently; that strictness is redone here.
    """
    import email.utils

    try:
        return email.utils.parseaddr(value, strict=True)[1]  # type: ignore[call-arg,unused-ignore]
    except TypeError:
        pass
    depth = 0
    quoted = escaped = False
    for ch in value:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif not quoted and ch in "()":
            depth += 1 if ch == "(" else -1
            if depth < 0:
                return ""
    if depth:
        return ""
    found = email.utils.getaddresses([value])
    if len(found) != 1 or "[" in found[0][1]:
        return ""
    return found[0][1]


def email_problem(address: str) -> str | None:
    """Why the index refuses ``address`` (email-validator's syntax rules), or None.

    These are the checks ``email_validator.validate_email(address,
    check_deliverability=False)`` makes with its defaults: one dot-atom
    before the @-sign (no quotes; international characters allowed), a
    host name after it with a period, a top-level domain ending in a letter,
    no special-use name, no bracketed IP address, the length limits.
    """
    import unicodedata

    local, at, domain = address.partition("@")
    if not at:
        return "it has no @-sign"
    if not local:
        return "there is nothing before the @-sign"
    if local.startswith('"'):
        return "a quoted part before the @-sign is not allowed"
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return "periods before the @-sign cannot start, end or come two in a row"
    if not _DOT_ATOM.match(local):
        return "it has characters before the @-sign that an address cannot have"
    for part in (local, domain):
        for i, ch in enumerate(part):
            cat = unicodedata.category(ch)
            if not ch.isascii() and (cat[0] in "CZ" or (cat[0] == "M" and i == 0)):
                return f"it has an unsafe character (U+{ord(ch):04X})"
    if not domain:
        return "there is nothing after the @-sign"
    if domain.startswith("["):
        return "a bracketed IP address after the @-sign is not allowed"
    ascii_domain = domain
    if not domain.isascii():
        try:
            ascii_domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return "the part after the @-sign is not a valid international domain name"
    if not _HOSTNAME.match(ascii_domain):
        return "the part after the @-sign is not a host name (letters, digits, hyphens, periods)"
    labels = ascii_domain.lower().split(".")
    if any(re.match(r"(?!xn)..--", label) for label in labels):
        return "a label after the @-sign has two hyphens at its third character (not Punycode)"
    if len(ascii_domain) > 253 or any(len(label) > 63 for label in labels):
        return "the part after the @-sign is too long"
    if len(labels) < 2:
        return "the part after the @-sign should have a period"
    if not labels[-1][-1].isalpha():
        return "the part after the @-sign is not within a valid top-level domain"
    if labels[-1] in _SPECIAL_USE:
        return "the part after the @-sign is a special-use or reserved name"
    if len(f"{local}@{ascii_domain}".encode()) > 254:
        return "it is longer than 254 bytes"
    return None
