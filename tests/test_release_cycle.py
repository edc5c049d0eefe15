"""A whole release cycle of examples/purelib, as a release manager runs it.

NumPy's cycle (seed 000): cut ``maintenance/1.1.x`` (main moves to 1.2.0.dev0),
release 1.1.0rc1 and 1.1.0rc2 from the branch, then 1.1.0, a bug-fix 1.1.1,
a security release 1.1.2 (sdist only), and end the line. Real git with a
bare origin, real builds and environments, the embedded local index, a docs
archive that is a git clone with its own bare origin, and a real SMTP server
(aiosmtpd) on 127.0.0.1. After every release the test looks at the world
(tags, branches, version files, notes, changelog, index, archive, mail) and
checks that the plan listed exactly the steps that ran.

Heavy (six builds and install checks): run it with ``-k whole_release_cycle``.
"""

from __future__ import annotations

import email
import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from relman.demo import DemoRepo
from tests.helpers import run_relman

pytestmark = pytest.mark.slow

BUILD_DOCS = """\
import pathlib, re
version = re.search(r'__version__ = "([^"]+)"', pathlib.Path("src/purelib/__init__.py").read_text())[1]
out = pathlib.Path("doc/build/html")
out.mkdir(parents=True, exist_ok=True)
(out / "index.html").write_text(f"<h1>purelib {version}</h1>")
"""


def _git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=path, capture_output=True, text=True, check=True
    ).stdout.strip()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(
                (list(envelope.rcpt_tos), email.message_from_bytes(envelope.content))
            )
        return "250 OK"

    def take(self) -> list[tuple[list[str], Message]]:
        with self.lock:
            out, self.messages = self.messages, []
        return out


@pytest.fixture
def mailbox() -> Iterator[tuple[int, _Mailbox]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    box = _Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


def _setup(tmp_path: Path, port: int, demo_copy) -> tuple[DemoRepo, Path, Path]:
    demo = demo_copy("purelib", tmp_path)
    site_origin = tmp_path / "site-origin.git"
    _git(tmp_path, "init", "-q", "--bare", str(site_origin))
    site = tmp_path / "site"
    _git(tmp_path, "clone", "-q", str(site_origin), str(site))
    (site / "index.html").write_text("<a href='stable/'>docs</a>")
    _git(site, "add", "index.html")
    _git(site, "commit", "-q", "-m", "the docs site")
    _git(site, "push", "-q", "-u", "origin", "HEAD:main")
    _git(site, "branch", "-q", "--set-upstream-to=origin/main")
    path = demo.path
    (path / "tools").mkdir()
    (path / "tools" / "build_docs.py").write_text(BUILD_DOCS)
    (path / ".gitignore").write_text((path / ".gitignore").read_text() + "doc/build/\n")
    table = f"""
[tool.relman.docs]
archive-dir = "../site"
html-dir = "doc/build/html"
build-command = "python tools/build_docs.py"
switcher = "versions.json"
base-url = "https://docs.example.org/purelib"

[tool.relman.announce]
smtp-host = "127.0.0.1"
smtp-port = {port}
starttls = false
sender = "purelib release team <release@example.org>"
to = ["purelib-discuss@example.org"]
to-by-kind = {{ security = ["purelib-discuss@example.org", "security@example.org"] }}
bcc-by-kind = {{ final = ["announce@example.org"], bug-fix = ["announce@example.org"] }}
"""
    pyproject = path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + table)
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "MAINT: the docs archive and the announcement lists")
    _git(path, "push", "-q", "origin", "main")
    return demo, site, site_origin


def _fragment(path: Path, name: str, text: str, *, push: bool = True) -> None:
    frag = path / "doc" / "release" / "upcoming_changes" / name
    frag.write_text(text + "\n")
    _git(path, "add", str(frag))
    _git(path, "commit", "-q", "-m", f"BUG: backport ({name})")
    if push:
        _git(path, "push", "-q")


