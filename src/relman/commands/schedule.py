"""`relman schedule X.Y`: propose the dates of a feature release and write them down."""

from __future__ import annotations

import click

from relman.commands._common import emit, get_state, global_options, message, table


@click.command()
@click.argument("series", metavar="X.Y")
@click.option("--start", metavar="YYYY-MM-DD", help="Date of the branch cut (default: today).")
@click.option("--betas", type=click.IntRange(min=0), default=1, show_default=True)
@click.option("--rcs", type=click.IntRange(min=0), default=2, show_default=True)
@click.option(
    "--gap", default="1w", show_default=True, help="Time between events (1w, 2w, 10d; >= 1w)."
)
@global_options()
def schedule(series: str, start: str | None, betas: int, rcs: int, gap: str) -> None:
    """Branch cut, betas, release candidates and final of X.Y, at least a week apart on weekdays.

    Prints the dates and writes them as Markdown (release.schedule-file), as an
    iCalendar file and as a proposal e-mail next to it; --dry-run only prints.
    """
    import datetime as _dt
    import re

    from relman.schedule import parse_gap, propose_schedule, schedule_paths, write_schedule
    from relman.support import parse_date

    state = get_state()
    config = state.config()
    days = parse_gap(gap)
    feature = re.fullmatch(r"\d+\.\d+", series) is not None
    proposed = propose_schedule(
        config.name,
        series,
        start=parse_date(start) if start else _dt.date.today(),
        betas=betas,
        rcs=rcs,
        gap=days,
        branch=config.maintenance_branch_for(f"{series}.0") if feature else None,
    )
    if state.dry_run:
        paths = schedule_paths(config, series)
        written = False
    else:
        paths = write_schedule(config, proposed)
        written = True
    data = {**proposed.as_dict(), "files": [str(p) for p in paths], "written": written}

    def render() -> None:
        table(
            ("date", "event"),
            [(e.date.strftime("%a %Y-%m-%d"), e.title) for e in proposed.events],
            title=f"{config.name} {series} release schedule",
        )
        verb = "wrote" if written else "would write"
        message(f"{verb} {', '.join(str(p) for p in paths)}")

    emit(data, render)
