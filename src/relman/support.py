"""NEP 29 and SPEC 0 support windows, computed from a bundled table of release dates.

Both policies anchor each feature release (Python 3.12.0, NumPy 2.1.0) on the
date of its first final upload and give it a fixed support window; a version
is dropped on ``release + window`` and the *minimum* for a date is the oldest
version whose window has not closed. The windows are computed exactly as the
scripts that generate the policies' own published tables do:

=======  ==============================  ===========================================
policy   Python                          packages
=======  ==============================  ===========================================
nep29    42 months (``365*3.5 + 1`` =    NumPy only, 24 months (``365*2 + 1`` = 731
         1278 days), at least the two    days), at least the last three minor
         latest minor versions           versions
spec0    3 years (``365*3`` = 1095 days)  core packages (numpy, scipy, matplotlib,
                                         pandas, scikit-image, networkx,
                                         scikit-learn, xarray, ipython, zarr),
                                         2 years (``365*2`` = 730 days)
=======  ==============================  ===========================================

On its drop date a version is no longer supported (NEP 29: "On Jan 07, 2020
drop support for NumPy 1.14"). SPEC 0's schedule groups the drop dates by
calendar quarter; :attr:`Window.drop_quarters` gives that grouping.

The bundled table (:data:`RELEASES`, complete up to :data:`TABLE_DATE` for the
releases it lists) can be extended with :func:`releases_from_index`, which reads
a package index's PEP 691 JSON pages and takes the earliest upload time of
each ``X.Y.0`` file, as SPEC 0's script does.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from relman.errors import RemoteError, UsageError

__all__ = [
    "COMPLETE_UNTIL",
    "CORE_PACKAGES",
    "POLICIES",
    "PYTHON_END_OF_LIFE",
    "RELEASES",
    "TABLE_DATE",
    "Policy",
    "SupportWindow",
    "Window",
    "maintained_pythons",
    "merge_releases",
    "parse_date",
    "releases_from_index",
    "support_window",
]

TABLE_DATE = _dt.date(2026, 6, 21)
"""The date of the newest entry of the bundled table."""

COMPLETE_UNTIL: dict[str, _dt.date] = {
    "python": _dt.date(2026, 6, 21),
    "numpy": _dt.date(2026, 6, 21),
    "scipy": _dt.date(2025, 12, 31),
    "matplotlib": _dt.date(2025, 6, 30),
    "pandas": _dt.date(2026, 6, 30),
    "scikit-learn": _dt.date(2025, 11, 30),
    "scikit-image": _dt.date(2025, 12, 20),
    "networkx": _dt.date(2025, 10, 31),
    "zarr": _dt.date(2025, 6, 30),
}
"""Up to which date the bundled table lists every feature release of each project.

