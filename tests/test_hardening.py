"""What a second run, a half-finished git operation or an echoing server cannot do.

The repositories are the purelib example's realistic history (a small pure-Python
package released from main, the shape of attrs or packaging).
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from relman.demo import DemoRepo
from tests.helpers import refs, run_relman, snapshot


def _world(path: Path) -> tuple[dict[str, bytes], str, str]:
    """The files, the refs and the index: what a refused command must leave alone."""
    index = subprocess.run(
        ["git", "ls-files", "-s"], cwd=path, capture_output=True, text=True, check=True
    ).stdout
    return snapshot(path), refs(path), index


@pytest.fixture
def purelib(example_repo) -> DemoRepo:
    return example_repo("purelib")


# -- one lock per repository ---------------------------------------------------------


def _hold_commit_hook(path: Path) -> tuple[Path, Path]:
    """A pre-commit hook that stops the first commit until the test says go."""
    started, go = path.parent / "hook-started", path.parent / "hook-go"
    hook = path / ".git" / "hooks" / "pre-commit"
    hook.write_text(
        "#!/bin/sh\n"
        f"touch '{started}'\n"
        f"i=0; while [ ! -e '{go}' ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    return started, go


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the first run never reached its commit"
        time.sleep(0.05)


def test_releases_of_different_versions_are_locked_against_each_other(
    purelib: DemoRepo,
) -> None:
    path = purelib.path
    started, go = _hold_commit_hook(path)
    env = {**os.environ, "RELMAN_RELEASE_SIGN": "none"}
    first = subprocess.Popen(
        [sys.executable, "-m", "relman", "release", "1.1.0rc1", "--only", "version", "--yes"],
        cwd=path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(started, first)
        # the rc's run is committing: the final, a version commit and a notes commit wait
        head = refs(path)
        for args in (
            ("release", "1.1.0", "--yes"),
            ("version", "set", "1.2.0", "--commit"),
            ("notes", "build", "--version", "1.1.0", "--commit"),
        ):
            out = run_relman(*args, cwd=path, env={"RELMAN_RELEASE_SIGN": "none"})
            assert out.returncode == 2, (args, out.stderr)
            assert "another relman run is changing this repository" in out.stderr
            assert "relman release 1.1.0rc1" in out.stderr  # the holder is named
        assert refs(path) == head
    finally:
        go.touch()
        _out, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    # the lock went with the first run: the final release's version step runs now
    out = run_relman("version", "set", "1.1.0", "--force", cwd=path)
    assert out.returncode == 0, out.stderr


# -- nothing changes on error --------------------------------------------------------


def _conflict(path: Path, how: str) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, check=False)

    git("checkout", "-q", "-b", "side")
    (path / "README.md").write_text("side\n", encoding="utf-8")
    git("commit", "-qam", "side")
    git("checkout", "-q", "main")
    (path / "README.md").write_text("main\n", encoding="utf-8")
    git("commit", "-qam", "main")
    if how == "merge":
        git("merge", "side")
    elif how == "cherry-pick":
        git("cherry-pick", "side")
    else:
        git("rebase", "side")


@pytest.mark.parametrize("how", ["merge", "cherry-pick", "rebase"])
def test_version_and_notes_commits_refused_during_a_conflict(purelib: DemoRepo, how: str) -> None:
    path = purelib.path
    _conflict(path, how)
    before = _world(path)
    out = run_relman("version", "set", "1.2.0", "--commit", cwd=path)
    assert out.returncode == 2, out.stderr
    assert "in progress" in out.stderr and "relman will not commit" in out.stderr
    assert "hint: finish it first" in out.stderr
    out = run_relman("notes", "build", "--version", "1.1.0", "--commit", cwd=path)
    assert out.returncode == 2, out.stderr
    assert "in progress" in out.stderr
    assert _world(path) == before


def test_version_commit_refused_with_index_lock_named(purelib: DemoRepo) -> None:
    path = purelib.path
    lock = path / ".git" / "index.lock"
    lock.write_text("", encoding="utf-8")
    before = _world(path)
    out = run_relman("version", "set", "1.2.0", "--commit", cwd=path)
    assert out.returncode == 2, out.stderr
    assert str(lock) in out.stderr
    assert _world(path) == before


def test_stale_index_lock_removed_on_resume(purelib: DemoRepo) -> None:
    path = purelib.path
    env = {"RELMAN_RELEASE_SIGN": "none"}
    out = run_relman("release", "1.1.0", "--only", "checks", "--yes", cwd=path, env=env)
    assert out.returncode == 0, out.stderr
    lock = path / ".git" / "index.lock"
    lock.write_text("", encoding="utf-8")  # left by a git killed mid-write
    out = run_relman("release", "1.1.0", "--only", "version", "--yes", cwd=path, env=env)
    assert out.returncode == 0, out.stderr
    assert f"removed {lock}" in out.stderr
    assert not lock.exists()


def test_release_refused_in_a_repository_without_commits(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    (path / "pyproject.toml").write_text(
        '[project]\nname = "empty"\nversion = "1.0.0"\n', encoding="utf-8"
    )
    out = run_relman("release", "1.0.0", "--yes", cwd=path)
    assert out.returncode == 2, out.stderr
    assert "no commits" in out.stderr and "usage:" not in out.stderr
    assert not (path / ".git" / "relman" / "1.0.0.json").exists()


# -- no secret in any output ---------------------------------------------------------

PASSWORD = "s3cr/t#?pw"  # the characters that break URL parsing
BASIC = base64.b64encode(f"__token__:{PASSWORD}".encode()).decode()


def _secret_forms() -> list[str]:
    import urllib.parse

    return [
        PASSWORD,
        urllib.parse.quote(PASSWORD, safe=""),
        BASIC,
        BASIC.rstrip("="),
        base64.b64encode(PASSWORD.encode()).decode(),
    ]


def assert_no_secret(*texts: str, extra: tuple[str, ...] = ()) -> None:
    for text in texts:
        for form in (*_secret_forms(), *extra):
            assert form not in text, f"{form!r} printed in:\n{text}"
        assert "htt***" not in text and "***ttp" not in text


def test_redaction_forms_and_no_damage() -> None:
    from relman import _redact

    _redact.forget_all()
    _redact.remember(PASSWORD, username="__token__")
    _redact.remember("p", username="u")  # a one-letter password
    try:
        echo = (
            f"403 Forbidden: Authorization: Basic {BASIC} for "
            f"http://__token__:{PASSWORD}@127.0.0.1:1/ (password {PASSWORD})"
        )
        out = _redact.server_text(echo)
        assert_no_secret(out)
        assert "http://127.0.0.1:1/" in out
        assert _redact.text("see http://u:p@127.0.0.1/simple/ p") == (
            "see http://127.0.0.1/simple/ ***"
        )
        assert _redact.text("https://example.org/help") == "https://example.org/help"
        assert _redact.server_text('{"message": "Bad credentials: Bearer ghp_abcdef123456"}') == (
            '{"message": "Bad credentials: Bearer ***"}'
        )
        assert _redact.url("https://user:pw@host:8080/x?y=1") == "https://host:8080/x?y=1"
    finally:
        _redact.forget_all()


def test_url_credentials_never_printed(purelib: DemoRepo) -> None:
    path = purelib.path
    secret = "hunter2-very-secret"
    env = {"RELMAN_PUBLISH_TARGET": f"http://__token__:{secret}@127.0.0.1:9/"}
    outputs = []
    for args in (
        ("config",),
        ("config", "--json"),
        ("plan", "1.1.0"),
        ("plan", "1.1.0", "--json"),
        ("release", "1.1.0", "--dry-run"),
    ):
        out = run_relman(*args, cwd=path, env=env)
        assert out.returncode == 0, (args, out.stderr)
        outputs += [out.stdout, out.stderr]
    joined = "\n".join(outputs)
    assert secret not in joined and "__token__:" not in joined
    assert "http://127.0.0.1:9/" in joined  # the URL is still shown, without userinfo


# -- clear errors at load time ---------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("TAG_FORMAT", "v{version}-{bogus}", "uses {bogus}"),
        ("TAG_FORMAT", "v{version}{", "is not a valid template"),
        ("MAINTENANCE_BRANCH", "m/{major}.{minor}.{patch}", "uses {patch}"),
        ("RELEASE_TAG_MESSAGE", "{oops} {version}", "uses {oops}"),
        ("CHANGELOG_PR_URL", "https://x.test/pull/{num}", "uses {num}"),
        ("PUBLISH_TIMEOUT", "-1", "must not be negative"),
    ],
)
def test_bad_templates_and_values_refused_at_load(
    purelib: DemoRepo, key: str, value: str, problem: str
) -> None:
    before = _world(purelib.path)
    env = {"RELMAN_RELEASE_SIGN": "none", f"RELMAN_{key}": value}
    for args in (("status",), ("release", "1.1.0", "--yes")):
        out = run_relman(*args, cwd=purelib.path, env=env)
        assert out.returncode == 2, out.stderr
        assert problem in out.stderr and "Traceback" not in out.stderr
    assert _world(purelib.path) == before


@pytest.mark.parametrize(
    ("version", "problem"),
    [("banana", "not a PEP 440 version"), ("110", 'not a string: write version = "110"')],
)
def test_bad_project_version_reported(tmp_path: Path, version: str, problem: str) -> None:
    path = tmp_path / "p"
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    value = version if version.isdigit() else f'"{version}"'
    (path / "pyproject.toml").write_text(
        f'[project]\nname = "p"\nversion = {value}\n', encoding="utf-8"
    )
    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    subprocess.run(["git", "commit", "-qm", "p"], cwd=path, check=True)
    out = run_relman("version", "set", "1.1.0", cwd=path)
    assert out.returncode == 2, out.stderr
    assert problem in out.stderr and "Traceback" not in out.stderr
    out = run_relman("status", cwd=path)
    assert "Traceback" not in out.stderr and problem in out.stdout + out.stderr


@pytest.mark.parametrize(
    ("version", "problem"),
    [("  1.1.0  ", "spaces around it"), ("1." * 5000 + "0", "at most 200")],
)
def test_bad_versions_refused(purelib: DemoRepo, version: str, problem: str) -> None:
    before = _world(purelib.path)
    for args in (("version", "set", version), ("release", version, "--yes")):
        out = run_relman(*args, cwd=purelib.path)
        assert out.returncode == 2, out.stderr
        assert problem in out.stderr
    assert _world(purelib.path) == before


def test_local_version_refused_for_an_uploaded_release(purelib: DemoRepo) -> None:
    env = {"RELMAN_PUBLISH_TARGET": "http://127.0.0.1:9/"}
    before = _world(purelib.path)
    out = run_relman("release", "1.1.0+abc", "--yes", cwd=purelib.path, env=env)
    assert out.returncode == 2, out.stderr
    assert "local version" in out.stderr
    assert _world(purelib.path) == before


def test_unknown_publish_scheme_refused(purelib: DemoRepo, tmp_path: Path) -> None:
    from tests.indexserver import make_dists

    dist = tmp_path / "dist"
    dist.mkdir()
    make_dists(dist, "purelib", "1.1.0")
    before = _world(purelib.path)
    out = run_relman(
        "publish", "--to", "ftp://u:pw-secret-123@127.0.0.1/x", str(dist), cwd=purelib.path
    )
    assert out.returncode == 2, out.stderr
    assert "cannot publish to a ftp:// URL" in out.stderr
    assert "pw-secret-123" not in out.stderr
    assert _world(purelib.path) == before


def test_sigterm_is_handled_like_ctrl_c(purelib: DemoRepo) -> None:
    import signal

    path = purelib.path
    started, go = _hold_commit_hook(path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "relman", "version", "set", "1.2.0", "--commit"],
        cwd=path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(started, proc)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    finally:
        go.touch()
    assert proc.returncode == 130, err
    assert "error: terminated (SIGTERM)" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"steps": [], "version": "1.1.0"}', "'steps' is not a table"),
        ('{"steps": {}, "version": "1.1.0rc1"}', "records the release of 1.1.0rc1"),
        ("[1, 2]", "holds a list"),
    ],
)
def test_foreign_state_files_are_refused(purelib: DemoRepo, content: str, problem: str) -> None:
    state = purelib.path / ".git" / "relman" / "1.1.0.json"
    state.parent.mkdir()
    state.write_text(content, encoding="utf-8")
    before = _world(purelib.path)
    out = run_relman("release", "1.1.0", "--yes", cwd=purelib.path)
    assert out.returncode == 2, out.stderr
    assert problem in out.stderr and "Traceback" not in out.stderr
    assert _world(purelib.path) == before and state.read_text(encoding="utf-8") == content


def test_unwritable_state_folder_is_a_clear_error(purelib: DemoRepo) -> None:
    # a file where the state folder should be: no one can write under it, root included
    # (a read-only folder stops every user but root)
    folder = purelib.path / ".git" / "relman"
    folder.write_text("not a folder\n", encoding="utf-8")
    out = run_relman("release", "1.1.0", "--only", "checks", "--yes", cwd=purelib.path)
    assert folder.read_text(encoding="utf-8") == "not a folder\n"
    assert out.returncode == 2, out.stderr
    assert "cannot write its state file" in out.stderr and "Traceback" not in out.stderr


# -- fragments are regular files inside the project -------------------------------


@pytest.mark.parametrize("shape", ["outside", "dangling", "fifo"])
def test_fragments_must_be_regular_files_inside_the_project(
    purelib: DemoRepo, tmp_path: Path, shape: str
) -> None:
    path = purelib.path
    fragment = path / "doc" / "release" / "upcoming_changes" / "22.bugfix.rst"
    outside = tmp_path / "secret.txt"
    outside.write_text("the contents of a file outside the project\n", encoding="utf-8")
    if shape == "outside":
        fragment.symlink_to(outside)
    elif shape == "dangling":
        fragment.symlink_to(tmp_path / "missing.txt")
    else:
        os.mkfifo(fragment)
    before = _world(path)
    for args in (("notes", "draft", "--version", "1.1.0"), ("notes", "check")):
        out = run_relman(*args, cwd=path, timeout=60)  # a FIFO must not block
        assert out.returncode == 1, (args, out.stdout, out.stderr)
        assert "22.bugfix.rst" in out.stdout + out.stderr and "Traceback" not in out.stderr
        assert "contents of a file outside" not in out.stdout + out.stderr
    assert _world(path) == before


def test_password_with_url_delimiters_in_a_target_url(purelib: DemoRepo) -> None:
    from relman.index import resolve_target
    from relman.project import load_config

    config = load_config(purelib.path)
    target = resolve_target(config, f"http://__token__:{PASSWORD}@127.0.0.1:9/legacy/")
    assert target.upload_url == "http://127.0.0.1:9/legacy/"
    assert target.credentials is not None and target.credentials.password() == PASSWORD
    out = run_relman(
        "publish",
        "--to",
        f"http://__token__:{PASSWORD}@127.0.0.1:9/",
        "--dry-run",
        ".",
        cwd=purelib.path,
    )
    assert "Traceback" not in out.stderr and "InvalidURL" not in out.stderr
    assert_no_secret(out.stdout, out.stderr)


def test_a_tag_only_on_the_remote_is_caught_in_preflight(purelib: DemoRepo) -> None:
    path = purelib.path
    subprocess.run(["git", "tag", "-a", "-m", "x", "v1.1.0"], cwd=path, check=True)
    subprocess.run(["git", "push", "-q", "origin", "v1.1.0"], cwd=path, check=True)
    subprocess.run(["git", "tag", "-d", "v1.1.0"], cwd=path, check=True, capture_output=True)
    before = _world(path)
    out = run_relman("release", "1.1.0", "--yes", cwd=path, env={"RELMAN_RELEASE_SIGN": "none"})
    assert out.returncode == 1, out.stderr
    assert "tag v1.1.0 exists on origin (not here)" in out.stdout + out.stderr
    assert _world(path) == before


def test_a_bare_repository_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    (path / "pyproject.toml").write_text('[project]\nname = "b"\nversion = "1.0"\n')
    for args in (("status",), ("release", "1.0", "--yes")):
        out = run_relman(*args, cwd=path)
        assert out.returncode == 2, out.stderr
        assert "bare git repository" in out.stderr


# -- a huge pyproject.toml -------------------------------------------------------------

_COUNT_PARSES = """\
import sys, tomllib
sizes = []
_loads = tomllib.loads
def loads(s, **kw):
    sizes.append(len(s))
    return _loads(s, **kw)
