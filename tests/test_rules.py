"""The rule book: each rule's failing and passing file, inspect and publish agreeing.

The files are made here in the shapes real build backends write
(:mod:`tests.distfiles`); each case names the real project whose file it
stands for. The index's rules are those of its upload code (warehouse
``forklift/legacy.py`` and ``forklift/metadata.py``); twine's are checked
against twine itself (``twine check --strict``, a test dependency).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from relman.artifacts import RULES, inspect_artifacts, inspect_file
from relman.artifacts.rules import email_problem, plain_url, rfc3986_url_problem, url_problem
from relman.errors import UsageError
from relman.index.dists import describe_file, upload_fields
from tests.distfiles import make_sdist, make_wheel, metadata
from tests.helpers import run_relman

Maker = Callable[[Path], Path]


def _meta_wheel(**kw: object) -> Maker:
    version = str(kw.pop("version", "1.0"))
    return lambda d: make_wheel(d, version=version, meta=metadata(version=version, **kw))  # type: ignore[arg-type]


#: rule -> (stands for, failing file, passing file)
CASES: dict[str, tuple[str, Maker, Maker]] = {
    "index:platform-tag": (
        "a locally built numpy wheel before auditwheel",
        lambda d: make_wheel(d, tag="cp312-cp312-linux_x86_64"),
        lambda d: make_wheel(d, tag="cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"),
    ),
    "index:metadata-version": (
        "a build backend ahead of the index (Metadata-Version 2.6)",
        _meta_wheel(metadata_version="2.6"),
        _meta_wheel(metadata_version="2.5"),
    ),
    "index:local-version": (
        "a setuptools_scm build of an untagged commit (1.0+g1234abc)",
        _meta_wheel(version="1.0+g1234abc"),
        _meta_wheel(version="1.0.post1"),
    ),
    "index:direct-reference": (
        "a poetry-core project depending on a git URL",
        _meta_wheel(extra="Requires-Dist: dep @ https://example.invalid/dep-1.0.tar.gz\n"),
        _meta_wheel(extra="Requires-Dist: dep>=1.0\n"),
    ),
    "index:summary-length": (
        "a setup.py that put the README into description=",
        _meta_wheel(summary="x" * 513),
        _meta_wheel(summary="x" * 512),
    ),
    "index:project-url": (
        "a hatchling project with a sentence as a URL label",
        _meta_wheel(
            extra="Project-URL: Where the documentation of this project lives, "
            "https://example.invalid/docs\n"
        ),
        _meta_wheel(extra="Project-URL: Documentation, https://example.invalid/docs\n"),
    ),
    "index:url": (
        "an old setuptools PKG-INFO that wrote Home-page: UNKNOWN for a missing url=",
        _meta_wheel(extra="Home-page: UNKNOWN\n"),
        _meta_wheel(extra="Home-page: https://example.invalid/demo\n"),
    ),
    "index:dynamic": (
        "a hand-edited PKG-INFO declaring Dynamic itself dynamic (packaging lets it through); "
        "setuptools 75.8's project-url and license-file pass",
        _meta_wheel(extra="Dynamic: Dynamic\n"),
        _meta_wheel(extra="Dynamic: project-url\nDynamic: license-file\n"),
    ),
    "index:requirement": (
        "Provides-Dist copied from the core metadata spec's example: a bare version in parentheses",
        _meta_wheel(extra="Provides-Dist: AnotherProject (3.4)\n"),
        _meta_wheel(extra="Provides-Dist: AnotherProject (==3.4)\n"),
    ),
    "index:license-conflict": (
        "setuptools 77 with both license= and license-expression",
        _meta_wheel(extra="License: MIT\nLicense-Expression: MIT\n"),
        _meta_wheel(extra="License-Expression: MIT\n"),
    ),
    "index:classifier": (
        "a setup.py with a misspelt classifier",
        _meta_wheel(extra="Classifier: Programming Language :: Pyhton :: 3\n"),
        _meta_wheel(extra="Classifier: Programming Language :: Python :: 3\n"),
    ),
    "index:email": (
        "an old setuptools PKG-INFO that wrote Author-email: UNKNOWN",
        _meta_wheel(extra="Author-email: UNKNOWN\n"),
        _meta_wheel(extra="Author-email: Jane Doe <jane.doe@example.org>\n"),
    ),
    "index:license-file-missing": (
        "hatchling's PEP 639 wheel (attrs 24) without its licenses/ folder",
        lambda d: make_wheel(d, meta=metadata(extra="License-File: LICENSE\n")),
        lambda d: make_wheel(
            d,
            meta=metadata(extra="License-File: LICENSE\n"),
            files={"demo-1.0.dist-info/licenses/LICENSE": b"MIT License\n"},
        ),
    ),
    "index:filename": (
        "an old setuptools sdist named after the unnormalized project (Demo.Pkg-1.0)",
        lambda d: make_sdist(d, "demo-pkg", filename="Demo.Pkg-1.0.tar.gz", top="Demo.Pkg-1.0"),
        lambda d: make_sdist(d, "demo-pkg"),
    ),
    "index:sdist-gzip": (
        "a hand-made release tarball compressed with bzip2",
        lambda d: make_sdist(d, mode="w:bz2"),
        lambda d: make_sdist(d),
    ),
    "index:archive-compression": (
        "a wheel re-zipped by a tool that chose bzip2",
        lambda d: make_wheel(d, compression=zipfile.ZIP_BZIP2),
        lambda d: make_wheel(d, compression=zipfile.ZIP_STORED),
    ),
    "index:archive-duplicate": (
        "a wheel appended to twice (two __init__.py entries)",
        lambda d: make_wheel(d, duplicate="demo/__init__.py"),
        lambda d: make_wheel(d),
    ),
    "index:archive-layout": (
        "an sdist made with `git archive` (no PKG-INFO)",
        lambda d: make_sdist(d, meta=False),
        lambda d: make_sdist(d),
    ),
    "twine:unknown-field": (
        "a flit_core wheel with a field from a draft metadata version",
        _meta_wheel(extra="Import-Magic: demo\n"),
        _meta_wheel(),
    ),
    "twine:metadata": (
        "a setup.cfg with a malformed python_requires",
        _meta_wheel(extra="Requires-Dist: dep (>=1.0\n"),
        _meta_wheel(extra="Requires-Dist: dep (>=1.0)\n"),
    ),
    "twine:description-content-type": (
        "a setup.py without long_description_content_type",
        _meta_wheel(content_type=None),
        _meta_wheel(content_type="text/markdown"),
    ),
    "twine:description-missing": (
        "a setup.py without long_description",
        _meta_wheel(description=None),
        _meta_wheel(),
    ),
    "twine:description-render": (
        "a README.rst with a broken directive",
        _meta_wheel(description="Title\n=====\n\n.. unknown-directive:: boom\n\n`unclosed\n"),
        _meta_wheel(description="Title\n=====\n\n*fine* text\n"),
    ),
    "relman:metadata-utf8": (
        "a setup.py read as Latin-1 (the author's name in PKG-INFO)",
        lambda d: make_wheel(d, meta=metadata(extra="Author: Ren\xe9\n").encode("latin-1")),
        lambda d: make_wheel(d, meta=metadata(extra="Author: Ren\xe9\n").encode("utf-8")),
    ),
    "relman:record": (
        "a wheel whose RECORD names a file left out",
        lambda d: make_wheel(d, record_extra="demo/gone.py,sha256=AAAA,3\n"),
        lambda d: make_wheel(d),
    ),
    "relman:contents": (
        "a setuptools find_packages() that picked up tests/",
        lambda d: make_wheel(d, files={"tests/__init__.py": b""}),
        lambda d: make_wheel(d, files={"demo/tests/__init__.py": b""}),
    ),
}


def _rules_of(path: Path, *, public: bool = True, severity: str = "error") -> set[str]:
    return {f.rule for f in inspect_file(path, public=public).findings if f.severity == severity}


def test_every_case_names_a_known_rule() -> None:
    assert set(CASES) <= set(RULES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_rule_fails_its_bad_file_and_passes_its_good_one(rule: str, tmp_path: Path) -> None:
    _, bad_maker, good_maker = CASES[rule]
    (tmp_path / "bad").mkdir()
    (tmp_path / "good").mkdir()
    bad = bad_maker(tmp_path / "bad")
    good = good_maker(tmp_path / "good")
    report = inspect_file(bad)
    assert rule in _rules_of(bad), [str(f) for f in report.findings]
    assert any(f"[{rule}]" in str(f) for f in report.findings)  # the message names the rule
    assert _rules_of(good) == set(), [str(f) for f in inspect_file(good).findings]


@pytest.mark.parametrize("rule", sorted(r for r in CASES if r.startswith("index:")))
def test_the_index_rules_only_warn_for_a_private_index(rule: str, tmp_path: Path) -> None:
    bad = CASES[rule][1](tmp_path)
    assert rule not in _rules_of(bad, public=False)
    warned = [f for f in inspect_file(bad, public=False).findings if f.rule == rule]
    assert warned and all("the public index refuses this" in f.message for f in warned)


_METADATA_RULES = [
    "twine:description-render",
    "index:platform-tag",
    "index:metadata-version",
    "index:local-version",
    "index:direct-reference",
    "index:summary-length",
    "index:project-url",
    "index:url",
    "index:dynamic",
    "index:requirement",
    "index:license-conflict",
    "index:classifier",
    "index:email",
    "index:filename",
    "twine:unknown-field",
    "twine:metadata",
]


@pytest.mark.parametrize("rule", _METADATA_RULES)
def test_publish_refuses_what_inspect_fails(rule: str, tmp_path: Path) -> None:
    _, bad_maker, good_maker = CASES[rule]
    (tmp_path / "bad").mkdir()
    (tmp_path / "good").mkdir()
    bad = bad_maker(tmp_path / "bad")
    with pytest.raises(UsageError) as err:
        upload_fields(describe_file(bad), public=True)
    assert f"[{rule}]" in err.value.message
    fields = upload_fields(describe_file(good_maker(tmp_path / "good")), public=True)
    assert ("filetype", "bdist_wheel") in fields or ("filetype", "sdist") in fields
    if rule == "twine:description-render":  # the public index refuses it; twine uploads it
        assert upload_fields(describe_file(bad), public=False)
    elif rule.startswith("twine:"):  # refused by twine and relman's publish wherever it goes
        with pytest.raises(UsageError):
            upload_fields(describe_file(bad), public=False)
    elif rule == "index:metadata-version" and not _packaging_knows("2.6"):
        # packaging before 26.4 does not know 2.6, so twine (and relman) refuse it everywhere
        with pytest.raises(UsageError) as err:
            upload_fields(describe_file(bad), public=False)
        assert "[twine:metadata]" in err.value.message
    else:  # a private index takes it
        assert upload_fields(describe_file(bad), public=False)


#: URL -> what forklift's is_valid_uri(url, require_authority=False) says
#: (rfc3986 2.0.0, as the index pins it): None for valid, else the reason's gist
URLS = {
    "https://example.org/demo": None,
    "HTTP://Example.ORG/Demo": None,  # the scheme is compared after normalization
    "http:demo": None,  # no host is required
    "https://example.org/a page?q=a b": None,  # spaces are percent-encoded first
    "https://example.org:8080/": None,
    "UNKNOWN": "no scheme",  # old setuptools, for a missing url=
    "github.com/demo/demo": "no scheme",
    " https://example.org/": "no scheme",
    "ftp://ftp.example.org/pub/demo": "'ftp' is not http or https",
    "git+https://example.org/demo.git": "'git+https' is not http or https",
    "mailto:demo@example.org": "'mailto' is not http or https",
    "https://example.org:65536/": "port is not valid",
}


@pytest.mark.parametrize("url", sorted(URLS))
def test_urls_are_judged_as_the_index_judges_them(url: str) -> None:
    _assert_verdict(url_problem(url), URLS[url])


_LABEL = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,4}", fullmatch=True)
_URL_CHARS = "aZ09-._~!$&'()*+,;=:@/?#%"  # what a URL holds (a % may start no escape)
_ODD_CHARS = '[] "<>\\^`{|}\u00e9\t_'  # what it may not hold as is


@settings(max_examples=500, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTPS", "hTtP", "ftp", "git+https", "", "http:"]),
    host=st.one_of(
        st.lists(_LABEL, min_size=1, max_size=4).map(".".join),
        st.lists(st.integers(0, 999).map(str), min_size=3, max_size=5).map(".".join),
        st.text("abc019-_.%~!@:", max_size=12),
    ),
    port=st.one_of(st.just(""), st.just(":"), st.integers(0, 99999).map(lambda n: f":{n}")),
    rest=st.one_of(st.text(_URL_CHARS, max_size=24), st.text(_URL_CHARS + _ODD_CHARS, max_size=24)),
)
@example(scheme="https", host="999.1.1.1", port="", rest="/")
@example(scheme="http", host="127.0.0.1", port=":8080", rest="/src")
@example(scheme="http", host="256.0.0.1", port="", rest="/")
@example(scheme="https", host="user@example.org", port="", rest="/")
@example(scheme="https", host="example.org", port=":65536", rest="/")
@example(scheme="https", host="example.org", port="", rest="/a%zz")
@example(scheme="https", host="1.example.org", port=":9999", rest="/a/./../b?q=%41#f")
def test_a_plain_url_is_one_rfc3986_passes(scheme: str, host: str, port: str, rest: str) -> None:
    """The URLs taken without rfc3986 (what nearly every project writes) are URLs rfc3986
    passes; any other is rfc3986's to judge."""
    url = f"{scheme}://{host}{port}{rest}"
    if plain_url(url):
        assert rfc3986_url_problem(url) is None, url
    assert url_problem(url) == (None if plain_url(url) else rfc3986_url_problem(url))


