"""`relman plan`, `relman release`, `relman demo`."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from relman.commands._common import confirm, echo, emit, get_state, global_options, message

_KIND = click.Choice(
    ["alpha", "beta", "rc", "final", "bug-fix", "new-branch", "security", "end-of-life"]
)
_MARK = {"done": "[x]", "pending": "[ ]", "skipped": "[-]", "blocked": "[!]", "running": "[>]"}


def _split(values: Sequence[str]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _context(
    version: str | None,
    kind: str | None,
    *,
    resume: bool = False,
    force: bool = False,
    last: bool = False,
) -> Any:
    from relman.git import find_repo
    from relman.release import open_context

    state = get_state()
    config = state.config()
    repo = find_repo(config.project_dir)
    return open_context(
        config,
        repo,
        version,
        kind=kind,
        yes=state.yes,
        confirm=confirm,
        force=force,
        resume=resume,
        last=last,
    )


def _stop_if_blocked(plans: Sequence[Any]) -> None:
    """Exit 1, naming the reasons, when the release would stop at a step."""
    from relman.errors import CheckFailed

    blocked = [p for p in plans if p.status == "blocked"]
    if blocked:
        raise CheckFailed(
            "the release would stop:\n" + "\n".join(f"  - {p.name}: {p.reason}" for p in blocked),
            hint="fix these, then plan again",
        )


def _render_plan(plans: Sequence[Any], header: str) -> None:
    echo(header)
    for p in plans:
        line = f"{_MARK.get(p.status, '[?]')} {p.name:<18} {p.status:<8}"
        echo(line + (f" {p.reason}" if p.reason else f" {p.description}"))
        for action in p.actions:
            echo(f"      - {action}")


@click.command()
@click.argument("version")
@click.option("--kind", type=_KIND, help="Release kind (default: from the version).")
@click.option("--force", is_flag=True, help="Allow a version that does not follow the last tag.")
@global_options(dry_run=False)
def plan(version: str, kind: str | None, force: bool) -> None:
    """Every step of releasing VERSION with done / pending / skipped / blocked and what it
    would change; exits 1, with the reasons, when the release would stop."""
    from relman.release import plan_release

    ctx = _context(version, kind, force=force)
    plans = plan_release(ctx)
    emit(
        {"version": ctx.version, "kind": ctx.kind, "steps": [p.as_dict() for p in plans]},
        lambda: _render_plan(plans, f"release {ctx.version} ({ctx.kind}) of {ctx.config.name}"),
    )
    _stop_if_blocked(plans)


@click.command()
@click.argument("version", required=False)
@click.option("--kind", type=_KIND, help="Release kind (default: from the version).")
@click.option("--resume", is_flag=True, help="Resume the unfinished release.")
@click.option(
    "--status", "show_status", is_flag=True, help="Show the state of the release and exit."
)
@click.option(
    "--from",
    "from_step",
    metavar="STEP",
    help="Start at STEP (earlier steps are left as they are).",
)
@click.option("--only", multiple=True, metavar="STEP[,STEP]", help="Run only these steps.")
@click.option("--skip", multiple=True, metavar="STEP[,STEP]", help="Do not run these steps.")
@click.option("--force", is_flag=True, help="Allow a version that does not follow the last tag.")
@global_options()
def release(
    version: str | None,
    kind: str | None,
    resume: bool,
    show_status: bool,
    from_step: str | None,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    force: bool,
) -> None:
    """Release VERSION: every step from checks to the installed release; safe to re-run.

    Stopped or failed releases continue with `relman release --resume` (or the
    same command again): every step is re-checked against the world first.
    """
    from relman.release import plan_release

    state = get_state()
    ctx = _context(version, kind, resume=resume or show_status, force=force, last=show_status)
    only_l, skip_l = _split(only), _split(skip)
    if show_status or state.dry_run:
        plans = plan_release(ctx, from_step=from_step, only=only_l, skip=skip_l)
        header = f"release {ctx.version} ({ctx.kind}) of {ctx.config.name}"
        if state.dry_run:
            header += ": dry run, nothing is changed"
        emit(
            {
                "version": ctx.version,
                "kind": ctx.kind,
                "state": str(ctx.state.path),
                "steps": [p.as_dict() for p in plans],
            },
            lambda: _render_plan(plans, header),
        )
        if state.dry_run:
            _stop_if_blocked(plans)
        return
    outcomes = _run(ctx, from_step=from_step, only=only_l, skip=skip_l)
    timing = _timing(outcomes)

    def render() -> None:
        message(
            (
                f"released {ctx.config.name} {ctx.version}"
                if ctx.kind not in ("new-branch", "end-of-life")
                else f"{ctx.kind} {ctx.version} of {ctx.config.name} done"
            )
            + f"; state in {ctx.state.path}"
        )
        if timing["steps"]:
            message(_timing_line(timing))
        if where:
            message(f"files: {where['files']}")
            message(f"install with: {where['install']}")

    where = _where(ctx, outcomes)
    emit(
        {
            "version": ctx.version,
            "kind": ctx.kind,
            "state": str(ctx.state.path),
            "where": where,
            "steps": [p.as_dict() for p in outcomes],
            "timing": timing,
        },
        render,
    )


def _where(ctx: Any, outcomes: Any) -> dict[str, str] | None:
    """Where the release's files went and how a user installs them (after a publish)."""
    if ctx.kind not in ("alpha", "beta", "rc", "final", "bug-fix", "security"):
        return None
    if not any(p.name == "publish" and p.status == "done" for p in outcomes):
        return None
    from relman.index import install_url, resolve_target

    url = install_url(resolve_target(ctx.config, None))
    pre = " --pre" if ctx.kind in ("alpha", "beta", "rc") else ""
    return {
        "files": str(ctx.dist_dir),
        "install": f"pip install{pre} --index-url {url} {ctx.config.name}=={ctx.version}",
    }


