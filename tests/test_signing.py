"""Detached signatures with real gpg and ssh keys made in the test."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from relman.config import Config
from relman.errors import ConfigError, UsageError
from relman.project import load_config
from relman.signing import is_signature, sign_files, signable_files, verify_signatures
from tests.helpers import GitRepo, run_relman, snapshot


def _project(repo: GitRepo, build: str) -> Config:
    repo.commit(
        "init",
        {
            "pyproject.toml": '[project]\nname = "p"\nversion = "1.0"\n\n'
            f"[tool.relman.build]\n{build}\n"
        },
    )
    return load_config(repo.path)


def _dist(repo: GitRepo) -> Path:
    d = repo.path / "dist"
    d.mkdir()
    (d / "p-1.0.tar.gz").write_bytes(b"sdist")
    (d / "p-1.0-py3-none-any.whl").write_bytes(b"wheel")
    (d / "SHA256SUMS").write_text("sums\n")
    (d / "README.md").write_text("not signed\n")
    return d


def test_gpg_sign_and_verify(git_repo: GitRepo, gpg_key: str) -> None:
    config = _project(git_repo, f'sign = "gpg"\ngpg-key = "{gpg_key}"')
    d = _dist(git_repo)
    files = signable_files(d)
    assert [f.name for f in files] == ["SHA256SUMS", "p-1.0-py3-none-any.whl", "p-1.0.tar.gz"]
    sigs = sign_files(config, files)
    assert [s.name for s in sigs] == [f.name + ".asc" for f in files]
    assert sigs[0].read_text().startswith("-----BEGIN PGP SIGNATURE-----")
    # gpg itself accepts them
    subprocess.run(["gpg", "--batch", "--verify", str(sigs[2]), str(files[2])], check=True)
    assert verify_signatures(config, d) == []

    (d / "p-1.0.tar.gz").write_bytes(b"tampered")
    (d / "p-1.0-py3-none-any.whl.asc").unlink()
    problems = verify_signatures(config, d)
    assert problems[0] == "p-1.0-py3-none-any.whl: no signature (p-1.0-py3-none-any.whl.asc)"
    assert problems[1].startswith("p-1.0.tar.gz: bad signature")
    assert len(problems) == 2


def test_ssh_sign_and_verify(git_repo: GitRepo, ssh_key: Path) -> None:
    config = _project(git_repo, f'sign = "ssh"\nssh-key = "{ssh_key}"')
    d = _dist(git_repo)
    sigs = sign_files(config, signable_files(d))
    assert all(s.name.endswith(".sig") and is_signature(s) for s in sigs)
    assert "BEGIN SSH SIGNATURE" in sigs[0].read_text()
    assert verify_signatures(config, d) == []
    # signing again replaces the signatures
    sign_files(config, signable_files(d))
    assert verify_signatures(config, d) == []
    (d / "SHA256SUMS").write_text("changed\n")
    problems = verify_signatures(config, d)
    assert len(problems) == 1 and problems[0].startswith("SHA256SUMS: bad signature")


def test_ssh_signature_of_another_key_is_rejected(
    git_repo: GitRepo, ssh_key: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other" / "id_ed25519"
    other.parent.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    d = _dist(git_repo)
    signer = _project(git_repo, f'sign = "ssh"\nssh-key = "{other}"')
    sign_files(signer, signable_files(d))
    allowed = tmp_path / "allowed_signers"
    pub = Path(f"{ssh_key}.pub").read_text().split()
    allowed.write_text(f'tester@example.org namespaces="file" {pub[0]} {pub[1]}\n')
    (git_repo.path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1.0"\n\n[tool.relman.build]\n'
        f'sign = "ssh"\nssh-key = "{ssh_key}"\nssh-allowed-signers = "{allowed}"\n'
    )
    checker = load_config(git_repo.path)
    problems = verify_signatures(checker, d)
    assert problems == [
        f"{name}: signed by a key that is not an allowed signer"
        for name in ("SHA256SUMS", "p-1.0-py3-none-any.whl", "p-1.0.tar.gz")
    ]


def test_signing_needs_configuration(git_repo: GitRepo) -> None:
    config = _project(git_repo, 'sign = "none"')
    d = _dist(git_repo)
    with pytest.raises(UsageError, match="signing is not configured"):
        sign_files(config, signable_files(d))
    missing = _project(git_repo, 'sign = "ssh"')
    with pytest.raises(ConfigError, match="needs a key"):
        sign_files(missing, signable_files(d))
    assert not any(is_signature(p) for p in d.iterdir())


def test_cli_checksums_signs_and_verify_signatures(git_repo: GitRepo, gpg_key: str) -> None:
    _project(git_repo, 'sign = "gpg"')
    d = _dist(git_repo)
    (d / "README.md").unlink()
    dry = run_relman("checksums", "dist", "--dry-run", cwd=git_repo.path)
    assert dry.returncode == 0, dry.stderr
    assert sorted(p.name for p in d.iterdir()) == [
        "SHA256SUMS",
        "p-1.0-py3-none-any.whl",
        "p-1.0.tar.gz",
    ]
    out = run_relman("checksums", "dist", cwd=git_repo.path)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in d.iterdir()) == [
        "README.md",
        "README.rst",
        "SHA256SUMS",
        "SHA256SUMS.asc",
        "p-1.0-py3-none-any.whl",
        "p-1.0-py3-none-any.whl.asc",
        "p-1.0.tar.gz",
        "p-1.0.tar.gz.asc",
    ]
    ok = run_relman("verify-signatures", "dist", cwd=git_repo.path)
    assert ok.returncode == 0, ok.stderr
    assert "3 signature(s) good" in ok.stdout
    (d / "p-1.0.tar.gz").write_bytes(b"evil")
    before = snapshot(d)
    bad = run_relman("verify-signatures", "dist", "--json", cwd=git_repo.path)
    assert bad.returncode == 1
    assert '"ok": false' in bad.stdout
    assert "error: 1 signature problem(s)" in bad.stderr
    assert snapshot(d) == before