@pytest.mark.parametrize(
    "url",
    [
        # the shapes Project-URLs take: a repository, documentation, an issue tracker,
        # a changelog's anchor, a query
        "https://github.com/numpy/numpy",
        "https://numpy.org/doc/stable/",
        "https://github.com/pytest-dev/pytest/issues",
        "https://docs.pytest.org/en/latest/changelog.html",
        "https://www.attrs.org/en/stable/changelog.html#changes",
        "https://tidelift.com/subscription/pkg/pypi-attrs?utm_source=pypi-attrs&utm_medium=pypi",
    ],
)
def test_the_urls_projects_write_are_plain(url: str) -> None:
    assert plain_url(url) and rfc3986_url_problem(url) is None


def _assert_verdict(why: str | None, expected: str | None) -> None:
    """``why`` is None for a valid value, else a reason holding ``expected``."""
    if expected is None:
        assert why is None
    else:
        assert why is not None and expected in why, why


def test_download_url_and_project_url_urls_are_checked_too(tmp_path: Path) -> None:
    # a setup.py of the distutils era (download_url= an FTP mirror) and a
    # project.urls entry without its scheme; an empty Home-page is not sent
    # by the upload form, so not checked
    wheel = _meta_wheel(
        extra="Home-page: \n"
        "Download-URL: ftp://ftp.example.org/pub/demo-1.0.tar.gz\n"
        "Project-URL: Source, github.com/demo/demo\n"
        "Project-URL: Documentation, https://example.org/docs\n"
    )(tmp_path)
    found = sorted(str(f) for f in inspect_file(wheel).findings if f.severity == "error")
    assert found == [
        "Download-URL 'ftp://ftp.example.org/pub/demo-1.0.tar.gz' is not a valid URL: its "
        "scheme 'ftp' is not http or https [index:url]",
        "Project-URL 'Source': 'github.com/demo/demo' is not a valid URL: it has no scheme "
        "(the index takes http:// and https:// URLs) [index:project-url]",
    ]


