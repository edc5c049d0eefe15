"""NEP 29 / SPEC 0 support windows against the policies' published tables."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from relman.errors import RemoteError, UsageError
from relman.support import (
    POLICIES,
    RELEASES,
    merge_releases,
    parse_date,
    releases_from_index,
    support_window,
)
from tests.helpers import run_relman

D = dt.date.fromisoformat

# NEP 29's "Support Table" (rows whose data the NEP had complete when written)
NEP29_TABLE = [
    ("2020-01-07", "3.6", "1.15"),
    ("2020-06-23", "3.7", "1.15"),
    ("2020-07-23", "3.7", "1.16"),
    ("2021-01-13", "3.7", "1.17"),
    ("2021-07-26", "3.7", "1.18"),
    ("2021-12-22", "3.7", "1.19"),
    ("2021-12-26", "3.8", "1.19"),
    ("2022-06-21", "3.8", "1.20"),
    ("2023-01-31", "3.8", "1.21"),
    ("2023-04-14", "3.9", "1.21"),
    ("2023-06-23", "3.9", "1.22"),
    ("2024-01-01", "3.9", "1.23"),
    ("2024-04-05", "3.10", "1.23"),
    ("2024-06-22", "3.10", "1.24"),
    ("2024-12-18", "3.10", "1.25"),
    ("2025-04-04", "3.11", "1.25"),
]


@pytest.mark.parametrize(("day", "python", "numpy"), NEP29_TABLE)
def test_nep29_matches_the_published_support_table(day: str, python: str, numpy: str) -> None:
    window = support_window("nep29", D(day))
    assert window.python.minimum == python
    assert window.packages["numpy"].minimum == numpy
    # the day before, the previous minimum still held for whichever changed
    before = support_window("nep29", D(day) - dt.timedelta(days=1))
    assert (before.python.minimum, before.packages["numpy"].minimum) != (python, numpy)


def test_nep29_drop_dates_are_the_published_ones() -> None:
    window = support_window("nep29", D("2022-01-01"))
    assert window.python.drop_dates["3.8"] == D("2023-04-14")
    assert window.python.drop_dates["3.9"] == D("2024-04-05")
    assert window.packages["numpy"].drop_dates["1.19"] == D("2022-06-21")
    assert window.packages["numpy"].drop_dates["1.22"] == D("2024-01-01")
    assert set(window.packages) == {"numpy"}


def test_nep29_keeps_at_least_three_numpy_and_two_python_minors() -> None:
    releases = {
        "python": {"3.1": D("2009-06-27"), "3.2": D("2011-02-20"), "3.3": D("2012-09-29")},
        "numpy": {
            "1.1": D("2008-05-29"),
            "1.2": D("2008-09-01"),
            "1.3": D("2009-04-05"),
            "1.4": D("2010-04-22"),
        },
    }
    window = support_window("nep29", D("2020-01-01"), releases=releases)
    assert window.python.supported == ("3.2", "3.3")
    assert window.packages["numpy"].supported == ("1.2", "1.3", "1.4")
    # SPEC 0 has no count floor beyond the newest release
    spec = support_window("spec0", D("2020-01-01"), releases=releases)
    assert spec.python.supported == ("3.3",)


# SPEC 0's chart: release + 365*3 days for Python, + 365*2 days for core packages
SPEC0_DROPS = [
    ("python", "3.10", "2024-10-03"),
    ("python", "3.11", "2025-10-23"),
    ("python", "3.12", "2026-10-01"),
    ("numpy", "1.26", "2025-09-15"),
    ("numpy", "2.0", "2026-06-16"),
    ("numpy", "2.1", "2026-08-18"),
    ("scipy", "1.12", "2026-01-19"),
    ("scipy", "1.13", "2026-04-02"),
    ("matplotlib", "3.9", "2026-05-15"),
    ("pandas", "2.2", "2026-01-19"),
    ("scikit-learn", "1.5", "2026-05-21"),
    ("networkx", "3.3", "2026-04-06"),
    ("scikit-image", "0.24", "2026-06-18"),
    ("zarr", "2.18", "2026-05-07"),
]


@pytest.mark.parametrize(("project", "version", "drop"), SPEC0_DROPS)
def test_spec0_drop_dates_match_the_published_chart(project: str, version: str, drop: str) -> None:
    before = support_window("spec0", D(drop) - dt.timedelta(days=1))
    window = before.python if project == "python" else before.packages[project]
    assert version in window.supported
    assert window.drop_dates[version] == D(drop)
    after = support_window("spec0", D(drop))
    window = after.python if project == "python" else after.packages[project]
    assert version not in window.supported


def test_spec0_quarters_follow_the_published_schedule() -> None:
    window = support_window("spec0", D("2025-01-01"))
    # "2025 - Quarter 4: python 3.11"; "2026 - Quarter 2: numpy 2.0.0"
    assert window.python.drop_quarters["3.11"] == "2025-Q4"
    assert window.packages["numpy"].drop_quarters["2.0"] == "2026-Q2"
    assert window.packages["numpy"].drop_quarters["2.2"] == "2026-Q4"


def test_spec0_covers_the_core_packages() -> None:
    window = support_window("spec0", D("2026-11-21"))
    assert window.python.minimum == "3.13"
    assert window.python.supported == ("3.13", "3.14")
    assert window.packages["numpy"].minimum == "2.2"
    assert window.packages["scipy"].minimum == "1.15"
    assert window.packages["pandas"].minimum == "2.3"
    assert {"numpy", "scipy", "matplotlib", "pandas", "scikit-learn", "networkx"} <= set(
        window.packages
    )


def test_bundled_table_is_ordered_and_recent() -> None:
    for project, versions in RELEASES.items():
        dates = [versions[v] for v in sorted(versions, key=lambda s: tuple(map(int, s.split("."))))]
        assert dates == sorted(dates), project
    assert RELEASES["python"]["3.14"] == D("2025-10-07")
    assert set(POLICIES) == {"nep29", "spec0"}


def test_bad_policy_and_date_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="unknown support policy"):
        support_window("nep30", D("2025-01-01"))
    with pytest.raises(UsageError, match="is not a date") as info:
        parse_date("21/11/2026")
    assert info.value.hint == "write dates as YYYY-MM-DD"


def test_support_cli_json_has_the_documented_shape(tmp_path: Path) -> None:
    out = run_relman("support", "--date", "2024-06-22", "--policy", "nep29", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["date"] == "2024-06-22"
    assert data["policy"] == "nep29"
    assert data["python"]["minimum"] == "3.10"
    assert data["python"]["supported"] == ["3.10", "3.11", "3.12"]
    assert data["python"]["drop_dates"]["3.10"] == "2025-04-04"
    assert data["packages"]["numpy"]["minimum"] == "1.24"
    assert list(data["packages"]) == ["numpy"]


def test_support_cli_table_and_errors(tmp_path: Path) -> None:
    out = run_relman("support", "--date", "2025-10-23", "--policy", "spec0", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "SPEC 0 on 2025-10-23" in out.stdout
    assert "3.12 on 2026-10-01" in out.stdout
    assert "python (" not in out.stderr  # the Python list is complete on that date
    late = run_relman("support", "--date", "2027-01-01", "--policy", "nep29", cwd=tmp_path)
    assert "note: the bundled table may miss newer releases of python (2026-06-21)" in late.stderr
    bad = run_relman("support", "--date", "yesterday", cwd=tmp_path)
    assert bad.returncode == 2
    assert "YYYY-MM-DD" in bad.stderr


class _Index(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, object]] = {}

    def do_GET(self) -> None:
        page = self.pages.get(self.path)
        if page is None:
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps(page).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def index_server() -> Iterator[str]:
    files = [
        {"filename": "numpy-2.6.0rc1.tar.gz", "upload-time": "2026-11-01T10:00:00.000000Z"},
        {
            "filename": "numpy-2.6.0-cp313-cp313-manylinux_2_28_x86_64.whl",
            "upload-time": "2026-12-05T10:00:00.000000Z",
        },
        {"filename": "numpy-2.6.0.tar.gz", "upload-time": "2026-12-06T10:00:00Z"},
        {"filename": "numpy-2.6.1.tar.gz", "upload-time": "2027-01-06T10:00:00Z"},
        {"filename": "numpy-2.5.0.tar.gz", "upload-time": "2026-06-21T18:00:00Z"},
        {"filename": "numpy-2.5.0.tar.gz.asc"},
    ]
    _Index.pages = {"/simple/numpy/": {"meta": {"api-version": "1.1"}, "files": files}}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Index)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/simple/"
    finally:
        server.shutdown()
        server.server_close()


def test_releases_from_a_pep691_index(index_server: str) -> None:
    found = releases_from_index(index_server, ["numpy", "scipy"])
    assert found == {"numpy": {"2.5": D("2026-06-21"), "2.6": D("2026-12-05")}}
    merged = merge_releases(RELEASES, found)
    window = support_window("spec0", D("2027-01-01"), releases=merged)
    assert window.packages["numpy"].supported[-1] == "2.6"


def test_support_cli_refreshes_from_an_index(index_server: str, tmp_path: Path) -> None:
    out = run_relman(
        "support", "--date", "2027-01-01", "--index-url", index_server, "--json", cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert "2.6" in json.loads(out.stdout)["packages"]["numpy"]["supported"]


def test_unreachable_index_is_a_remote_error() -> None:
    with pytest.raises(RemoteError, match="reading"):
        releases_from_index("http://127.0.0.1:9/simple/", ["numpy"], timeout=2)