A window computed for a later date may miss newer releases (its minimum is
still right as long as the minimum itself was released before this date);
refresh from an index with :func:`releases_from_index` to fill them in.
"""


def _d(text: str) -> _dt.date:
    return _dt.date.fromisoformat(text)


# Dates of the first final release of each minor version (X.Y.0).
# CPython: python.org release dates. Packages: first upload of X.Y.0 to the public
# index (the dates SPEC 0's and NEP 29's tables use).
RELEASES: dict[str, dict[str, _dt.date]] = {
    "python": {
        "3.5": _d("2015-09-13"),
        "3.6": _d("2016-12-23"),
        "3.7": _d("2018-06-27"),
        "3.8": _d("2019-10-14"),
        "3.9": _d("2020-10-05"),
        "3.10": _d("2021-10-04"),
        "3.11": _d("2022-10-24"),
        "3.12": _d("2023-10-02"),
        "3.13": _d("2024-10-07"),
        "3.14": _d("2025-10-07"),
    },
    "numpy": {
        "1.12": _d("2017-01-15"),
        "1.13": _d("2017-06-07"),
        "1.14": _d("2018-01-06"),
        "1.15": _d("2018-07-23"),
        "1.16": _d("2019-01-13"),
        "1.17": _d("2019-07-26"),
        "1.18": _d("2019-12-22"),
        "1.19": _d("2020-06-20"),
        "1.20": _d("2021-01-30"),
        "1.21": _d("2021-06-22"),
        "1.22": _d("2021-12-31"),
        "1.23": _d("2022-06-22"),
        "1.24": _d("2022-12-18"),
        "1.25": _d("2023-06-17"),
        "1.26": _d("2023-09-16"),
        "2.0": _d("2024-06-16"),
        "2.1": _d("2024-08-18"),
        "2.2": _d("2024-12-08"),
        "2.3": _d("2025-06-07"),
        "2.4": _d("2025-12-20"),
        "2.5": _d("2026-06-21"),
    },
    "scipy": {
        "1.3": _d("2019-05-17"),
        "1.4": _d("2019-12-16"),
        "1.5": _d("2020-06-21"),
        "1.6": _d("2020-12-31"),
        "1.7": _d("2021-06-20"),
        "1.8": _d("2022-02-05"),
        "1.9": _d("2022-07-29"),
        "1.10": _d("2023-01-03"),
        "1.11": _d("2023-06-25"),
        "1.12": _d("2024-01-20"),
        "1.13": _d("2024-04-02"),
        "1.14": _d("2024-06-24"),
        "1.15": _d("2025-01-03"),
        "1.16": _d("2025-06-22"),
    },
    "matplotlib": {
        "3.1": _d("2019-05-18"),
        "3.2": _d("2020-03-04"),
        "3.3": _d("2020-07-16"),
        "3.4": _d("2021-03-26"),
        "3.5": _d("2021-11-16"),
        "3.6": _d("2022-09-16"),
        "3.7": _d("2023-02-13"),
        "3.8": _d("2023-09-15"),
        "3.9": _d("2024-05-15"),
        "3.10": _d("2024-12-14"),
    },
    "pandas": {
        "1.0": _d("2020-01-29"),
        "1.1": _d("2020-07-28"),
        "1.2": _d("2020-12-26"),
        "1.3": _d("2021-07-02"),
        "1.4": _d("2022-01-22"),
        "1.5": _d("2022-09-19"),
        "2.0": _d("2023-04-03"),
        "2.1": _d("2023-08-30"),
        "2.2": _d("2024-01-20"),
        "2.3": _d("2025-06-05"),
        "3.0": _d("2026-01-21"),
    },
    "scikit-learn": {
        "1.0": _d("2021-09-24"),
        "1.1": _d("2022-05-12"),
        "1.2": _d("2022-12-08"),
        "1.3": _d("2023-06-30"),
        "1.4": _d("2024-01-18"),
        "1.5": _d("2024-05-21"),
        "1.6": _d("2024-12-09"),
        "1.7": _d("2025-06-05"),
    },
    "scikit-image": {
        "0.19": _d("2021-12-03"),
        "0.20": _d("2023-02-28"),
        "0.21": _d("2023-06-02"),
        "0.22": _d("2023-10-03"),
        "0.23": _d("2024-04-10"),
        "0.24": _d("2024-06-18"),
        "0.25": _d("2024-12-13"),
        "0.26": _d("2025-12-20"),
    },
    "networkx": {
        "2.6": _d("2021-07-08"),
        "2.7": _d("2022-02-28"),
        "2.8": _d("2022-04-09"),
        "3.0": _d("2023-01-08"),
        "3.1": _d("2023-04-04"),
        "3.2": _d("2023-10-19"),
        "3.3": _d("2024-04-06"),
        "3.4": _d("2024-10-10"),
        "3.5": _d("2025-05-29"),
    },
    "zarr": {
        "2.11": _d("2022-02-07"),
        "2.12": _d("2022-06-23"),
        "2.13": _d("2022-09-22"),
        "2.14": _d("2023-02-10"),
        "2.15": _d("2023-06-14"),
        "2.16": _d("2023-07-20"),
        "2.17": _d("2024-02-14"),
        "2.18": _d("2024-05-07"),
        "3.0": _d("2025-01-09"),
    },
}

# End of life of each CPython minor version upstream (the devguide's status page:
# five years of bug-fix and security releases after X.Y.0; month-end when only the
# month is announced).
PYTHON_END_OF_LIFE: dict[str, _dt.date] = {
    "3.5": _d("2020-09-30"),
    "3.6": _d("2021-12-23"),
    "3.7": _d("2023-06-27"),
    "3.8": _d("2024-10-07"),
    "3.9": _d("2025-10-31"),
    "3.10": _d("2026-10-31"),
    "3.11": _d("2027-10-31"),
    "3.12": _d("2028-10-31"),
    "3.13": _d("2029-10-31"),
    "3.14": _d("2030-10-31"),
}


def maintained_pythons(on: _dt.date) -> tuple[str, ...]:
    """The CPython minor versions released and still maintained upstream on ``on``."""
    released = RELEASES["python"]
    return tuple(
        v
        for v in sorted(PYTHON_END_OF_LIFE, key=lambda x: tuple(map(int, x.split("."))))
        if released.get(v, _dt.date.max) <= on < PYTHON_END_OF_LIFE[v]
    )


CORE_PACKAGES = (
    "numpy",
    "scipy",
    "matplotlib",
    "pandas",
    "scikit-image",
    "networkx",
    "scikit-learn",
    "xarray",
    "ipython",
    "zarr",
)


@dataclass(frozen=True, kw_only=True)
class Policy:
    name: str
    title: str
    python_days: int
    package_days: int
    python_minimum_count: int
    package_minimum_count: int
    packages: tuple[str, ...]


POLICIES: dict[str, Policy] = {
    "nep29": Policy(
        name="nep29",
        title="NEP 29",
        python_days=int(365 * 3.5 + 1),
        package_days=365 * 2 + 1,
        python_minimum_count=2,
        package_minimum_count=3,
        packages=("numpy",),
    ),
    "spec0": Policy(
        name="spec0",
        title="SPEC 0",
        python_days=365 * 3,
        package_days=365 * 2,
        python_minimum_count=1,
        package_minimum_count=1,
        packages=CORE_PACKAGES,
    ),
}


@dataclass(frozen=True)
class Window:
    """What to support of one project (Python or a package) on one date."""

    project: str
    minimum: str | None
    supported: tuple[str, ...]
    drop_dates: Mapping[str, _dt.date]
    released: Mapping[str, _dt.date] = field(default_factory=dict)
    complete_until: _dt.date | None = None

    @property
    def may_miss_releases(self) -> bool:
        """True when the window's date is past what the table is known to cover."""
        return self.complete_until is not None and self.complete_until < self._on

    _on: _dt.date = field(default=_dt.date.min, repr=False)

    @property
    def drop_quarters(self) -> dict[str, str]:
        """SPEC 0's grouping of the drop dates: ``{"3.12": "2026-Q4"}``."""
        return {v: f"{d.year}-Q{(d.month - 1) // 3 + 1}" for v, d in self.drop_dates.items()}

    def as_dict(self) -> dict[str, Any]:
        return {
            "minimum": self.minimum,
            "supported": list(self.supported),
            "drop_dates": {v: d.isoformat() for v, d in self.drop_dates.items()},
            "released": {v: d.isoformat() for v, d in self.released.items()},
            "complete_until": self.complete_until.isoformat() if self.complete_until else None,
        }


