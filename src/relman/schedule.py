"""The release schedule of a feature release: branch cut, betas, release candidates, final.

``propose_schedule("2.3", start=..., betas=1, rcs=2, gap=7)`` spaces the
events at least ``gap`` days (one week or more) apart and moves any that
falls on a weekend to the Monday after, as seed 000 agrees on "one beta, two
release candidates and a final" and PEP 101's schedule PEPs list them. The
schedule is written three ways, next to each other: Markdown (the file named
by ``release.schedule-file``, ``{series}`` filled in), an iCalendar file (same
stem, ``.ics``, made with the icalendar library) and a proposal e-mail from
the ``schedule-email.txt.j2`` template (same stem, ``-email.txt``).
:func:`next_event` reads the ``.ics`` back for ``relman status``.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relman import _atomic
from relman._regex import LazyPattern
from relman.errors import UsageError

if TYPE_CHECKING:
    from relman.config import Config

__all__ = [
    "Event",
    "Schedule",
    "next_event",
    "parse_gap",
    "propose_schedule",
    "schedule_paths",
    "write_schedule",
]

_GAP = LazyPattern(r"^\s*(\d+)\s*([dw])\s*$", re.I)


@dataclass(frozen=True)
class Event:
    date: _dt.date
    kind: str  # branch-cut, beta, rc, final
    version: str | None
    title: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "kind": self.kind,
            "version": self.version,
            "title": self.title,
        }


@dataclass(frozen=True)
class Schedule:
    name: str
    series: str
    branch: str
    betas: int
    rcs: int
    gap_days: int
    events: tuple[Event, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "series": self.series,
            "branch": self.branch,
            "gap_days": self.gap_days,
            "events": [e.as_dict() for e in self.events],
        }


def parse_gap(text: str) -> int:
    """``1w``, ``10d``, ``2w`` as days; at least a week."""
    m = _GAP.match(text)
    if not m:
        raise UsageError(f"{text!r} is not a gap", hint="write it like 1w, 2w or 10d")
    days = int(m.group(1)) * (7 if m.group(2).lower() == "w" else 1)
    if days < 7:
        raise UsageError(
            f"a gap of {days} days is too short", hint="leave at least a week (1w) between events"
        )
    return days


def _weekday(day: _dt.date) -> _dt.date:
    while day.weekday() >= 5:  # Saturday, Sunday -> Monday
        day += _dt.timedelta(days=1)
    return day


def propose_schedule(
    name: str,
    series: str,
    *,
    start: _dt.date,
    betas: int = 1,
    rcs: int = 2,
    gap: int = 7,
    branch: str | None = None,
) -> Schedule:
    """The dates of ``series`` (``X.Y``) from ``start`` on."""
    if not re.fullmatch(r"\d+\.\d+", series):
        raise UsageError(f"{series!r} is not a feature release X.Y", hint="relman schedule 2.3")
    if betas < 0 or rcs < 0:
        raise UsageError("--betas and --rcs cannot be negative")
    if gap < 7:
        raise UsageError(
            f"a gap of {gap} days is too short", hint="leave at least a week between events"
        )
    branch = branch or f"maintenance/{series}.x"
    steps: list[tuple[str, str | None, str]] = [
        ("branch-cut", None, f"branch cut: {branch} created")
    ]
    steps += [("beta", f"{series}.0b{n}", f"{series}.0b{n}") for n in range(1, betas + 1)]
    steps += [("rc", f"{series}.0rc{n}", f"{series}.0rc{n}") for n in range(1, rcs + 1)]
    steps.append(("final", f"{series}.0", f"{series}.0 final"))
    events: list[Event] = []
    day = _weekday(start)
    for kind, version, title in steps:
        if events:
            day = _weekday(events[-1].date + _dt.timedelta(days=gap))
        events.append(Event(day, kind, version, title))
    return Schedule(name, series, branch, betas, rcs, gap, tuple(events))


def schedule_paths(config: Config, series: str) -> tuple[Path, Path, Path]:
    """The Markdown, iCalendar and e-mail files of ``series``' schedule."""
    md = config.project_dir / config.release.schedule_file.format(series=series)
    return md, md.with_suffix(".ics"), md.with_name(md.stem + "-email.txt")


def render_markdown(schedule: Schedule) -> str:
    lines = [
        f"# {schedule.name} {schedule.series} release schedule",
        "",
        "| date | event |",
        "| --- | --- |",
    ]
    lines += [f"| {e.date.strftime('%a %Y-%m-%d')} | {e.title} |" for e in schedule.events]
    return "\n".join(lines) + "\n"


def render_ics(schedule: Schedule) -> bytes:
    """An iCalendar file with one all-day event per date."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//relman//release schedule//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{schedule.name} {schedule.series} releases")
    for e in schedule.events:
        event = icalendar.Event()
        event.add("uid", f"{schedule.name}-{schedule.series}-{e.kind}-{e.version or 'cut'}@relman")
        event.add("summary", f"{schedule.name} {e.title}")
        event.add("dtstart", e.date)
        event.add("dtend", e.date + _dt.timedelta(days=1))
        event.add("dtstamp", _dt.datetime.combine(e.date, _dt.time(), tzinfo=_dt.timezone.utc))
        event.add("categories", [e.kind])
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data


def render_email(schedule: Schedule) -> str:
    import jinja2

    source = (Path(__file__).parent / "templates" / "schedule-email.txt.j2").read_text(
        encoding="utf-8"
    )
    env = jinja2.Environment(
        keep_trailing_newline=True, trim_blocks=True, undefined=jinja2.StrictUndefined
    )
    return env.from_string(source).render(
        name=schedule.name,
        series=schedule.series,
        branch=schedule.branch,
        betas=schedule.betas,
        rcs=schedule.rcs,
        gap_days=schedule.gap_days,
        events=schedule.events,
    )


def write_schedule(config: Config, schedule: Schedule) -> tuple[Path, Path, Path]:
    """Write the Markdown, iCalendar and e-mail files; returns their paths."""
    md, ics, email = schedule_paths(config, schedule.series)
    md.parent.mkdir(parents=True, exist_ok=True)
    _atomic.write_text(md, render_markdown(schedule))
    _atomic.write_bytes(ics, render_ics(schedule))
    _atomic.write_text(email, render_email(schedule))
    return md, ics, email


def next_event(config: Config, on: _dt.date) -> dict[str, Any] | None:
    """The first scheduled event on or after ``on`` in any written ``.ics``, or None."""
    import icalendar

    pattern = config.release.schedule_file.format(series="*")
    found: list[tuple[_dt.date, str, str]] = []
    for md in sorted(config.project_dir.glob(pattern)):
        ics = md.with_suffix(".ics")
        if not ics.is_file():
            continue
        cal = icalendar.Calendar.from_ical(ics.read_bytes())
        for event in cal.walk("VEVENT"):
            day = event.decoded("dtstart")
            if isinstance(day, _dt.datetime):
                day = day.date()
            if day >= on:
                found.append((day, str(event.get("summary")), str(ics)))
    if not found:
        return None
    day, summary, path = min(found)
    return {"date": day.isoformat(), "event": summary, "file": path}