def test_dynamic_name_and_version_are_refused_by_packaging_and_the_index(tmp_path: Path) -> None:
    # PEP 643: Name, Version and Metadata-Version are never dynamic; packaging
    # already refuses them (twine:metadata), the index's own list does too
    wheel = _meta_wheel(extra="Dynamic: Version\nDynamic: summary\n")(tmp_path)
    found = [f for f in inspect_file(wheel).findings if f.severity == "error"]
    assert {f.rule for f in found} == {"twine:metadata", "index:dynamic"}
    assert [f.message for f in found if f.rule == "index:dynamic"] == [
        "Dynamic 'Version' is not a field that can be dynamic: it must be static (PEP 643)"
    ]


def test_only_provides_and_obsoletes_dist_need_the_requirement_rule(tmp_path: Path) -> None:
    # packaging validates Requires-Dist (twine:metadata) but not the other two,
    # which the index parses itself
    wheel = _meta_wheel(
        extra="Requires-Dist: dep (1.0)\nObsoletes-Dist: OldDemo (<1.0\n"
        "Provides-Dist: demo_compat @ https://example.invalid/demo_compat.tar.gz\n"
    )(tmp_path)
    found = [(f.rule, f.message) for f in inspect_file(wheel).findings if f.severity == "error"]
    rules = [rule for rule, _ in found]
    assert sorted(rules) == ["index:direct-reference", "index:requirement", "twine:metadata"]
    assert any(
        m.startswith("Obsoletes-Dist 'OldDemo (<1.0'") for r, m in found if r == "index:requirement"
    )