@dataclass(frozen=True)
class SupportWindow:
    date: _dt.date
    policy: Policy
    python: Window
    packages: Mapping[str, Window]

    def as_dict(self) -> dict[str, Any]:
        """The shape of ``relman support --json``."""
        return {
            "date": self.date.isoformat(),
            "policy": self.policy.name,
            "python": self.python.as_dict(),
            "packages": {name: w.as_dict() for name, w in self.packages.items()},
        }


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def _window(
    project: str,
    releases: Mapping[str, _dt.date],
    on: _dt.date,
    days: int,
    min_count: int,
    complete_until: _dt.date | None,
) -> Window:
    released = sorted(
        ((v, d) for v, d in releases.items() if d <= on), key=lambda item: _key(item[0])
    )
    delta = _dt.timedelta(days=days)
    supported = [v for v, d in released if on < d + delta]
    if len(supported) < min_count:
        # the policy's floor: the latest N minor versions, even when older than the window
        supported = [v for v, _ in released[-min_count:]]
    drop = {v: releases[v] + delta for v in supported}
    return Window(
        project=project,
        minimum=supported[0] if supported else None,
        supported=tuple(supported),
        drop_dates=drop,
        released={v: releases[v] for v in supported},
        complete_until=complete_until,
        _on=on,
    )


