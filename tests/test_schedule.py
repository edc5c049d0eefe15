"""`relman schedule`: the dates of a feature release, as Markdown, iCalendar and e-mail.

The project stands for a NumPy-style repository about to branch (main at
``2.3.0.dev0``), scheduling seed 000's "one beta, two release candidates and a
final".
"""

from __future__ import annotations

import datetime as _dt
import itertools
import json
from pathlib import Path

import icalendar

from tests.helpers import GitRepo, run_relman, snapshot


def _project(tmp_path: Path, extra: str = "") -> GitRepo:
    repo = GitRepo(tmp_path / "proj")
    repo.commit(
        "Initial import",
        {"pyproject.toml": f'[project]\nname = "demo"\nversion = "2.3.0.dev0"\n{extra}'},
    )
    return repo


def test_schedule_dates_weekdays_and_files(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    # 2026-12-05 is a Saturday: the branch cut moves to Monday; a 10-day gap lands
    # 2026-12-17 (Thu), 2026-12-27 (Sun -> Mon 28), 2027-01-07 (Thu), 2027-01-17 (Sun -> 18)
    out = run_relman(
        "schedule", "2.3", "--start", "2026-12-05", "--gap", "10d", "--json", cwd=repo.path
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    events = [(e["date"], e["title"]) for e in data["events"]]
    assert events == [
        ("2026-12-07", "branch cut: maintenance/2.3.x created"),
        ("2026-12-17", "2.3.0b1"),
        ("2026-12-28", "2.3.0rc1"),
        ("2027-01-07", "2.3.0rc2"),
        ("2027-01-18", "2.3.0 final"),
    ]
    days = [_dt.date.fromisoformat(d) for d, _ in events]
    assert all(d.weekday() < 5 for d in days)
    assert all((b - a).days >= 10 for a, b in itertools.pairwise(days))
    md_path, ics_path, email_path = (Path(p) for p in data["files"])
    assert md_path == repo.path / "doc" / "release" / "schedule-2.3.md"
    md = md_path.read_text()
    assert "| Thu 2026-12-17 | 2.3.0b1 |" in md and md.startswith("# demo 2.3 release schedule")
    # the calendar file parses back with the same dates, one all-day event each
    cal = icalendar.Calendar.from_ical(ics_path.read_bytes())
    assert str(cal["version"]) == "2.0" and cal["prodid"]
    parsed = sorted(
        (ev.decoded("dtstart"), str(ev["summary"]), ev.decoded("dtend"))
        for ev in cal.walk("VEVENT")
    )
    assert [(d, s) for d, s, _ in parsed] == [
        (d, f"demo {t}") for d, t in zip(days, [t for _, t in events], strict=True)
    ]
    assert all(end - start == _dt.timedelta(days=1) for start, _, end in parsed)
    assert len({str(ev["uid"]) for ev in cal.walk("VEVENT")}) == 5
    email = email_path.read_text()
    assert email.startswith("Subject: Proposed release schedule for demo 2.3\n")
    assert "1 beta, 2 release candidates and the final, at least 10 days apart" in email
    assert "- Mon 2027-01-18: 2.3.0 final" in email
    # status shows the next scheduled date
    status = run_relman("status", "--json", cwd=repo.path)
    assert status.returncode == 0, status.stderr
    upcoming = [d for d in days if d >= _dt.date.today()]
    nxt = json.loads(status.stdout)["next_scheduled"]
    if upcoming:
        assert nxt["date"] == upcoming[0].isoformat()
        assert nxt["file"] == str(ics_path)
    else:
        assert nxt is None
    text = run_relman("status", cwd=repo.path).stdout
    assert ("scheduled: " in text) == bool(upcoming)


def test_status_reads_the_configured_schedule_file(tmp_path: Path) -> None:
    repo = _project(tmp_path, '[tool.relman.release]\nschedule-file = "plans/{series}.md"\n')
    start = _dt.date.today() + _dt.timedelta(days=3)
    out = run_relman(
        "schedule", "2.3", "--start", start.isoformat(), "--betas", "0", "--rcs", "1", cwd=repo.path
    )
    assert out.returncode == 0, out.stderr
    assert (repo.path / "plans" / "2.3.ics").is_file()
    assert "branch cut" in out.stdout and "2.3.0rc1" in out.stdout and "b1" not in out.stdout
    nxt = json.loads(run_relman("status", "--json", cwd=repo.path).stdout)["next_scheduled"]
    expected = start
    while expected.weekday() >= 5:
        expected += _dt.timedelta(days=1)
    assert nxt["date"] == expected.isoformat()
    assert nxt["event"] == "demo branch cut: maintenance/2.3.x created"


def test_no_schedule_no_status_line(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    status = run_relman("status", "--json", cwd=repo.path)
    assert json.loads(status.stdout)["next_scheduled"] is None


def test_bad_input_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    before = snapshot(repo.path)
    for args, needle in [
        (("2.3", "--gap", "3d"), "a gap of 3 days is too short"),
        (("2.3", "--gap", "soon"), "'soon' is not a gap"),
        (("2.3.1",), "'2.3.1' is not a feature release X.Y"),
        (("2.3", "--start", "next week"), "'next week' is not a date"),
    ]:
        out = run_relman("schedule", *args, cwd=repo.path)
        assert out.returncode == 2, (args, out.stderr)
        assert needle in out.stderr
    dry = run_relman("schedule", "2.3", "--dry-run", cwd=repo.path)
    assert dry.returncode == 0 and "would write" in dry.stderr
    assert snapshot(repo.path) == before