#: fields the index checks through packaging alone (Metadata.from_email, the
#: version it pins): twine:metadata already names them, no index rule is needed
PACKAGING_CHECKS = {
    "Requires-Python: >=3.x\n": "requires-python",
    "Provides-Extra: -dev-\n": "provides-extra",
    "Description-Content-Type: text/html\n": "description-content-type",
    "Description-Content-Type: text/markdown; variant=Pandoc\n": "description-content-type",
    "Description-Content-Type: text/plain; charset=latin-1\n": "description-content-type",
    "Dynamic: Home-Page-URL\n": "dynamic",
    "Import-Name: demo.class\n": "import-name",
}


@pytest.mark.parametrize("extra", sorted(PACKAGING_CHECKS))
def test_packaging_covers_the_other_field_checks_of_the_index(extra: str, tmp_path: Path) -> None:
    # the field replaces the generated one of that name (Requires-Python is always there)
    field = extra.split(":")[0] + ":"
    text = metadata(metadata_version="2.5", content_type=None)
    text = "".join(line for line in text.splitlines(True) if not line.startswith(field))
    head, _, body = text.partition("\n\n")
    wheel = make_wheel(tmp_path, meta=f"{head}\n{extra}\n{body}")
    found = [f.message for f in inspect_file(wheel).findings if f.rule == "twine:metadata"]
    assert any(PACKAGING_CHECKS[extra] in m for m in found), found


