"""`relman publish DIR --to TARGET`: wheels in parallel, the sdist last, verified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from relman.commands._common import emit, get_state, global_options, message, table


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


@click.command()
@click.argument("folder", type=click.Path(path_type=Path), metavar="DIR")
@click.option(
    "--to",
    "to",
    default=None,
    help="local, a URL, a folder, pypi, testpypi or a ~/.pypirc name (default: publish.target).",
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Parallel uploads (default 8)."
)
@global_options()
def publish(folder: Path, to: str | None, workers: int | None) -> None:
    """Upload the wheels and sdist in DIR: wheels first, the sdist last, then verify.

    Files already on the index with the same sha256 are skipped, so an
    interrupted publish is simply run again. A file on the index with a
    different sha256 stops everything before any upload. Exit 0 only when
    every file is on the index with the right sha256.
    """
    from relman import index

    state = get_state()
    # everything it sends is sent and checked before it returns, and it writes only
    # through the reporter: the process may end without the interpreter's teardown
    state.done_at_once = True
    config = state.config()
    files = index.find_dist_files(folder)
    listing = None
    if state.early_publish is not None and state.early_publish[:2] == (to, folder):
        target, listing = state.early_publish[2:]  # started by the CLI for these arguments
    else:
        if state.early_publish is not None:
            state.early_publish[3].close()
        target = index.resolve_target(config, to)
    if state.dry_run:
        plan = index.plan_publish(config, files, target)

        def render_plan() -> None:
            table(
                ("file", "size", "plan"),
                [(f.filename, _size(f.size), f.action) for f in plan.files],
                title=f"publish to {target.name} (dry run)",
            )
            message(
                f"would upload {len(plan.uploads)}, skip {len(plan.skips)}"
                + (f"; {len(plan.conflicts)} conflict(s)" if plan.conflicts else "")
            )

        emit({"dry_run": True, **plan.as_dict()}, render_plan)
        if plan.conflicts:
            raise index.conflict_error(plan)
        return
    report = index.publish_files(config, files, target, workers=workers, listing=listing)
    data: dict[str, Any] = report.as_dict()
    data["install_url"] = index.install_url(target)

    def render() -> None:
        table(
            ("file", "size", "status", "attempts", "sha256 on index"),
            [
                (
                    f.filename,
                    _size(f.size),
                    f.status + ("" if f.verified else " (not verified)"),
                    f.attempts or "-",
                    "ok" if f.verified else (f.error or "missing"),
                )
                for f in report.files
            ],
            title=f"publish to {target.name}",
        )
        message(
            f"{report.count('uploaded') + report.count('exists')} uploaded, "
            f"{report.count('skipped')} skipped, "
            f"{sum(1 for f in report.files if not f.verified)} failed "
            f"in {report.seconds:.1f}s"
        )
        if report.ok:
            message(
                f"install with: pip install --index-url {index.install_url(target)} {config.name}"
            )

    emit(data, render)
    if not report.ok:
        raise index.failure_error(report, target.name)
