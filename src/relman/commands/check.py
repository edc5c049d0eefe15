"""`relman check` and `relman support`."""

from __future__ import annotations

from typing import Any

import click

from relman.commands._common import echo, emit, get_state, global_options, message, table


def _ids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(p.strip() for p in value.split(",") if p.strip())


@click.command()
@click.option(
    "--version", "version", metavar="VERSION", help="Release version (default: the tree's)."
)
@click.option(
    "--kind",
    metavar="KIND",
    help="Release kind: alpha, beta, rc, final, bug-fix, new-branch, security, end-of-life "
    "(default: from the version).",
)
@click.option("--only", metavar="ID,...", help="Run only these checks.")
@click.option("--skip", metavar="ID,...", help="Leave these checks out.")
@click.option("--date", "date_", metavar="YYYY-MM-DD", help="Release date (default: today).")
@click.option("--list", "list_", is_flag=True, help="List the checks and exit.")
@global_options(dry_run=False)
def check(
    version: str | None,
    kind: str | None,
    only: str | None,
    skip: str | None,
    date_: str | None,
    list_: bool,
) -> None:
    """Preflight checks before a release; exit 1 when any error-level finding.

    Checks: git, version, notes, deprecations, capi, copyright, support,
    numpy-deps, blockers. Configure them in [tool.relman.checks]
    (disable = [...], severity = {id = "warning"}).
    """
    from relman.checks import list_checks, run_checks
    from relman.support import parse_date

    if list_:
        checks = list_checks()
        emit(
            [
                {
                    "id": c.id,
                    "description": c.description,
                    "severity": c.severity,
                    "kinds": list(c.kinds),
                }
                for c in checks
            ],
            lambda: table(
                ("id", "severity", "kinds", "description"),
                [(c.id, c.severity, ",".join(c.kinds), c.description) for c in checks],
            ),
        )
        return
    from relman import _cache
    from relman.git import reading

    _cache.allow_writes()  # an unchanged tree is checked again in well under a second
    with reading():  # a read-only command: each git question asked once
        config = get_state().config()
        report = run_checks(
            config,
            version=version,
            kind=kind,
            only=_ids(only),
            skip=_ids(skip),
            date=parse_date(date_) if date_ else None,
        )

    def render() -> None:
        head = f"checks for {report.version or '(no version)'} ({report.kind}, {report.date})"
        echo(head)
        for r in report.results:
            mark = {"passed": "ok", "failed": "FAIL", "warning": "warn", "skipped": "skip"}[
                r.status
            ]
            extra = f"  ({r.reason})" if r.reason else ""
            echo(f"  [{mark:>4}] {r.id}{extra}")
            for f in r.findings:
                where = f.location()
                echo(f"         {f.severity}: {where + ': ' if where else ''}{f.message}")
                if f.hint:
                    echo(f"           hint: {f.hint}")

    emit(report.as_dict(), render)
    report.raise_for_errors()
    if not get_state().json:
        skipped = len(report.skipped)
        message(
            f"all checks passed ({len(report.warnings)} warnings"
            + (f", {skipped} skipped" if skipped else "")
            + ")"
        )


@click.command()
@click.option("--date", "date_", metavar="YYYY-MM-DD", help="Release date (default: today).")
@click.option(
    "--policy",
    type=click.Choice(["nep29", "spec0"]),
    default=None,
    help="Support policy (default: checks.support-policy, spec0).",
)
@click.option(
    "--index-url",
    metavar="URL",
    help="Refresh the release dates from this PEP 691 simple index (online).",
)
@global_options(dry_run=False)
def support(date_: str | None, policy: str | None, index_url: str | None) -> None:
    """NEP 29 / SPEC 0: the Python and package versions to support on a date."""
    import datetime as dt

    from relman.support import (
        COMPLETE_UNTIL,
        POLICIES,
        RELEASES,
        merge_releases,
        parse_date,
        releases_from_index,
        support_window,
    )

    state = get_state()
    if policy is None:
        try:
            policy = state.config().checks.support_policy
        except Exception:
            policy = "spec0"
    day = parse_date(date_) if date_ else dt.date.today()
    releases: Any = None
    known: Any = None
    if index_url:
        fresh = releases_from_index(index_url, POLICIES[policy].packages)
        releases = merge_releases(RELEASES, fresh)
        known = {**COMPLETE_UNTIL, **{name: dt.date.today() for name in fresh}}
    window = support_window(policy, day, releases=releases, complete_until=known)
    data = window.as_dict()

    def render() -> None:
        echo(f"{window.policy.title} on {day}:")
        rows = []
        for name, w in [("python", window.python), *window.packages.items()]:
            drops = ", ".join(f"{v} on {d}" for v, d in w.drop_dates.items())
            rows.append((name, w.minimum or "-", " ".join(w.supported), drops))
        table(("project", "minimum", "supported", "drop dates"), rows)
        stale = [
            f"{n} ({w.complete_until})"
            for n, w in [("python", window.python), *window.packages.items()]
            if w.may_miss_releases
        ]
        if stale:
            message(
                "note: the bundled table may miss newer releases of "
                + ", ".join(stale)
                + "; pass --index-url to refresh"
            )

    emit(data, render)