def test_a_deprecated_classifier_names_its_successor(tmp_path: Path) -> None:
    # forklift refuses deprecated classifiers too, naming what replaces them
    wheel = _meta_wheel(extra="Classifier: Natural Language :: Ukranian\n")(tmp_path)
    found = [f for f in inspect_file(wheel).findings if f.rule == "index:classifier"]
    assert [f.severity for f in found] == ["error"]
    assert "deprecated" in found[0].message
    assert "'Natural Language :: Ukrainian'" in found[0].message


def test_a_field_of_several_addresses_is_not_checked(tmp_path: Path) -> None:
    # urllib3 2.2's wheel: two maintainers in one Maintainer-email; the index's
    # parser (email.utils.parseaddr, strict) gives no address, so checks none
    wheel = _meta_wheel(
        extra="Maintainer-email: Seth <seth@example.org>, UNKNOWN\n"
        "Author-email: Andrey Petrov <andrey.petrov@example.org>\n"
    )(tmp_path)
    assert "index:email" not in _rules_of(wheel)
    (tmp_path / "one").mkdir()
    one = _meta_wheel(extra="Maintainer-email: Seth <seth@localhost>\n")(tmp_path / "one")
    found = [str(f) for f in inspect_file(one).findings if f.rule == "index:email"]
    assert found == [
        "Maintainer-email 'seth@localhost' is not a valid e-mail address: the part after "
        "the @-sign should have a period [index:email]"
    ]