def _release(path: Path, env: dict[str, str], *args: str) -> tuple[set[str], str]:
    """Plan, then run; the steps the plan marked pending must be exactly those that ran."""
    plan = run_relman("plan", *args, "--json", cwd=path, env=env)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    steps = json.loads(plan.stdout)["steps"]
    assert not [s for s in steps if s["status"] == "blocked"], steps
    pending = {s["name"] for s in steps if s["status"] == "pending"}
    out = run_relman("release", *args, "--yes", cwd=path, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    ran = {
        line.split("]", 1)[1].split(":", 1)[0].strip()
        for line in out.stderr.splitlines()
        if line.startswith("[>]")
    }
    assert ran == pending, (sorted(ran), sorted(pending))
    again = json.loads(run_relman("plan", *args, "--json", cwd=path, env=env).stdout)
    assert {s["name"] for s in again["steps"] if s["status"] == "pending"} == set(), again
    actions = {s["name"]: s["actions"] for s in steps}
    return ran, json.dumps(actions)


def _as_planned(path: Path, site: Path, version: str, actions_json: str) -> None:
    """What the plan said of the notes, version, tag, push and docs steps is what happened."""
    import re

    actions: dict[str, list[str]] = json.loads(actions_json)
    if actions.get("notes"):
        planned = actions["notes"][0].split()[1].rstrip(",")  # "write <file> ..."
        notes_commit = _git(path, "log", "-1", "--format=%H", f"--grep=notes for {version}$")
        assert planned in _git(path, "show", "--name-only", "--format=", notes_commit).split()
    if actions.get("version"):
        assert actions["version"][0].startswith(f"set version {version} in ")
        assert _version_files_at(path, f"v{version}") == {version}
    if actions.get("tag"):
        assert actions["tag"] == [f"create unsigned annotated tag v{version} at HEAD"]
        assert _git(path, "cat-file", "-t", f"v{version}") == "tag"
    if actions.get("post-release"):
        dev = re.match(r"set version (\S+)", actions["post-release"][0])
        assert dev is not None and _version_files(path) == {dev[1]}
    if actions.get("docs"):
        copy = next(a for a in actions["docs"] if a.startswith("copy "))
        folder = Path(copy.split(" to ")[1].split(" (")[0])
        assert (folder / ".relman-version").read_text().strip() == version
        stable = any(a.startswith("point ") for a in actions["docs"])
        assert ((site / "stable").exists() and (site / "stable").resolve() == folder) == stable


def _version_files_at(path: Path, rev: str) -> set[str]:
    import re

    found = set(
        re.findall(r'^version = "([^"]+)"', _git(path, "show", f"{rev}:pyproject.toml"), re.M)
    )
    init = _git(path, "show", f"{rev}:src/purelib/__init__.py")
    return found | set(re.findall(r'__version__ = "([^"]+)"', init))


def _entries(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("- ")]


def _as_mailed(entry: str) -> str:
    """A notes entry as the plain-text announcement shows it: no rst literals, no link."""
    return entry.split("(`#")[0].replace("``", "").strip()


def _index(tmp_path: Path) -> set[str]:
    folder = tmp_path / "index" / "simple" / "relman-demo-purelib"
    return {p.name for p in folder.iterdir() if p.name != "index.html"}


def _version_files(path: Path) -> set[str]:
    import re

    found = set()
    found |= set(re.findall(r'^version = "([^"]+)"', (path / "pyproject.toml").read_text(), re.M))
    init = (path / "src" / "purelib" / "__init__.py").read_text()
    found |= set(re.findall(r'__version__ = "([^"]+)"', init))
    return found


def _switcher(site: Path) -> dict[str, dict[str, Any]]:
    return {e["version"]: e for e in json.loads((site / "versions.json").read_text())}


def test_whole_release_cycle(tmp_path: Path, mailbox: tuple[int, _Mailbox], demo_copy) -> None:
    port, box = mailbox
    demo, site, site_origin = _setup(tmp_path, port, demo_copy)
    path, origin = demo.path, demo.remote
    env = {"RELMAN_PUBLISH_LOCAL_DIR": str(tmp_path / "index"), "RELMAN_RELEASE_SIGN": "none"}
    upcoming = path / "doc" / "release" / "upcoming_changes"
    first_fragments = sorted(p.name for p in upcoming.glob("*.*.rst"))
    assert len(first_fragments) == 3

    # -- new-branch: maintenance/1.1.x; main moves on, without the branch's fragments
    ran, actions = _release(path, env, "1.1.0", "--kind", "new-branch")
    assert ran == {"checks", "branch", "main-dev-version", "push-branches"}
    assert "refs/tags/v1.2.0.dev0" in actions and "git rm the 3 news fragment(s)" in actions
    assert _git(origin, "rev-parse", "maintenance/1.1.x") == _git(path, "rev-parse", "HEAD~1")
    assert _git(origin, "rev-list", "-n1", "v1.2.0.dev0") == _git(path, "rev-parse", "main")
    assert _version_files(path) == {"1.2.0.dev0"}
    assert not list(upcoming.glob("*.*.rst"))
    assert (path / "doc" / "release" / "1.2.0-notes.rst").is_file()
    assert box.take() == []  # a new branch announces nothing

    # -- 1.1.0rc1 from the branch, which tracks origin's
    _git(path, "checkout", "-q", "maintenance/1.1.x")
    assert _git(path, "rev-parse", "--abbrev-ref", "@{upstream}") == "origin/maintenance/1.1.x"
    ran, actions = _release(path, env, "1.1.0rc1")
    _as_planned(path, site, "1.1.0rc1", actions)
    assert "send to purelib-discuss@example.org via 127.0.0.1" in actions
    assert {"notes", "tag", "build", "verify", "publish", "docs", "announce"} <= ran
    assert {"post-release", "forward-port", "install-check"} <= ran
    assert "doc/release/1.1.0-notes.rst" in actions
    # the forward-port's plan names the files the release will write
    assert (
        "create branch forward-port-1.1.0rc1 from main with doc/release/1.1.0-notes.rst, "
        "doc/changelog/1.1.0rc1-changelog.rst, .mailmap"
    ) in actions
    assert _git(origin, "rev-list", "-n1", "v1.1.0rc1") == _git(
        path, "rev-list", "-n1", "v1.1.0rc1"
    )
    assert _version_files(path) == {"1.1.0rc2.dev0"}
    rc1_notes = _entries(_git(path, "show", "v1.1.0rc1:doc/release/1.1.0-notes.rst"))
    assert len(rc1_notes) == 3
    assert not (path / "doc" / "release" / "1.1.0rc1-notes.rst").exists()
    assert sorted(p.name for p in upcoming.glob("*.*.rst")) == first_fragments  # kept
    assert (path / "doc" / "changelog" / "1.1.0rc1-changelog.rst").is_file()
    assert {
        "relman_demo_purelib-1.1.0rc1.tar.gz",
        "relman_demo_purelib-1.1.0rc1-py3-none-any.whl",
    } <= _index(tmp_path)
    assert (site / "1.1" / "index.html").read_text() == "<h1>purelib 1.1.0rc1</h1>"
    assert not (site / "stable").exists()  # no final yet: nothing is stable
    assert "preferred" not in _switcher(site)["1.1"]
    assert _git(site_origin, "rev-parse", "main") == _git(site, "rev-parse", "HEAD")
    ((rcpt, msg),) = box.take()
    assert rcpt == ["purelib-discuss@example.org"]
    assert msg["Subject"] == "[ANN] relman-demo-purelib 1.1.0rc1 released" and msg["Date"]
    body = msg.get_payload(decode=True).decode()
    assert "release candidate" in body and "--pre" in body
    assert "people contributed to this release" in body
    assert "https://docs.example.org/purelib/1.1/" in body
    assert all(_as_mailed(entry) in body for entry in rc1_notes)

    # -- a backport, then 1.1.0rc2: the notes of the whole cycle so far
    _fragment(path, "21.improvement.rst", "``purelib.slugify`` accepts a separator.")
    ran, actions = _release(path, env, "1.1.0rc2")
    _as_planned(path, site, "1.1.0rc2", actions)
    assert "notes" in ran
    rc2_notes = _entries(_git(path, "show", "v1.1.0rc2:doc/release/1.1.0-notes.rst"))
    assert len(rc2_notes) == 4 and set(rc1_notes) < set(rc2_notes)
    assert _version_files(path) == {"1.1.0rc3.dev0"}
    assert (site / "1.1" / "index.html").read_text() == "<h1>purelib 1.1.0rc2</h1>"
    assert not (site / "stable").exists()
    ((rcpt, _msg),) = box.take()
    assert rcpt == ["purelib-discuss@example.org"]

    # -- another backport, then 1.1.0: every entry of the cycle, once
    _fragment(path, "22.bugfix.rst", "``purelib.wrap_words`` keeps long words whole.")
    ran, actions = _release(path, env, "1.1.0")
    _as_planned(path, site, "1.1.0", actions)
    assert "send to purelib-discuss@example.org, Bcc announce@example.org via 127.0.0.1" in (
        actions
    )
    final_text = _git(path, "show", "v1.1.0:doc/release/1.1.0-notes.rst")
    final_notes = _entries(final_text)
    assert len(final_notes) == 5 == len(set(final_notes)) and set(rc2_notes) < set(final_notes)
    assert final_text.count("purelib 1.1.0 Release Notes") == 1
    assert not list(upcoming.glob("*.*.rst"))
    assert _version_files(path) == {"1.1.1.dev0"}
    assert (path / "doc" / "changelog" / "1.1.0-changelog.rst").is_file()
    assert {
        "relman_demo_purelib-1.1.0.tar.gz",
        "relman_demo_purelib-1.1.0-py3-none-any.whl",
    } <= _index(tmp_path)
    assert (site / "stable").resolve() == (site / "1.1").resolve()
    assert (site / "1.1" / "index.html").read_text() == "<h1>purelib 1.1.0</h1>"
    assert _switcher(site)["1.1"]["preferred"] is True
    ((rcpt, msg),) = box.take()
    assert rcpt == ["purelib-discuss@example.org", "announce@example.org"]
    assert msg["Bcc"] is None and msg["To"] == "purelib-discuss@example.org"
    body = msg.get_payload(decode=True).decode()
    assert all(_as_mailed(entry) in body for entry in final_notes[:1])
    assert _git(path, "rev-parse", "--verify", "forward-port-1.1.0")

    # -- bug-fix 1.1.1
    _fragment(path, "30.bugfix.rst", "``purelib.slugify`` handles empty strings.")
    ran, actions = _release(path, env, "1.1.1")
    _as_planned(path, site, "1.1.1", actions)
    assert _entries(_git(path, "show", "v1.1.1:doc/release/1.1.1-notes.rst")) == [
        "- ``purelib.slugify`` handles empty strings. (`#30 <https://github.com/relman-demo/purelib/pull/30>`__)"
    ]
    assert _version_files(path) == {"1.1.2.dev0"}
    assert (site / "stable").resolve() == (site / "1.1").resolve()
    assert (site / "1.1" / "index.html").read_text() == "<h1>purelib 1.1.1</h1>"
    ((rcpt, _msg),) = box.take()
    assert rcpt == ["purelib-discuss@example.org", "announce@example.org"]

    # -- security 1.1.2: the sdist alone, verified and installed with the defaults
    _fragment(path, "31.bugfix.rst", "Reject crafted input that made ``slugify`` loop.")
    ran, actions = _release(path, env, "1.1.2", "--kind", "security")
    _as_planned(path, site, "1.1.2", actions)
    assert {"build", "verify", "install-check"} <= ran
    assert "no wheel is expected" in actions
    files = {n for n in _index(tmp_path) if "1.1.2" in n}
    assert files == {"relman_demo_purelib-1.1.2.tar.gz"}
    state = json.loads((path / ".git" / "relman" / "1.1.2.json").read_text())
    assert state["steps"]["install-check"]["installed"] == "1.1.2"
    ((rcpt, msg),) = box.take()
    assert rcpt == ["purelib-discuss@example.org", "security@example.org"]
    assert "a security release" in msg.get_payload(decode=True).decode()

    # -- status on main: the line's last release, nothing unfinished
    _git(path, "checkout", "-q", "main")
    status = json.loads(run_relman("status", "--json", cwd=path, env=env).stdout)
    assert status["last_release"]["tag"] == "v1.1.2" and status["unfinished"] == []
    assert {e["line"]: e["last_release"]["tag"] for e in status["lines"]}["1.1"] == "v1.1.2"

    # -- end of life: the branch head (after 1.1.2's post-release commit) tagged 1.1
    head = _git(origin, "rev-parse", "maintenance/1.1.x")
    plan = json.loads(
        run_relman("plan", "1.1.0", "--kind", "end-of-life", "--json", cwd=path, env=env).stdout
    )
    warned = " ".join(a for s in plan["steps"] for a in s["actions"])
    assert "forward-port-1.1.0 is not merged into main" in warned
    ran, _ = _release(path, env, "1.1.0", "--kind", "end-of-life")
    assert ran == {"eol-checks", "eol-tag", "eol-delete-branch"}
    assert _git(origin, "rev-list", "-n1", "1.1") == head
    assert "maintenance/1.1.x" not in _git(origin, "branch", "--list")
    assert "maintenance/1.1.x" not in _git(path, "branch", "--list")
    status = json.loads(run_relman("status", "--json", cwd=path, env=env).stdout)
    assert {e["line"]: e["ended"] for e in status["lines"]}["1.1"] is True
    assert box.take() == []
