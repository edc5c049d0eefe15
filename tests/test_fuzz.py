"""A seeded fuzz of relman's inputs against its contract.

Configuration values, versions, fragment names and crafted release files
(damaged, hostile or mislabelled wheels and sdists), drawn from a seeded random
generator (``RELMAN_FUZZ_SEED`` picks another seed; a failure prints the seed
and the input), go through the real command line in this process, on a small
towncrier project (the layout of attrs: ``changelog.d`` fragments). Whatever
the input, relman answers with one of its documented exit codes, never a
traceback, changes nothing (every command here is read-only or a dry run) and
prints no credential. The output streams here are strict UTF-8, so an
undecodable name that reached them unescaped would fail the run.
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


# -- archive shapes --------------------------------------------------------------------


def _patch_zip_headers(path: Path, *, flag: int = 0, method: int | None = None) -> None:
    """Set a general-purpose flag bit and/or the compression method of every member,
    in the local and the central headers (as a crafted wheel would)."""
    import struct

    data = bytearray(path.read_bytes())
    for sig, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = 0
        while (at := data.find(sig, start)) >= 0:
            old = struct.unpack_from("<H", data, at + flag_at)[0]
            struct.pack_into("<H", data, at + flag_at, old | flag)
            if method is not None:
                struct.pack_into("<H", data, at + method_at, method)
            start = at + 4
    path.write_bytes(bytes(data))


def _corrupt_member(path: Path, rng: random.Random) -> None:
    """Flip bytes inside the deflated data of METADATA (its CRC or inflate fails)."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        info = next(i for i in zf.infolist() if i.filename.endswith("METADATA"))
    data = bytearray(path.read_bytes())
    name_len, extra_len = (
        int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little"),
        int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little"),
    )
    begin = info.header_offset + 30 + name_len + extra_len
    for _ in range(rng.randint(1, 8)):
        at = begin + rng.randrange(max(1, info.compress_size))
        data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def _crafted(folder: Path, shape: str, rng: random.Random) -> Path:
    """One hostile or damaged release file of the given shape (the shapes of the
    adversarial runs: what a broken build backend, a bad mirror or an attacker makes)."""
    import bz2
    import tarfile
    import zipfile

    from tests.distfiles import make_sdist, make_wheel

    if shape == "corrupt-deflate":
        path = make_wheel(folder)
        _corrupt_member(path, rng)
    elif shape == "encrypted":
        path = make_wheel(folder)
        _patch_zip_headers(path, flag=0x1)
    elif shape == "unknown-compression":
        path = make_wheel(folder)
        _patch_zip_headers(path, method=rng.choice([1, 6, 97, 99, 0xFFFF]))
    elif shape == "huge-record-field":
        path = make_wheel(folder, record_extra="x" * rng.randint(130_000, 400_000) + ",,\n")
    elif shape == "duplicate-member":
        path = make_wheel(folder, duplicate="demo/__init__.py")
    elif shape == "non-utf8-zip-name":
        path = make_wheel(folder)
        data = path.read_bytes().replace(b"demo/__init__.py", b"demo/\xff\xfe_init_.py")
        path.write_bytes(data)
        _patch_zip_headers(path, flag=0x800)  # says UTF-8, is not
    elif shape == "non-utf8-tar-name":
        path = make_sdist(folder, files={"demo/\udcff\udcfe.py": b"x = 1\n"})
    elif shape == "link-to-missing":
        path = make_sdist(folder, meta=False, links={"PKG-INFO": "nowhere/PKG-INFO"})
    elif shape == "chained-links":
        path = make_sdist(folder, meta=False, links={"PKG-INFO": "a", "a": "b", "b": "PKG-INFO"})
    elif shape == "link-outside":
        path = make_sdist(folder, links={"demo/evil.py": "../../../../etc/passwd"})
    elif shape == "truncated-gzip":
        path = make_sdist(folder, files={"demo/data.bin": rng.randbytes(20_000)})
        data = path.read_bytes()
        path.write_bytes(data[: rng.randint(10, len(data) - 1)])
    elif shape == "bz2-as-tar-gz":
        path = make_sdist(folder, mode="w:bz2")
    elif shape == "plain-tar-as-tar-gz":
        path = make_sdist(folder, mode="w")
    elif shape == "random-bytes":
        path = folder / rng.choice(["demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz"])
        path.write_bytes(rng.randbytes(rng.randint(0, 4096)))
    elif shape == "zip-in-gzip-clothes":
        path = make_wheel(folder)
        path = path.rename(folder / "demo-1.0.tar.gz")
    else:
        raise AssertionError(shape)
    assert isinstance(path, Path)
    del bz2, tarfile, zipfile
    return path


ARCHIVE_SHAPES = (
    "corrupt-deflate",
    "encrypted",
    "unknown-compression",
    "huge-record-field",
    "duplicate-member",
    "non-utf8-zip-name",
    "non-utf8-tar-name",
    "link-to-missing",
    "chained-links",
    "link-outside",
    "truncated-gzip",
    "bz2-as-tar-gz",
    "plain-tar-as-tar-gz",
    "random-bytes",
    "zip-in-gzip-clothes",
)


def test_fuzz_archive_shapes(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(SEED + 3)
    shapes = list(ARCHIVE_SHAPES) + [rng.choice(ARCHIVE_SHAPES) for _ in range(15)]
    for i, shape in enumerate(shapes):
        folder = tmp_path / f"files-{i}"
        folder.mkdir()
        path = _crafted(folder, shape, rng)
        data = path.read_bytes()
        for args in (["inspect", str(path)], ["inspect", "--json", str(path)]):
            before = _world(project)
            code = main(["--project", str(project), *args])
            out = capsys.readouterr()
            text = out.out + out.err
            context = (
                f"seed {SEED}, archive {shape} ({path.name}), relman {args[:-1]}:\n{text[-2000:]}"
            )
            # refused: a finding (exit 1) or bad input (exit 2); never "aborted" (130)
            assert code in (1, 2), context
            assert "Traceback" not in text, context
            assert "error" in text.lower() or '"ok": false' in text, context
            assert _world(project) == before and path.read_bytes() == data, context