#: address -> what email-validator 2.3.0 (which forklift calls) says, with
#: check_deliverability=False: None for valid, else the reason's gist
ADDRESSES = {
    "jane.doe@example.org": None,
    "kim+pypi@gumleaf.org": None,  # idna 3.7
    "Julian+rpds@GrayVines.com": None,  # rpds-py
    "hukkin@users.noreply.github.com": None,  # tomli
    "jörg@example.de": None,  # international characters before the @-sign
    "a!#$%&'*+-/=?^_`{|}~@example.com": None,
    "a@bücher.ch": None,
    "UNKNOWN": "no @-sign",
    "@example.com": "nothing before",
    "a@": "nothing after",
    "a..b@example.com": "periods",
    ".a@example.com": "periods",
    '"quoted"@example.com': "quoted",
    "a b@example.com": "characters before",
    "a@b@example.com": "not a host name",
    "a@example..com": "not a host name",
    "a@-example.com": "not a host name",
    "a@example_site.com": "not a host name",
    "a@example.com.": "not a host name",
    "a@ab--cd.com": "two hyphens",
    "a@localhost": "period",
    "a@example.123": "top-level domain",
    "a@host.local": "special-use",
    "a@host.test": "special-use",
    "a@x.onion": "special-use",
    "a@[127.0.0.1]": "bracketed",
    "a@" + "x" * 64 + ".com": "too long",
    "a\u200b@example.com": "unsafe",
}


@pytest.mark.parametrize("address", sorted(ADDRESSES))
def test_email_addresses_are_judged_as_email_validator_judges_them(address: str) -> None:
    _assert_verdict(email_problem(address), ADDRESSES[address])


def _packaging_knows(metadata_version: str) -> bool:
    from packaging.metadata import Metadata

    raw = {"metadata_version": metadata_version, "name": "demo", "version": "1.0"}
    try:
        Metadata.from_raw(raw, validate=True)  # type: ignore[arg-type]
    except Exception:  # InvalidMetadata, or a group of them
        return False
    return True


def test_license_file_under_old_metadata_warns_and_publish_drops_it(tmp_path: Path) -> None:
    # psutil 5.9.8's wheel: setuptools < 77 writes License-File under Metadata-Version 2.1
    wheel = make_wheel(
        tmp_path,
        "psutil",
        "5.9.8",
        "cp36-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64",
        meta=metadata("psutil", "5.9.8", metadata_version="2.1", extra="License-File: LICENSE\n"),
    )
    report = inspect_artifacts(None, [wheel])
    assert report.ok, report.problems
    assert any("[twine:license-file-dropped]" in w for w in report.warnings)
    fields = upload_fields(describe_file(wheel), public=True)
    assert not [k for k, _ in fields if k == "license_file"]
    assert ("metadata_version", "2.1") in fields


