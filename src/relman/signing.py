"""Detached signatures of release files, with gpg or ssh.

``[tool.relman.build] sign`` chooses the method:

* ``gpg``: ``gpg --detach-sign --armor`` writes ``<file>.asc`` (the key is
  ``gpg-key`` when set, else gpg's default key);
* ``ssh``: ``ssh-keygen -Y sign -n file`` writes ``<file>.sig`` with the key
  in ``ssh-key``; verification uses ``ssh-allowed-signers`` when set, else
  the key's own ``.pub`` file.

Signatures go with the files of a GitHub release; they are never uploaded to
a package index (:func:`is_signature` lets the publisher skip them).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from relman import _proc, _report
from relman.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from relman.config import Config

__all__ = [
    "NAMESPACE",
    "SIGNATURE_SUFFIXES",
    "is_signature",
    "sign_files",
    "signable_files",
    "signature_path",
    "tag_signing",
    "verify_signatures",
]

#: ssh signature namespace for files (``ssh-keygen -Y sign -n file``).
NAMESPACE = "file"
SIGNATURE_SUFFIXES = (".asc", ".sig")
_PRINCIPAL = "relman-release-signer"


def tag_signing(mode: str, git_config: Callable[[str], str | None]) -> str:
    """How a release tag is signed: ``gpg``, ``ssh`` or ``none``.

    ``[tool.relman.release] sign = "auto"`` signs exactly when git would:
    ``tag.gpgSign`` is true, or ``user.signingkey`` is set; the format is
    ``gpg.format`` (``ssh``, else gpg). ``git_config`` reads one git setting.
    """
    if mode in ("gpg", "ssh", "none"):
        return mode
    wants = (git_config("tag.gpgSign") or "").lower() in ("true", "yes", "on", "1")
    if not wants and not git_config("user.signingkey"):
        return "none"
    return "ssh" if (git_config("gpg.format") or "openpgp") == "ssh" else "gpg"


def is_signature(path: Path) -> bool:
    return Path(path).name.endswith(SIGNATURE_SUFFIXES)


def signature_path(config: Config, path: Path) -> Path:
    """Where the signature of ``path`` goes for the configured method."""
    method = _method(config)
    return Path(f"{path}.asc" if method == "gpg" else f"{path}.sig")


def signable_files(directory: Path) -> list[Path]:
    """The files of ``directory`` that a release signs: artifacts and SHA256SUMS."""
    from relman.artifacts import artifact_kind

    return sorted(
        p
        for p in Path(directory).iterdir()
        if p.is_file() and (artifact_kind(p) or p.name == "SHA256SUMS")
    )


def _method(config: Config) -> str:
    method = config.build.sign
    if method not in ("gpg", "ssh"):
        raise UsageError(
            "signing is not configured",
            hint='set [tool.relman.build] sign = "gpg" or "ssh"',
        )
    return method


def _ssh_key(config: Config) -> Path:
    if not config.build.ssh_key:
        raise ConfigError(
            'sign = "ssh" needs a key',
            hint="set [tool.relman.build] ssh-key to the private key file",
        )
    key = Path(os.path.expanduser(config.build.ssh_key))
    if not key.is_absolute():
        key = config.project_dir / key
    if not key.is_file():
        raise ConfigError(
            f"the ssh key {key} does not exist", hint="check tool.relman.build.ssh-key"
        )
    return key


def sign_files(config: Config, files: Sequence[Path]) -> list[Path]:
    """Write a detached signature beside each file; return the signature paths."""
    method = _method(config)
    out: list[Path] = []
    for f in files:
        f = Path(f).absolute()
        if not f.is_file():
            raise UsageError(f"{f} does not exist")
        sig = signature_path(config, f)
        if method == "gpg":
            args = ["gpg", "--batch", "--yes", "--detach-sign", "--armor"]
            if config.build.gpg_key:
                args += ["--local-user", config.build.gpg_key]
            _proc.run(
                [*args, "--output", str(sig), str(f)], cwd=f.parent, what=f"gpg signing {f.name}"
            )
        else:
            key = _ssh_key(config)
            if sig.exists():
                sig.unlink()  # ssh-keygen refuses to overwrite
            _proc.run(
                ["ssh-keygen", "-q", "-Y", "sign", "-f", str(key), "-n", NAMESPACE, str(f)],
                cwd=f.parent,
                what=f"ssh signing {f.name}",
            )
        out.append(sig)
        _report.info(f"signed {f.name} -> {sig.name}")
    return out


def _allowed_signers(config: Config, tmp: Path) -> tuple[Path, str | None]:
    """(allowed signers file, principal to verify as; None = look it up)."""
    if config.build.ssh_allowed_signers:
        path = Path(os.path.expanduser(config.build.ssh_allowed_signers))
        if not path.is_absolute():
            path = config.project_dir / path
        if not path.is_file():
            raise ConfigError(f"the allowed signers file {path} does not exist")
        return path, None
    pub = Path(str(_ssh_key(config)) + ".pub")
    if not pub.is_file():
        raise ConfigError(
            f"{pub} does not exist",
            hint="set [tool.relman.build] ssh-allowed-signers, or keep the .pub beside the key",
        )
    fields = pub.read_text(encoding="utf-8").split()
    allowed = tmp / "allowed_signers"
    allowed.write_text(f'{_PRINCIPAL} namespaces="{NAMESPACE}" {fields[0]} {fields[1]}\n')
    return allowed, _PRINCIPAL


def verify_signatures(config: Config, dir: Path) -> list[str]:
    """Problems with the signatures in ``dir`` (empty: every signable file has a good one)."""
    method = _method(config)
    directory = Path(dir).absolute()
    files = signable_files(directory)
    if not files:
        raise UsageError(
            f"{directory} has no artifacts to check", hint="build first: `relman build`"
        )
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="relman-sig-") as tmp_name:
        allowed: Path | None = None
        principal: str | None = None
        if method == "ssh":
            allowed, principal = _allowed_signers(config, Path(tmp_name))
        for f in files:
            sig = signature_path(config, f)
            if not sig.is_file():
                problems.append(f"{f.name}: no signature ({sig.name})")
                continue
            if method == "gpg":
                done = _proc.run(
                    ["gpg", "--batch", "--verify", str(sig), str(f)], cwd=directory, check=False
                )
            else:
                assert allowed is not None
                who = principal
                data = f.read_bytes()
                if who is None:
                    found = _proc.run(
                        ["ssh-keygen", "-Y", "find-principals", "-f", str(allowed), "-s", str(sig)],
                        cwd=directory,
                        check=False,
                    )
                    who = (
                        found.stdout.strip().splitlines()[0]
                        if found.returncode == 0 and found.stdout.strip()
                        else None
                    )
                    if who is None:
                        problems.append(f"{f.name}: signed by a key that is not an allowed signer")
                        continue
                done = _proc.run(
                    [
                        "ssh-keygen",
                        "-Y",
                        "verify",
                        "-f",
                        str(allowed),
                        "-I",
                        who,
                        "-n",
                        NAMESPACE,
                        "-s",
                        str(sig),
                    ],
                    cwd=directory,
                    input=data,
                    text=False,
                    check=False,
                )
            if done.returncode != 0:
                detail = (done.stderr.strip() or done.stdout.strip()).splitlines()
                problems.append(
                    f"{f.name}: bad signature ({detail[-1] if detail else 'exit ' + str(done.returncode)})"
                )
        for extra in sorted(directory.iterdir()):
            if is_signature(extra) and not Path(str(extra)[:-4]).exists():
                problems.append(f"{extra.name}: signature of a file that is not there")
    return problems