def support_window(
    policy: str | Policy,
    on: _dt.date | None = None,
    *,
    releases: Mapping[str, Mapping[str, _dt.date]] | None = None,
    complete_until: Mapping[str, _dt.date] | None = None,
) -> SupportWindow:
    """What ``policy`` says to support on date ``on`` (default: today).

    ``releases`` replaces the bundled table; ``complete_until`` says up to
    which date each of its projects is known to be complete (default: the
    bundled table's :data:`COMPLETE_UNTIL`, nothing for another table).
    """
    pol = _policy(policy)
    day = on or _dt.date.today()
    table = RELEASES if releases is None else releases
    if complete_until is not None:
        known: Mapping[str, _dt.date] = complete_until
    else:
        known = COMPLETE_UNTIL if releases is None else {}
    python = _window(
        "python",
        table.get("python", {}),
        day,
        pol.python_days,
        pol.python_minimum_count,
        known.get("python"),
    )
    packages = {
        name: _window(
            name, table[name], day, pol.package_days, pol.package_minimum_count, known.get(name)
        )
        for name in pol.packages
        if table.get(name)
    }
    return SupportWindow(day, pol, python, packages)


def _policy(policy: str | Policy) -> Policy:
    if isinstance(policy, Policy):
        return policy
    try:
        return POLICIES[policy.lower().replace(" ", "").replace("-", "").replace("_", "")]
    except KeyError:
        raise UsageError(
            f"unknown support policy {policy!r}", hint="choose one of: " + ", ".join(POLICIES)
        ) from None


def parse_date(text: str) -> _dt.date:
    """A ``YYYY-MM-DD`` date, or :class:`UsageError`."""
    try:
        return _dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{text!r} is not a date", hint="write dates as YYYY-MM-DD") from None


def merge_releases(
    *tables: Mapping[str, Mapping[str, _dt.date]],
) -> dict[str, dict[str, _dt.date]]:
    """Later tables win for the same project and version."""
    out: dict[str, dict[str, _dt.date]] = {}
    for table in tables:
        for project, versions in table.items():
            out.setdefault(project, {}).update(versions)
    return out


def releases_from_index(
    index_url: str,
    packages: Sequence[str],
    *,
    timeout: float = 30.0,
    transport: Any = None,
) -> dict[str, dict[str, _dt.date]]:
    """Feature-release dates of ``packages`` from a PEP 691 simple index.

    Each ``X.Y.0`` final release is dated by the earliest ``upload-time`` of
    its files. Indexes that do not serve upload times give no dates.
    """
    import httpx
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import Version

    base = index_url.rstrip("/")
    out: dict[str, dict[str, _dt.date]] = {}
    with httpx.Client(timeout=timeout, transport=transport, follow_redirects=True) as client:
        for package in packages:
            url = f"{base}/{canonicalize_name(package)}/"
            try:
                response = client.get(
                    url, headers={"Accept": "application/vnd.pypi.simple.v1+json"}
                )
            except httpx.HTTPError as exc:
                raise RemoteError(
                    f"reading {url} failed: {type(exc).__name__}: {exc}",
                    hint="check the network, or run without --index-url to use the bundled table",
                ) from None
            if response.status_code == 404:
                continue
            if response.status_code >= 400:
                raise RemoteError(f"reading {url} failed: HTTP {response.status_code}")
            try:
                files = response.json().get("files", [])
            except ValueError:
                raise RemoteError(
                    f"{url} did not answer with PEP 691 JSON",
                    hint="use an index that serves application/vnd.pypi.simple.v1+json",
                ) from None
            dates: dict[str, _dt.date] = {}
            for item in files:
                name = str(item.get("filename", ""))
                upload = item.get("upload-time")
                if not upload:
                    continue
                try:
                    version: Version = (
                        parse_wheel_filename(name)[1]
                        if name.endswith(".whl")
                        else parse_sdist_filename(name)[1]
                    )
                except (InvalidWheelFilename, InvalidSdistFilename):
                    continue
                if version.is_prerelease or version.is_devrelease or version.micro != 0:
                    continue
                minor = f"{version.major}.{version.minor}"
                day = _dt.datetime.fromisoformat(str(upload).replace("Z", "+00:00")).date()
                if minor not in dates or day < dates[minor]:
                    dates[minor] = day
            if dates:
                out[package if package == "python" else str(canonicalize_name(package))] = dates
    return out