def test_twine_check_strict_agrees_on_its_rules(tmp_path: Path) -> None:
    files: dict[Path, bool] = {}
    for rule in sorted(r for r in CASES if r.startswith("twine:")):
        for which, maker in (("bad", CASES[rule][1]), ("good", CASES[rule][2])):
            folder = tmp_path / rule.replace(":", "_") / which
            folder.mkdir(parents=True)
            path = maker(folder)
            files[path] = any(r.startswith("twine:") for r in _rules_of(path))
    for path, relman_fails in files.items():
        # one file a run: twine stops at the first file it cannot read
        out = subprocess.run(
            [sys.executable, "-m", "twine", "check", "--strict", str(path)],
            capture_output=True,
            text=True,
            check=False,
            env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin", "COLUMNS": "400"},
        )
        assert (out.returncode != 0) == relman_fails, (path, out.stdout, out.stderr)


def test_inspect_works_outside_any_project(tmp_path: Path) -> None:
    # no pyproject.toml and no git here: `relman inspect FILE` works as `twine check FILE`
    sdist = make_sdist(tmp_path)
    wheel = make_wheel(tmp_path)
    out = run_relman("inspect", str(sdist), str(wheel), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "wheel matrix" not in out.stdout
    (tmp_path / "bad").mkdir()
    bad = make_wheel(tmp_path / "bad", tag="cp312-cp312-linux_x86_64")
    out = run_relman("inspect", str(bad), cwd=tmp_path)
    assert out.returncode == 1
    assert "[index:platform-tag]" in out.stdout
    out = run_relman("inspect", str(bad), "--private-index", cwd=tmp_path)
    assert out.returncode == 0, out.stdout


def test_the_matrix_is_checked_only_when_asked(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path)
    assert inspect_artifacts(None, [sdist]).ok
    report = inspect_artifacts(None, [sdist], matrix=True)
    assert report.missing_wheels == ("py3-none-any",)
    out = run_relman("inspect", str(sdist), "--matrix", cwd=tmp_path)
    assert out.returncode == 1
    assert "no wheel for py3-none-any" in out.stdout


def test_a_zip_sdist_is_read_as_a_zip(tmp_path: Path) -> None:
    # numpy 1.x and older setuptools projects uploaded .zip sdists
    top = "demo-1.0"
    path = tmp_path / "demo-1.0.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{top}/PKG-INFO", metadata())
        zf.writestr(f"{top}/pyproject.toml", "[project]\n")
    report = inspect_file(path)
    assert report.meta is not None and report.meta.name == "demo"
    assert [str(f) for f in report.findings] == ["sdists are .tar.gz (PEP 625) [index:filename]"]


def test_an_abi3_wheel_covers_cibuildwheels_later_cpythons(tmp_path: Path, git_repo) -> None:
    # cryptography's shape: one cp39-abi3 wheel per platform serves every later CPython
    git_repo.commit(
        "init",
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1.0"\n'
            'requires-python = ">=3.11"\n\n[tool.relman.build]\n'
            'wheels = ["cp31*-manylinux_x86_64"]\n',
            "src/demo/_core.c": "int x;\n",
        },
    )
    from relman.project import load_config

    config = load_config(git_repo.path)
    wheel = make_wheel(tmp_path, tag="cp311-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64")
    report = inspect_artifacts(config, [wheel], matrix=True)
    assert report.matrix_source == "cibuildwheel"
    assert {"cp311-manylinux_x86_64", "cp313-manylinux_x86_64"} <= set(report.expected_wheels)
    # the free-threaded builds (cp313t, ...) have no stable ABI: only those are missing
    assert all(m.endswith("t-manylinux_x86_64") for m in report.missing_wheels), (
        report.missing_wheels
    )
    assert report.unexpected_wheels == ()