def _timing(outcomes: Any) -> dict[str, Any]:
    """Where this run's time went: each step that ran, and relman's own share."""
    ran = [p for p in outcomes if p.seconds is not None]
    total = sum(p.seconds for p in ran)
    external = min(total, sum(p.external_seconds or 0.0 for p in ran))
    return {
        "steps": {p.name: round(p.seconds, 3) for p in ran},
        "seconds": round(total, 3),
        "external_seconds": round(external, 3),
        "own_seconds": round(total - external, 3),
        "own_share": round((total - external) / total, 3) if total else 0.0,
    }


def _timing_line(timing: dict[str, Any]) -> str:
    """``time: build 9.1 s, verify 20.3 s, ...; 46.0 s in all, relman's own work 2.1 s (5%)``."""
    parts = ", ".join(f"{name} {sec:.1f} s" for name, sec in timing["steps"].items())
    return (
        f"time: {parts}; {timing['seconds']:.1f} s in all, of which external programs "
        f"(builds, environments, installers, git) {timing['external_seconds']:.1f} s and "
        f"relman's own work {timing['own_seconds']:.1f} s ({timing['own_share']:.0%})"
    )


def _run(ctx: Any, **selection: Any) -> Any:
    from relman.release import run_release

    def on_step(name: str, status: str, detail: str) -> None:
        if status == "running":
            message(f"{_MARK['running']} {name}: {detail}")
        elif status == "skipped":
            message(f"{_MARK['skipped']} {name}: {detail}")
        elif detail == "already done":
            message(f"{_MARK['done']} {name}: already done")
        else:
            message(f"{_MARK['done']} {name}")

    return run_release(ctx, on_step=on_step, **selection)


# -- demo -------------------------------------------------------------------


def _throwaway_signing(repo: Any, home: Path) -> tuple[str, str | None]:
    """Configure ``repo`` to sign tags with a key made for this demo only.

    Returns how tags are signed and, for gpg, the GNUPGHOME holding the key
    (a short path under the system's temporary folder: gpg-agent's socket
    path must stay short).
    """
    from relman import _proc
    from relman.errors import CommandError

    home.mkdir(parents=True, exist_ok=True)
    if shutil.which("gpg"):
        gnupg = Path(tempfile.mkdtemp(prefix="relman-gpg-"))
        gnupg.chmod(0o700)
        try:
            _proc.run(
                [
                    "gpg",
                    "--batch",
                    "--pinentry-mode",
                    "loopback",
                    "--passphrase",
                    "",
                    "--quick-gen-key",
                    "relman demo <demo@example.org>",
                    "ed25519",
                    "sign",
                    "never",
                ],
                cwd=home,
                env={**os.environ, "GNUPGHOME": str(gnupg)},
            )
        except CommandError as exc:
            message(f"warning: gpg could not make a key ({exc.message}); trying ssh")
        else:
            os.environ["GNUPGHOME"] = str(gnupg)
            repo.git("config", "gpg.format", "openpgp")
            repo.git("config", "user.signingkey", "demo@example.org")
            return "gpg (throwaway key)", str(gnupg)
    if shutil.which("ssh-keygen"):
        key = home / "demo_ed25519"
        _proc.run(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "demo@example.org",
                "-f",
                str(key),
            ],
            cwd=home,
        )
        repo.git("config", "gpg.format", "ssh")
        repo.git("config", "user.signingkey", str(key) + ".pub")
        return "ssh (throwaway key)", None
    return "", None


