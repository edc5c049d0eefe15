"""PEP 440 arithmetic: next versions, ordering refusals, release flags."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from relman.errors import VersionError
from relman.line import check_new_version
from relman.project import load_config
from relman.versioning import (
    KINDS,
    is_release,
    next_dev_version,
    next_version,
    next_version_on_branch,
    normalize_or_suggest,
    parse_version,
)
from tests.helpers import GitRepo

# -- the release cycle of the issue -------------------------------------------


@pytest.mark.parametrize(
    ("current", "kind", "expected"),
    [
        ("1.2.0.dev0", "alpha", "1.2.0a1"),
        ("1.2.0a1", "alpha", "1.2.0a2"),
        ("1.2.0a2", "beta", "1.2.0b1"),
        ("1.2.0b1", "rc", "1.2.0rc1"),
        ("1.2.0rc1", "rc", "1.2.0rc2"),
        ("1.2.0rc2", "final", "1.2.0"),
        ("1.2.0", "micro", "1.2.1"),
        ("1.2.0", "minor", "1.3.0"),
        ("1.2.0", "major", "2.0.0"),
        ("1.2.0", "alpha", "1.2.1a1"),
        ("1.2.0", "post", "1.2.0.post1"),
        ("1.2.0.post1", "post", "1.2.0.post2"),
        ("1.2.0.post1.dev0", "post", "1.2.0.post1"),
        ("1.2.0.post1.dev0", "final", "1.2.0.post1"),
        ("1.2.0", "dev", "1.2.1.dev0"),
        ("1.2.0.dev0", "dev", "1.2.0.dev1"),
        ("1.2.0rc1", "dev", "1.2.0rc2.dev0"),
        ("1.2.0rc2.dev0", "rc", "1.2.0rc2"),
        ("1.2.0a3.dev1", "beta", "1.2.0b1"),
        ("1.3.0.dev0", "minor", "1.3.0"),
        ("1.3.0.dev0", "micro", "1.3.0"),
        ("1.3.1.dev0", "minor", "1.4.0"),
        ("2.0.0rc1", "major", "2.0.0"),
        ("2.0.0.post1.dev0", "major", "3.0.0"),
        ("1.2", "micro", "1.2.1"),
        ("1.2rc1", "final", "1.2"),
        ("1!1.0.0", "major", "1!2.0.0"),
        ("1.0.0+local.1", "micro", "1.0.1"),
        ("1.2.3.4", "micro", "1.2.4"),
    ],
)
def test_next_version(current: str, kind: str, expected: str) -> None:
    assert next_version(current, kind) == expected


def test_going_back_hint_names_what_may_follow() -> None:
    with pytest.raises(VersionError) as info:
        next_version("1.2.0rc1", "beta")
    assert info.value.hint == (
        "the next pre-release after 1.2.0rc1 is a later release candidate, or the final"
    )
    with pytest.raises(VersionError) as info:
        next_version("1.2.0b2", "alpha")
    assert info.value.hint == (
        "the next pre-release after 1.2.0b2 is a later beta, a release candidate or the final"
    )


@pytest.mark.parametrize(
    ("current", "kind", "needle"),
    [
        ("1.2.0rc1", "alpha", "back to an alpha"),
        ("1.2.0b2", "alpha", "back to an alpha"),
        ("1.2.0rc1", "beta", "back to a beta"),
        ("1.2.0", "final", "already a final release"),
        ("1.2.0rc1", "post", "not a final release"),
        ("1.2.0.dev0", "post", "not a final release"),
        ("1.2.0", "gamma", "unknown release kind"),
        ("not-a-version", "micro", "not a valid PEP 440 version"),
    ],
)
def test_next_version_refusals(current: str, kind: str, needle: str) -> None:
    with pytest.raises(VersionError, match=needle) as info:
        next_version(current, kind)
    assert info.value.exit_code == 2
    assert info.value.hint


@pytest.mark.parametrize(
    ("released", "on_main", "expected"),
    [
        ("1.2.0", False, "1.2.1.dev0"),
        ("1.2.0", True, "1.3.0.dev0"),
        ("1.2.3", False, "1.2.4.dev0"),
        ("1.2.0rc1", False, "1.2.0rc2.dev0"),
        ("3.13.0a1", True, "3.13.0a2.dev0"),
        ("1.2.0.post1", False, "1.2.1.dev0"),
    ],
)
def test_next_dev_version(released: str, on_main: bool, expected: str) -> None:
    assert next_dev_version(released, on_main=on_main) == expected
    assert Version(expected) > Version(released)
    assert not is_release(expected)


def test_next_version_on_branch() -> None:
    assert next_version_on_branch("1.2.0", "dev", on_main=True) == "1.3.0.dev0"
    assert next_version_on_branch("1.2.0", "dev", on_main=False) == "1.2.1.dev0"
    assert next_version_on_branch("1.2.0rc1", "dev", on_main=True) == "1.2.0rc2.dev0"
    assert next_version_on_branch("1.2.0.dev0", "dev", on_main=True) == "1.2.0.dev1"
    assert next_version_on_branch("1.2.0", "micro", on_main=True) == "1.2.1"


@pytest.mark.parametrize(
    ("version", "released"),
    [("1.2.0", True), ("1.2.0rc1", True), ("1.2.0.post1", True), ("1.2.0.dev0", False)],
)
def test_is_release(version: str, released: bool) -> None:
    assert is_release(version) is released


def test_parse_version_shows_the_normalized_form() -> None:
    with pytest.raises(VersionError) as info:
        parse_version("1.2.0-RC1")
    assert "1.2.0rc1" in info.value.message
    assert info.value.hint == "write it as 1.2.0rc1"
    with pytest.raises(VersionError, match="not a valid PEP 440"):
        parse_version("1.2.x")
    assert str(parse_version("1.2.0-RC1", strict=False)) == "1.2.0rc1"
    assert normalize_or_suggest("v1.0") == "1.0"
    assert normalize_or_suggest("banana") is None


# -- properties ----------------------------------------------------------------

_versions = st.builds(
    lambda epoch, release, pre, post, dev, local: (
        (f"{epoch}!" if epoch else "")
        + ".".join(map(str, release))
        + (f"{pre[0]}{pre[1]}" if pre else "")
        + (f".post{post}" if post is not None else "")
        + (f".dev{dev}" if dev is not None else "")
        + (f"+{local}" if local else "")
    ),
    st.sampled_from([0, 0, 0, 1]),
    st.lists(st.integers(0, 30), min_size=1, max_size=4),
    st.none() | st.tuples(st.sampled_from(["a", "b", "rc"]), st.integers(0, 9)),
    st.none() | st.integers(0, 5),
    st.none() | st.integers(0, 5),
    st.sampled_from(["", "", "", "abc.1"]),
)


@settings(max_examples=400, deadline=None)
@given(_versions, st.sampled_from(KINDS))
def test_every_next_version_is_greater_and_normalized(current: str, kind: str) -> None:
    try:
        result = next_version(current, kind)
    except VersionError:
        return
    assert str(Version(result)) == result
    assert Version(result) > Version(current)
    assert Version(result).local is None


@settings(max_examples=300, deadline=None)
@given(_versions, st.lists(st.sampled_from(KINDS), min_size=1, max_size=12))
def test_every_chain_of_bumps_is_strictly_increasing(start: str, kinds: list[str]) -> None:
    chain = [Version(start)]
    for kind in kinds:
        try:
            chain.append(Version(next_version(chain[-1], kind)))
        except VersionError:
            continue
        assert str(chain[-1]) == next_version(chain[-2], kind)
    assert all(a < b for a, b in itertools.pairwise(chain))


@settings(max_examples=200, deadline=None)
@given(_versions, st.booleans())
def test_next_dev_version_is_greater_and_development(released: str, on_main: bool) -> None:
    result = next_dev_version(released, on_main=on_main)
    assert Version(result) > Version(released)
    assert Version(result).is_devrelease
    assert str(Version(result)) == result


# -- check_new_version on a real repository ------------------------------------

PYPROJECT = '[project]\nname = "plain"\nversion = "{v}"\n'


def _repo_at(git_repo: GitRepo, version: str) -> None:
    git_repo.commit("start", {"pyproject.toml": PYPROJECT.format(v=version)})


def test_check_new_version_accepts_a_later_version(git_repo: GitRepo) -> None:
    _repo_at(git_repo, "1.0.0")
    git_repo.tag("v1.0.0", "plain 1.0.0")
    git_repo.commit("dev", {"pyproject.toml": PYPROJECT.format(v="1.1.0.dev0")})
    config = load_config(git_repo.path)
    from relman.git import Repo

    assert check_new_version(config, Repo(git_repo.path), "1.1.0rc1") == Version("1.1.0rc1")


@pytest.mark.parametrize(
    ("version", "needle", "forceable"),
    [
        ("1.0.0", "tag v1.0.0 already exists", False),
        ("0.9.0", "not later than 1.0.0", True),
        ("1.0.0rc1", "not later than 1.0.0", True),
        ("1.0.0-rc.2", "normalized", False),
        ("one", "not a valid PEP 440", False),
    ],
)
def test_check_new_version_refusals(
    git_repo: GitRepo, version: str, needle: str, forceable: bool
) -> None:
    from relman.git import Repo

    _repo_at(git_repo, "1.0.0")
    git_repo.tag("v1.0.0", "plain 1.0.0")
    git_repo.commit("dev", {"pyproject.toml": PYPROJECT.format(v="1.0.1.dev0")})
    config = load_config(git_repo.path)
    repo = Repo(git_repo.path)
    with pytest.raises(VersionError, match=needle) as info:
        check_new_version(config, repo, version)
    assert info.value.exit_code == 2
    if forceable:
        assert check_new_version(config, repo, version, force=True) == Version(version)
    else:
        with pytest.raises(VersionError):
            check_new_version(config, repo, version, force=True)


def test_check_new_version_refuses_final_back_to_prerelease(git_repo: GitRepo) -> None:
    from relman.git import Repo

    _repo_at(git_repo, "2.0.0")  # the final is in the files, not tagged yet
    config = load_config(git_repo.path)
    repo = Repo(git_repo.path)
    with pytest.raises(VersionError, match=re.escape("goes back from the final release 2.0.0")):
        check_new_version(config, repo, "2.0.0rc3")
    assert check_new_version(config, repo, "2.0.0rc3", force=True) == Version("2.0.0rc3")
    assert check_new_version(config, repo, "2.0.1") == Version("2.0.1")
    assert check_new_version(config, repo, "2.0.0.post1.dev0") == Version("2.0.0.post1.dev0")


def test_check_new_version_series_on_another_branch(git_repo: GitRepo) -> None:
    """A 1.2.x release on the maintenance branch is not reachable from main but
    still orders the 1.2 series."""
    from relman.git import Repo

    _repo_at(git_repo, "1.2.0")
    git_repo.tag("v1.2.0", "1.2.0")
    git_repo.checkout("maintenance/1.2.x", create=True)
    git_repo.commit("fix", {"pyproject.toml": PYPROJECT.format(v="1.2.3")})
    git_repo.tag("v1.2.3", "1.2.3")
    git_repo.checkout("main")
    git_repo.commit("dev", {"pyproject.toml": PYPROJECT.format(v="1.3.0.dev0")})
    config = load_config(git_repo.path)
    repo = Repo(git_repo.path)
    with pytest.raises(VersionError, match=re.escape("in the 1.2 series")):
        check_new_version(config, repo, "1.2.2")
    assert check_new_version(config, repo, "1.3.0a1") == Version("1.3.0a1")