def test_a_large_set_is_inspected_in_worker_processes_with_the_same_findings(
    tmp_path: Path,
) -> None:
    # a compiled project's wheels (scipy's: an incompressible extension module
    # each) and an unrelated sdist, above the size from which the command line
    # spreads files over worker processes: every file's findings and sha256
    # are those of inspecting it alone, whichever process read it
    import hashlib
    import json
    import os

    from relman.artifacts.inspect import PARALLEL_BYTES

    so = os.urandom(PARALLEL_BYTES // 3)
    paths = [
        make_wheel(
            tmp_path,
            "compiled",
            "1.0",
            f"cp3{n}-cp3{n}-manylinux_2_17_x86_64",
            files={f"compiled/_core.cp3{n}.so": so},
        )
        for n in (11, 12, 13)
    ]
    paths.append(
        make_wheel(
            tmp_path,
            "compiled",
            "1.0",
            "cp314-cp314-manylinux_2_17_x86_64",
            files={"compiled/_core.cp314.so": so},
            record_extra="compiled/gone.py,sha256=AAAA,3\n",
        )
    )
    paths.append(make_sdist(tmp_path, "other"))
    assert sum(p.stat().st_size for p in paths) > PARALLEL_BYTES
    out = run_relman("inspect", "--json", *map(str, paths), cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    assert [a["path"] for a in data["artifacts"]] == [str(p) for p in paths]
    for info in data["artifacts"]:
        path = Path(info["path"])
        assert info["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        found = [
            (f["rule"], f["severity"], f["message"])
            for f in data["findings"]
            if f["file"] == path.name
        ]
        assert found == [(f.rule, f.severity, f.message) for f in inspect_file(path).findings]
    assert [f["file"] for f in data["findings"] if f["rule"] == "relman:record"] == [paths[3].name]


def test_worker_batches_keep_a_projects_files_together_unless_it_is_most_of_the_work(
    tmp_path: Path,
) -> None:
    from relman.artifacts.inspect import _tasks

    big = [tmp_path / f"big-1.0-cp31{n}-cp31{n}-win_amd64.whl" for n in range(4)]
    pair = [
        tmp_path / "python_dateutil-2.8.2-py2.py3-none-any.whl",
        tmp_path / "python-dateutil-2.8.2.tar.gz",
    ]
    for p in big:
        p.write_bytes(b"x" * 1000)
    for p in pair:
        p.write_bytes(b"x" * 10)
    # one release's wheels each alone (they are most of the work), largest
    # first; a wheel and an sdist of one project in one batch (one rendering
    # of their long description)
    assert _tasks([*big, *pair], 2) == [[p] for p in big] + [pair]


#: long descriptions for each way readme_renderer decides: visible text,
#: nothing visible (comments, targets, substitutions, meta: rendered in full),
#: a warning in parsing or in the transforms (an unknown target)
DESCRIPTIONS = [
    "Title\n=====\n\nSome *text*.\n",
    "Title\n=====\n",
    ":Author: Jane\n:Version: 1.0\n",
    "* a\n* b\n",
    ".. note:: careful\n",
    ".. code:: python\n\n   x = 1\n",
    ".. image:: logo.png\n   :scale: 50%\n",
    ":math:`x^2` and\n\n.. math::\n\n   y^2\n",
    "",
    "   \n",
    ".. a comment only\n",
    ".. _target: https://example.invalid/\n",
    ".. |s| replace:: text\n",
    ".. meta::\n   :keywords: demo\n",
    "----\n\ntext\n",
    "text *unclosed\n",
    "`a reference`_ to nowhere\n",
    ".. raw:: html\n\n   <b>bold</b>\n",
    ".. include:: /etc/hostname\n",
    ".. unknown-directive:: boom\n",
]


@pytest.mark.parametrize("text", DESCRIPTIONS)
def test_rst_verdicts_are_readme_renderers(text: str) -> None:
    import io

    import readme_renderer.rst

    from relman.artifacts.readme import rst_renders

    stream = io.StringIO()
    expected = readme_renderer.rst.render(text, stream=stream) is not None
    renders, warnings = rst_renders(text)
    assert renders == expected
    if not expected:
        assert warnings.split() == stream.getvalue().split()
