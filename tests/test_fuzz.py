"""A seeded fuzz of relman's inputs against its contract.

Configuration values, versions and fragment names, drawn from a seeded random
generator (``RELMAN_FUZZ_SEED`` picks another seed; a failure prints the seed
and the input), go through the real command line in this process, on a small
towncrier project (the layout of attrs: ``changelog.d`` fragments). Whatever
the input, relman answers with one of its documented exit codes, never a
traceback, changes nothing (every command here is read-only or a dry run) and
prints no credential.
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

from relman.cli import main
from tests.helpers import snapshot

SEED = int(os.environ.get("RELMAN_FUZZ_SEED", "19"))
EXIT_CODES = {0, 1, 2, 3, 4, 5}
TOKEN = "fuzz-token-9f8e7d6c5b4a"
URL_PASSWORD = "fuzz-url-password-31337"

PYPROJECT = """\
[project]
name = "fuzzed"
version = "1.1.0.dev0"

[tool.towncrier]
directory = "changelog.d"
filename = "CHANGES.rst"
"""

_PIECES = [
    "{version}",
    "{",
    "}",
    "{major}",
    "{minor}",
    "{patch}",
    "{0}",
    "{}",
    "{version!r}",
    "{version:>99999}",
    "{name.__class__}",
    "v",
    "-",
    "/",
    "..",
    "\x00",
    "é",
    " ",
    "\n",
    "%s",
    "${HOME}",
    "ftp://",
    f"http://__token__:{URL_PASSWORD}@127.0.0.1:9/",
    TOKEN,
]

_KEYS = [
    "TAG_FORMAT",
    "MAINTENANCE_BRANCH",
    "RELEASE_TAG_MESSAGE",
    "RELEASE_POST_RELEASE_MESSAGE",
    "VERSION_COMMIT_MESSAGE",
    "NOTES_COMMIT_MESSAGE",
    "CHANGELOG_PR_URL",
    "PUBLISH_TARGET",
    "PUBLISH_TIMEOUT",
    "PUBLISH_RETRIES",
    "PUBLISH_BACKOFF",
    "MAIN_BRANCH",
    "REMOTE",
]


def _junk(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return rng.choice(["-1", "1e400", "nan", "0", "9" * 400, "true", "[1, 2]"])
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 6)))


def _version(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return "1." * rng.randint(100, 3000) + "0"
    alphabet = "0123456789....abcdeilnoprstv+-_! {}\t"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))


def _fragment_name(rng: random.Random) -> str:
    parts = [
        rng.choice(["1", "22", "+", "0x1", "-1", "é", "a" * 200, "orphan", ""]),
        rng.choice(["feature", "bugfix", "doc", "removal", "misc", "nope", ""]),
        rng.choice(["", "1", "x"]),
        rng.choice(["rst", "md", "txt", ""]),
    ]
    name = ".".join(p for p in parts if p or rng.random() < 0.3)
    return name.replace("/", "_").strip() or "x"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "fuzzed"
    (path / "changelog.d").mkdir(parents=True)
    (path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (path / "changelog.d" / "1.feature.rst").write_text("A feature.\n", encoding="utf-8")
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-qm", "start"],
        ["tag", "-a", "-m", "1.0.0", "v1.0.0"],
    ):
        subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)
    return path


def _world(path: Path) -> tuple[dict[str, bytes], str]:
    refs = subprocess.run(
        ["git", "for-each-ref"], cwd=path, capture_output=True, text=True, check=True
    ).stdout
    return snapshot(path), refs


def _check(capsys: pytest.CaptureFixture[str], path: Path, args: list[str], what: str) -> None:
    before = _world(path)
    code = main(["--project", str(path), *args])
    out = capsys.readouterr()
    text = out.out + out.err
    context = f"seed {SEED}, {what}, relman {' '.join(args)!r}:\n{text[-2000:]}"
    assert code in EXIT_CODES, context
    assert "Traceback" not in text, context
    assert TOKEN not in text and URL_PASSWORD not in text, context
    assert _world(path) == before, context


def test_fuzz_configuration_values(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(SEED)
    monkeypatch.setenv("RELMAN_INDEX_TOKEN", TOKEN)
    for _ in range(40):
        key, value = rng.choice(_KEYS), _junk(rng)
        if "\x00" in value:  # the environment cannot hold NUL
            value = value.replace("\x00", "")
        monkeypatch.setenv(f"RELMAN_{key}", value)
        what = f"RELMAN_{key}={value!r}"
        args = rng.choice(
            [["status"], ["config", "--json"], ["version", "set", "1.2.0", "--dry-run"]]
        )
        _check(capsys, project, args, what)
        monkeypatch.delenv(f"RELMAN_{key}")


def test_fuzz_versions(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(SEED + 1)
    for _ in range(60):
        version = _version(rng)
        args = rng.choice(
            [
                ["version", "set", version, "--dry-run"],
                ["plan", version],
                ["notes", "draft", "--version", version],
            ]
        )
        _check(capsys, project, args, f"version {version[:80]!r}")


def test_fuzz_fragment_names(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(SEED + 2)
    folder = project / "changelog.d"
    for _ in range(30):
        name = _fragment_name(rng)
        fragment = folder / name
        if fragment.exists():
            continue
        shape = rng.choice(["text", "empty", "binary", "fifo", "link"])
        if shape == "fifo":
            os.mkfifo(fragment)
        elif shape == "link":
            fragment.symlink_to(project.parent / "outside.txt")
        else:
            data = {"text": b"Fixed.\n", "empty": b"", "binary": b"\xff\xfe\x00bad"}[shape]
            fragment.write_bytes(data)
        for args in (["notes", "check"], ["notes", "draft", "--version", "1.1.0"]):
            _check(capsys, project, args, f"fragment {name!r} ({shape})")
        fragment.unlink()
