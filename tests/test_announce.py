"""Announcements: rendered from the template, sent to a real SMTP server on loopback."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from relman.announce import render_announcement, send_announcement
from relman.errors import ConfigError, RemoteError
from relman.project import load_config
from tests.helpers import GitRepo, snapshot

PROJECT = '[project]\nname = "plain"\nversion = "2.0.0"\n'


class _Collect:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []
        self.event = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                email.message_from_bytes(envelope.content),
            )
        )
        self.event.set()
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Collect]]:
    from aiosmtpd.controller import Controller

    handler = _Collect()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def _project(git_repo: GitRepo, extra: str = "") -> Path:
    git_repo.commit("init", {"pyproject.toml": PROJECT + extra})
    return git_repo.path


def test_render_has_notes_files_and_tag(git_repo: GitRepo) -> None:
    config = load_config(_project(git_repo), environ={})
    ann = render_announcement(
        config,
        "2.0.0",
        notes="Highlights\n----------\n\n- faster",
        files={"plain-2.0.0.tar.gz": "ab" * 32},
        tag="v2.0.0",
        commit="c0ffee",
    )
    assert ann.subject == "[ANN] plain 2.0.0 released"
    assert "release of\nplain 2.0.0" in ann.body
    assert "- faster" in ann.body
    assert f"{'ab' * 32}  plain-2.0.0.tar.gz" in ann.body
    assert "tagged v2.0.0 at commit c0ffee" in ann.body


def test_outbox_by_default(git_repo: GitRepo) -> None:
    path = _project(git_repo)
    config = load_config(path, environ={})
    where = send_announcement(
        config, render_announcement(config, "2.0.0"), version="2.0.0", git_dir=path / ".git"
    )
    eml = Path(where)
    assert eml.parent == path / ".git" / "relman" / "outbox"
    msg = email.message_from_bytes(eml.read_bytes())
    assert msg["Subject"] == "[ANN] plain 2.0.0 released"


def test_sent_to_real_smtp_server(git_repo: GitRepo, smtp_server: tuple[int, _Collect]) -> None:
    port, handler = smtp_server
    path = _project(
        git_repo,
        (
            "\n[tool.relman.announce]\nsmtp-host = '127.0.0.1'\n"
            f"smtp-port = {port}\nstarttls = false\nto = ['list@example.org']\nsender = 'rm@example.org'\n"
        ),
    )
    config = load_config(path, environ={})
    where = send_announcement(
        config,
        render_announcement(config, "2.0.0", notes="- news"),
        version="2.0.0",
        git_dir=path / ".git",
    )
    assert where == f"smtp://127.0.0.1:{port} to list@example.org"
    assert handler.event.wait(10)
    mail_from, rcpt, msg = handler.messages[0]
    assert mail_from == "rm@example.org"
    assert rcpt == ["list@example.org"]
    assert msg["Subject"] == "[ANN] plain 2.0.0 released"
    assert "- news" in msg.get_payload()


def test_smtp_server_down_is_a_remote_error(git_repo: GitRepo) -> None:
    port = _free_port()
    path = _project(
        git_repo,
        (
            f"\n[tool.relman.announce]\nsmtp-host = '127.0.0.1'\nsmtp-port = {port}\n"
            "starttls = false\nto = ['list@example.org']\n"
        ),
    )
    config = load_config(path, environ={})
    with pytest.raises(RemoteError) as info:
        send_announcement(
            config, render_announcement(config, "2.0.0"), version="2.0.0", git_dir=path / ".git"
        )
    assert info.value.exit_code == 5
    assert f"127.0.0.1:{port}" in str(info.value)


def test_broken_template_is_a_config_error(git_repo: GitRepo) -> None:
    path = _project(git_repo, "\n[tool.relman.announce]\ntemplate = 'ann.j2'\n")
    (path / "ann.j2").write_text("{{ name }} {% if %}\n")
    before = snapshot(path)
    config = load_config(path, environ={})
    with pytest.raises(ConfigError) as info:
        render_announcement(config, "2.0.0")
    assert "ann.j2" in str(info.value)
    assert snapshot(path) == before