@click.command()
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the demo (default: a new temporary folder, kept).",
)
@click.option("--example", default="purelib", show_default=True, help="Example project to release.")
@global_options(dry_run=False)
def demo(dest: Path | None, example: str) -> None:
    """Release the example project for real, offline: notes, changelog, signed tag,
    build, verify, local index, install back. Needs no tokens and no servers."""
    from relman.demo import build_history
    from relman.project import load_config
    from relman.release import open_context

    base = Path(dest) if dest else Path(tempfile.mkdtemp(prefix="relman-demo-"))
    base.mkdir(parents=True, exist_ok=True)
    project = base / example
    if project.exists():
        from relman.errors import UsageError

        raise UsageError(f"{project} already exists", hint="choose another --dest")
    message(f"creating {project} with a realistic history of examples/{example} ...")
    made = build_history(example, project)
    repo = made.repo
    repo.git("config", "user.name", "Demo Release Manager")
    repo.git("config", "user.email", "rm@example.org")
    previous_gnupg = os.environ.get("GNUPGHOME")
    signing, gnupg_home = _throwaway_signing(repo, base / "keys")
    overrides: dict[str, Any] = {"publish": {"local-dir": str(base / "index")}}
    if not signing:
        overrides["release"] = {"sign": "none"}
        message("warning: neither gpg nor ssh-keygen found; the demo tag is unsigned")
    config = load_config(project, overrides=overrides)
    version = made.version.removesuffix(".dev0")
    message(f"releasing {config.name} {version} (signing: {signing or 'none'})")
    ctx = open_context(config, repo, version, yes=True)
    try:
        outcomes = _run(ctx)
        public_key = None
        if gnupg_home:
            public_key = base / "keys" / "demo-signing-key.asc"
            _export_public_key(Path(gnupg_home), public_key)
    except BaseException:
        if gnupg_home:
            _drop_throwaway_gpg(Path(gnupg_home), previous_gnupg)
        raise
    installed = ctx.state.step("install-check").get("installed")
    summary: dict[str, Any] = {
        "project": str(project),
        "version": version,
        "installed_version": installed,
        "tag": ctx.tag,
        "signing": signing or "none",
        "gnupg_home": gnupg_home,  # removed when the demo ends, its gpg-agent stopped
        "signing_key": str(public_key) if public_key else None,
        "artifacts": [str(p) for p in ctx.artifacts()],
        "dist": str(ctx.dist_dir),
        "index": str(base / "index"),
        "state": str(ctx.state.path),
        "notes": [str(p) for p in sorted((project / "doc" / "release").glob(f"{version}*"))],
        "changelog": str(project / (config.changelog.path or "").format(version=version))
        if config.changelog.path
        else None,
        "steps": [p.as_dict() for p in outcomes],
    }

    def render() -> None:
        echo(f"relman demo: released {config.name} {version} and installed it back: {installed}")
        echo(f"  project:    {project}")
        echo(f"  tag:        {ctx.tag} (signed: {signing or 'no'})")
        if public_key:
            echo(f"  key:        {public_key}  (gpg --import it to verify the tag)")
        for n in summary["notes"]:
            echo(f"  notes:      {n}")
        if summary["changelog"]:
            echo(f"  changelog:  {summary['changelog']}")
        echo(f"  artifacts:  {ctx.dist_dir}")
        for a in summary["artifacts"]:
            echo(f"              {Path(a).name}")
        echo(
            f"  index:      {base / 'index'}  (pip install --index-url file://{base / 'index' / 'simple'} ...)"
        )
        echo(f"  state:      {ctx.state.path}")
        skipped = [p for p in outcomes if p.status == "skipped"]
        if skipped:
            echo("  skipped:    " + "; ".join(f"{p.name} ({p.reason})" for p in skipped))

    try:
        emit(summary, render)
    finally:
        if gnupg_home:
            _drop_throwaway_gpg(Path(gnupg_home), previous_gnupg)


def _export_public_key(gnupg: Path, dest: Path) -> None:
    """The throwaway key's public half, so the demo tag stays verifiable after cleanup."""
    from relman import _proc

    out = _proc.run(
        ["gpg", "--batch", "--armor", "--export", "demo@example.org"],
        cwd=dest.parent,
        env={**os.environ, "GNUPGHOME": str(gnupg)},
    )
    dest.write_text(out.stdout, encoding="utf-8")


def _drop_throwaway_gpg(gnupg: Path, previous: str | None) -> None:
    """Stop the gpg-agent the demo's key started and remove its GNUPGHOME."""
    from relman import _proc
    from relman.errors import CommandError

    if shutil.which("gpgconf"):
        try:
            _proc.run(
                ["gpgconf", "--kill", "all"],
                cwd=gnupg.parent,
                env={**os.environ, "GNUPGHOME": str(gnupg)},
            )
        except CommandError as exc:
            message(f"warning: could not stop the demo's gpg-agent: {exc.message}")
    shutil.rmtree(gnupg, ignore_errors=True)
    if previous is None:
        os.environ.pop("GNUPGHOME", None)
    else:
        os.environ["GNUPGHOME"] = previous
