"""Building the sdist and wheel from a clean checkout of a commit.

:func:`build_artifacts` builds through the ``build`` frontend (uv as its
installer when available) from a private git clone of the commit with its
submodules (so setuptools_scm, hatch-vcs and ``meson dist`` find git), never
from the working tree, with ``SOURCE_DATE_EPOCH`` set to the commit time: two
builds of one commit give byte-identical pure-Python artifacts. Names are
checked before anything reaches ``outdir``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from relman import _atomic, _proc, _report
from relman.artifacts.names import check_artifact_names
from relman.errors import CheckFailed, CommandError, UsageError

if TYPE_CHECKING:
    from relman.config import Config
    from relman.git import Repo

__all__ = ["build_artifacts", "project_subdir"]


def project_subdir(config: Config, repo: Repo) -> PurePosixPath:
    try:
        rel = config.project_dir.resolve().relative_to(repo.root.resolve())
    except ValueError:
        raise UsageError(f"{config.project_dir} is not inside the repository {repo.root}") from None
    return PurePosixPath(rel.as_posix())


def build_artifacts(
    config: Config,
    repo: Repo,
    *,
    rev: str = "HEAD",
    outdir: Path,
    sdist: bool = True,
    wheel: bool = True,
    version: str | None = None,
) -> list[Path]:
    """Build from a clean export of ``rev``; return the files written to ``outdir``.

    The build runs through the ``build`` frontend in isolated environments
    (uv as installer when available), with ``SOURCE_DATE_EPOCH`` set to the
    commit time and without the user's pip/uv configuration. Names are
    checked (PEP 625, wheel names, ``version`` when given) before the files
    are moved into ``outdir``: on any failure ``outdir`` is left untouched.
    """
    from relman.venv import find_uv

    if not (sdist or wheel):
        raise UsageError("nothing to build", hint="ask for --sdist, --wheel or both")
    sha = repo.rev_parse(rev)
    if sha is None:
        raise UsageError(f"{rev!r} is not a commit of {repo.root}", hint="give a tag or a commit")
    epoch = repo.commit_time(sha)
    sub = project_subdir(config, repo)
    outdir = Path(outdir)
    uv = find_uv()
    with tempfile.TemporaryDirectory(prefix="relman-build-") as tmp_name:
        tmp = Path(tmp_name)
        export = tmp / "export"
        # a real checkout of the commit (a private clone, with submodules):
        # setuptools_scm, hatch-vcs and meson-python's `meson dist` need git;
        # mtimes are set to the commit time
        repo.clone_checkout(export, sha)
        return _build_in(
            config,
            repo,
            export,
            sha=sha,
            rev=rev,
            epoch=epoch,
            sub=sub,
            outdir=outdir,
            sdist=sdist,
            wheel=wheel,
            version=version,
            uv=uv,
            tmp=tmp,
        )


def _set_mtimes(root: Path, epoch: int) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        if ".git" in dirnames:
            dirnames.remove(".git")
        if ".git" in filenames:
            filenames.remove(".git")
        for name in filenames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                os.utime(path, (epoch, epoch))


def _build_in(
    config: Config,
    repo: Repo,
    export: Path,
    *,
    sha: str,
    rev: str,
    epoch: int,
    sub: PurePosixPath,
    outdir: Path,
    sdist: bool,
    wheel: bool,
    version: str | None,
    uv: str | None,
    tmp: Path,
) -> list[Path]:
    from relman.venv import isolated_environ

    _set_mtimes(export, epoch)
    srcdir = export / sub if str(sub) != "." else export
    if not (srcdir / "pyproject.toml").is_file() and not (srcdir / "setup.py").is_file():
        raise UsageError(
            f"{sub}/pyproject.toml is not in commit {sha[:12]}",
            hint="commit the project first; relman builds from git, not from the working tree",
        )
    built = tmp / "dist"
    args: list[str] = [sys.executable, "-m", "build", "--outdir", str(built)]
    if uv:
        args += ["--installer", "uv"]
    if sdist:
        args.append("--sdist")
    if wheel:
        args.append("--wheel")
    args.append(str(srcdir))
    extra = {"SOURCE_DATE_EPOCH": str(epoch)}
    if uv:
        extra["UV"] = uv
    env = isolated_environ(extra_index=config.build.extra_index, extra=extra)
    kinds = " and ".join(k for k, on in (("sdist", sdist), ("wheel", wheel)) if on)
    _report.info(f"building {kinds} of {config.name} at {sha[:12]} ({rev})")
    try:
        _proc.run(args, cwd=srcdir, env=env, timeout=1800, what=f"building the {kinds}")
    except CommandError as exc:
        log = _save_log(repo, f"build-{sha[:12]}.log", exc)
        raise CommandError(
            exc.message,
            command=exc.command,
            returncode=exc.returncode,
            stdout=exc.stdout,
            stderr=exc.stderr,
            hint=f"the full build output is in {log}",
        ) from None
    files = sorted(built.iterdir()) if built.is_dir() else []
    problems = check_artifact_names(files, name=config.name, version=version)
    if problems:
        raise CheckFailed(
            "the built files have bad names:\n" + "\n".join(f"  - {p}" for p in problems),
            hint="nothing was written to " + str(outdir),
        )
    outdir.mkdir(parents=True, exist_ok=True)
    result: list[Path] = []
    for f in files:
        _atomic.write_bytes(outdir / f.name, f.read_bytes())
        result.append(outdir / f.name)
    for p in result:
        _report.info(f"built {p}")
    return result


def _save_log(repo: Repo, name: str, exc: CommandError) -> Path:
    logdir = repo.git_dir / "relman" / "logs"
    text = f"$ {' '.join(exc.command)}\nexit {exc.returncode}\n\n{exc.stdout}\n{exc.stderr}"
    _atomic.write_text(logdir / name, text)
    return logdir / name