tomllib.loads = loads  # counted, not changed
from relman.cli import main
code = main(sys.argv[1:])
big = [n for n in sizes if n > 1_000_000]
print(f"RESULT {code} {len(big)} {'tomlkit' in sys.modules}", file=sys.stderr)
"""


def test_a_pyproject_padded_to_megabytes_is_read_and_edited_in_linear_work(
    tmp_path: Path,
) -> None:
    # a project whose pyproject.toml carries megabytes of comments and blank lines
    # (the padding of a generated file; the shape of a flit or hatch project otherwise)
    path = tmp_path / "padded"
    head = '[project]\nname = "padded"\nversion = "1.0.0"  # the version\n'
    padding = "# a comment line of padding\n" * 60_000 + "\n" * 2_000_000
    tail = '\n[tool.relman]\nmain-branch = "main"\n'
    text = head + padding + tail
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "pyproject.toml").write_text(text, encoding="utf-8")
    for args in (["add", "-A"], ["commit", "-qm", "start"], ["tag", "-a", "-m", "1.0.0", "v1.0.0"]):
        subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)
    # each command parses the file with the standard (linear) parser once, version
    # set once more to check what it wrote; tomlkit (quadratic in blank lines) never
    for args, parses in ((["status"], "1"), (["version", "set", "1.1.0"], "2")):
        out = subprocess.run(
            [sys.executable, "-c", _COUNT_PARSES, "--project", str(path), *args],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        line = [x for x in out.stderr.splitlines() if x.startswith("RESULT ")]
        assert line, out.stderr[-2000:]
        assert line[-1].split()[1:] == ["0", parses, "False"], (args, out.stderr[-2000:])
    new = (path / "pyproject.toml").read_text(encoding="utf-8")
    assert new == text.replace('version = "1.0.0"', 'version = "1.1.0"', 1)


def test_a_pyproject_that_is_not_plain_is_still_edited_keeping_its_formatting(
    tmp_path: Path,
) -> None:
    # a version line inside a multi-line string and a second [project]-looking
    # header in it: the plain edit would be wrong, so tomlkit edits the file
    path = tmp_path / "tricky"
    text = (
        '[project]\nname = "tricky"\ndescription = """\n[project]\nversion = "0.0.1"\n"""\n'
        "version = '1.0.0'   # kept\n"
    )
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "pyproject.toml").write_text(text, encoding="utf-8")
    out = run_relman("version", "set", "1.1.0", cwd=path)
    assert out.returncode == 0, out.stderr
    new = (path / "pyproject.toml").read_text(encoding="utf-8")
    assert new == text.replace("'1.0.0'", "'1.1.0'")
