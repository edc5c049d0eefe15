"""Hostile and damaged archives: one clear message, a documented exit code, nothing written.

Each file is made here (:mod:`tests.distfiles` and by hand where a backend
would never write it): a wheel of hatchling's shape, an sdist of flit_core's.
"""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from relman.archive import ArchiveError, Limits, extract_archive, read_archive
from relman.artifacts import covered_identifiers, inspect_file, match_wheels
from relman.project import load_config
from relman.verify import extract_sdist, verify_artifacts
from tests.distfiles import make_sdist, make_wheel, metadata
from tests.helpers import run_relman, snapshot

_MIB = 1024 * 1024


def _rules(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in inspect_file(path).findings:
        out.setdefault(f.rule, []).append(f.message)
    return out


def _inspect_cli(path: Path) -> tuple[int, str, str]:
    out = run_relman("inspect", str(path), cwd=path.parent)
    return out.returncode, out.stdout, out.stderr


# -- limits: nothing is read whole into memory, the limit hit is named ------------------


def test_a_huge_metadata_member_is_refused_by_its_limit(tmp_path: Path) -> None:
    # 20 MiB of METADATA (compresses to a few KiB): past the 16 MiB metadata limit
    wheel = make_wheel(tmp_path, meta=metadata(extra="Keywords: " + "a" * (20 * _MIB) + "\n"))
    rules = _rules(wheel)
    assert rules.keys() >= {"relman:archive"}
    (text,) = rules["relman:archive"]
    assert "METADATA is larger than 16 MiB (metadata limit)" in text
    code, out, err = _inspect_cli(wheel)
    assert code == 1 and "Traceback" not in err
    assert "metadata limit" in out


def test_a_huge_pkg_info_is_refused_by_its_limit(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, meta=metadata(extra="Keywords: " + "a" * (17 * _MIB) + "\n"))
    (text,) = _rules(sdist)["relman:archive"]
    assert "PKG-INFO is larger than 16 MiB (metadata limit)" in text


def test_a_zero_bomb_member_is_a_ratio_finding_and_hashing_stays_bounded(tmp_path: Path) -> None:
    # 96 MiB of zeros in one member compress about a thousandfold
    wheel = make_wheel(tmp_path, files={"demo/zeros.bin": bytes(96 * _MIB)})
    rules = _rules(wheel)
    assert any("more than 50 times its size" in t for t in rules["index:archive-ratio"])
    with pytest.raises(ArchiveError) as err:
        read_archive(
            wheel,
            keep=lambda _n: False,
            digest=lambda _a, _n: "sha256",
            limits=Limits(member_bytes=8 * _MIB),
        )
    assert err.value.rule == "archive-member-size"
    assert "demo/zeros.bin is larger than 8 MiB (member limit)" in err.value.message


def test_extracting_an_sdist_stops_at_the_size_limits_and_leaves_nothing(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, files={"data/big.bin": bytes(3 * _MIB)})
    dest = tmp_path / "dest"
    with pytest.raises(ArchiveError) as err:
        extract_archive(sdist, dest, limits=Limits(member_bytes=2 * _MIB))
    assert "big.bin is larger than 2 MiB (member limit)" in err.value.message
    assert not dest.exists() or list(dest.iterdir()) == []
    with pytest.raises(ArchiveError) as err:
        extract_archive(sdist, dest, limits=Limits(total_bytes=1 * _MIB))
    assert "more than 1 MiB uncompressed" in err.value.message
    assert not dest.exists() or list(dest.iterdir()) == []


# -- damaged archives: a clear message, exit 1 --------------------------------------------


def _corrupt_deflate(path: Path, member: str) -> None:
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    # local header: 30 bytes + name + extra, then the compressed data
    name_len, extra_len = struct.unpack(
        "<HH", data[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_len + extra_len
    for i in range(start, start + info.compress_size):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def test_corrupt_deflate_data_is_a_clear_problem(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, files={"demo/core.py": b"x = 1\n" * 2000})
    _corrupt_deflate(wheel, "demo/core.py")
    (text,) = _rules(wheel)["relman:archive"]
    assert "corrupt archive (member demo/core.py)" in text
    code, _out, err = _inspect_cli(wheel)
    assert code == 1 and "Traceback" not in err


def test_the_encrypted_flag_is_refused(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    data = bytearray(wheel.read_bytes())
    with zipfile.ZipFile(wheel) as zf:
        infos = zf.infolist()
        cd = data.rfind(b"PK\x01\x02", 0)  # the last central directory entry
    # set bit 0 of the general purpose flags in every central directory entry
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        data[pos + 8] |= 0x01
        pos = data.find(b"PK\x01\x02", pos + 4)
    assert cd != -1 and infos
    wheel.write_bytes(bytes(data))
    rules = _rules(wheel)
    assert any("is encrypted" in t for t in rules["index:archive-encrypted"])
    code, out, err = _inspect_cli(wheel)
    assert code == 1 and "Traceback" not in err and "[index:archive-encrypted]" in out


def test_an_unknown_compression_method_is_refused(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    data = bytearray(wheel.read_bytes())
    for sig, off in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        pos = data.find(sig)
        while pos != -1:
            data[pos + off : pos + off + 2] = struct.pack("<H", 99)  # AES / unknown
            pos = data.find(sig, pos + 4)
    wheel.write_bytes(bytes(data))
    rules = _rules(wheel)
    assert any("compression method 99" in t for t in rules["index:archive-compression"])
    code, _out, err = _inspect_cli(wheel)
    assert code == 1 and "Traceback" not in err


def test_a_record_field_over_128_kib_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, record_extra='"' + "a" * (200 * 1024) + '",sha256=x,1\n')
    rules = _rules(wheel)
    assert any("cannot be read" in t and "field larger" in t for t in rules["relman:record"])
    code, _out, err = _inspect_cli(wheel)
    assert code == 1 and "Traceback" not in err


def test_a_truncated_tar_gz_is_exit_1_not_aborted(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, files={"demo/data.txt": bytes(range(256)) * 4000})
    sdist.write_bytes(sdist.read_bytes()[: sdist.stat().st_size // 2])
    (text,) = _rules(sdist)["relman:archive"]
    assert "truncated archive" in text
    code, _out, err = _inspect_cli(sdist)
    assert code == 1, err
    assert "aborted" not in err and "Traceback" not in err


@pytest.mark.parametrize(("mode", "really"), [("w:bz2", "bzip2"), ("w", "tar"), ("w:xz", "xz")])
def test_a_tar_gz_that_is_not_gzip_is_refused(tmp_path: Path, mode: str, really: str) -> None:
    sdist = make_sdist(tmp_path, mode=mode)
    (text,) = _rules(sdist)["index:sdist-gzip"]
    assert f"this file is {really}" in text
    with pytest.raises(ArchiveError):
        extract_archive(sdist, tmp_path / "dest")


def test_non_utf8_metadata_is_an_error(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, meta=metadata(extra="Author: Ren\xe9\n").encode("latin-1"))
    assert "relman:metadata-utf8" in _rules(wheel)
    assert inspect_file(wheel).errors != []


def test_non_utf8_member_names_are_refused(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, files={"demo/caf\udce9.py": b""})
    assert any("not UTF-8" in t for t in _rules(sdist)["index:archive-member-name"])
    with pytest.raises(ArchiveError) as err:
        extract_archive(sdist, tmp_path / "dest")
    assert "not UTF-8" in err.value.message


# -- links ------------------------------------------------------------------------------


def test_pkg_info_linking_to_a_missing_member(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, meta=False, links={"PKG-INFO": "gone/PKG-INFO"})
    rules = _rules(sdist)
    assert any(
        "PKG-INFO is a symlink, not a regular file" in t for t in rules["index:archive-layout"]
    )
    assert any(
        "pointing outside the archive, to nothing" in t for t in rules["relman:sdist-layout"]
    )
    with pytest.raises(ArchiveError):
        extract_sdist(sdist, tmp_path / "dest")
    assert not (tmp_path / "dest").exists() or list((tmp_path / "dest").iterdir()) == []


def test_chained_symlinks_that_leave_the_archive_are_refused(tmp_path: Path) -> None:
    # each link alone stays inside; followed in turn they reach ../../outside
    (tmp_path / "outside").mkdir()
    sdist = make_sdist(
        tmp_path,
        links={"a/up": "..", "a/up2": "up/..", "b": "a/up2/../outside"},
    )
    before = snapshot(tmp_path)
    with pytest.raises(ArchiveError) as err:
        extract_sdist(sdist, tmp_path / "dest")
    assert "unsafe to extract" in err.value.message
    assert snapshot(tmp_path) == before


def test_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, links={"x": "y", "y": "x"})
    with pytest.raises(ArchiveError) as err:
        extract_sdist(sdist, tmp_path / "dest")
    assert "in a loop" in err.value.message


def test_links_inside_the_archive_become_copies(tmp_path: Path) -> None:
    # projects that link README.rst to docs/index.rst (a common sdist shape)
    sdist = make_sdist(
        tmp_path, files={"docs/index.rst": b"Demo\n"}, links={"README.rst": "docs/index.rst"}
    )
    top = extract_sdist(sdist, tmp_path / "dest")
    readme = top / "README.rst"
    assert not readme.is_symlink() and readme.read_bytes() == b"Demo\n"
    assert not any(p.is_symlink() for p in (tmp_path / "dest").rglob("*"))


# -- verify will not install what inspect refuses ------------------------------------------


def test_verify_does_not_install_a_wheel_with_a_duplicate_init(tmp_path: Path, git_repo) -> None:
    git_repo.commit("init", {"pyproject.toml": '[project]\nname = "demo"\nversion = "1.0"\n'})
    config = load_config(git_repo.path)
    wheel = make_wheel(tmp_path, duplicate="demo/__init__.py")
    assert "index:archive-duplicate" in _rules(wheel)
    report = verify_artifacts(config, [wheel], version="1.0", logdir=tmp_path / "logs")
    (result,) = report.results
    assert result.status == "fail"
    assert "the wheel is not installed" in result.detail
    assert "demo/__init__.py appears more than once" in result.detail
    assert [s.step for s in result.steps] == ["read"]


# -- what a wheel covers --------------------------------------------------------------------


def test_abi3_wheels_cover_later_cpythons() -> None:
    ids = {
        "c-43.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl": covered_identifiers(
            "c-43.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        ),
    }
    missing, unexpected = match_wheels(
        ["cp311-manylinux_x86_64", "cp313-manylinux_x86_64", "cp313-win_amd64"], ids
    )
    assert missing == ["cp313-win_amd64"]
    assert unexpected == []
    # an abi3 wheel does not serve an older CPython
    assert "cp38-manylinux_x86_64" not in ids[next(iter(ids))]
    pure = {"s-1.16-py2.py3-none-any.whl": covered_identifiers("s-1.16-py2.py3-none-any.whl")}
    assert match_wheels(["py3-none-any"], pure) == ([], [])


def test_gzip_magic_is_what_counts_not_the_name(tmp_path: Path) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tf:
        info = tarfile.TarInfo("demo-1.0/PKG-INFO")
        body = metadata().encode()
        info.size = len(body)
        tf.addfile(info, io.BytesIO(body))
    path = tmp_path / "demo-1.0.tar.gz"
    path.write_bytes(gzip.compress(raw.getvalue()))
    assert "index:sdist-gzip" not in _rules(path)
