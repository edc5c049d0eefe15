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
from tests.helpers import GitRepo, run_relman, snapshot

PROJECT = '[project]\nname = "plain"\nversion = "2.0.0"\n'


class _Collect:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []
        self.event = threading.Event()

    refuse: tuple[str, ...] = ()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

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
    eml = Path(where.where)
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
    assert where.where == f"smtp://127.0.0.1:{port}"
    assert where.accepted == ("list@example.org",) and not where.refused
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


def _smtp_project(git_repo: GitRepo, port: int, extra: str = "") -> Path:
    return _project(
        git_repo,
        "\n[tool.relman.announce]\nsmtp-host = '127.0.0.1'\n"
        f"smtp-port = {port}\nstarttls = false\nsender = 'Release Team <rm@example.org>'\n" + extra,
    )


def test_recipients_by_kind_bcc_and_date(
    git_repo: GitRepo, smtp_server: tuple[int, _Collect]
) -> None:
    """NumPy: release candidates go to its own lists; finals to python-announce too, blind."""
    port, handler = smtp_server
    path = _smtp_project(
        git_repo,
        port,
        "to = ['discuss@example.org']\nbcc-by-kind = { final = ['announce@example.org'] }\n",
    )
    config = load_config(path, environ={})
    rc = send_announcement(
        config,
        render_announcement(config, "2.0.0rc1"),
        version="2.0.0rc1",
        git_dir=path / ".git",
        kind="rc",
    )
    assert rc.accepted == ("discuss@example.org",)
    final = send_announcement(
        config,
        render_announcement(config, "2.0.0"),
        version="2.0.0",
        git_dir=path / ".git",
        kind="final",
    )
    assert final.accepted == ("discuss@example.org", "announce@example.org")
    (_, rcpt_rc, _), (mail_from, rcpt, msg) = handler.messages
    assert rcpt_rc == ["discuss@example.org"]
    assert mail_from == "rm@example.org"
    assert rcpt == ["discuss@example.org", "announce@example.org"]
    assert msg["To"] == "discuss@example.org" and msg["Bcc"] is None
    assert msg["Date"] and email.utils.parsedate_to_datetime(msg["Date"]) is not None


def test_a_refused_recipient_is_reported_not_sent(
    git_repo: GitRepo, smtp_server: tuple[int, _Collect]
) -> None:
    port, handler = smtp_server
    handler.refuse = ("gone@example.org",)
    path = _smtp_project(git_repo, port, "to = ['list@example.org', 'gone@example.org']\n")
    config = load_config(path, environ={})
    sent = send_announcement(
        config, render_announcement(config, "2.0.0"), version="2.0.0", git_dir=path / ".git"
    )
    assert sent.accepted == ("list@example.org",)
    assert sent.refused["gone@example.org"].startswith("550")
    assert handler.messages[0][1] == ["list@example.org"]


def test_unknown_kind_in_recipients_is_a_config_error(git_repo: GitRepo) -> None:
    path = _project(git_repo, "\n[tool.relman.announce]\nto-by-kind = { finale = ['a@b.c'] }\n")
    config = load_config(path, environ={})
    with pytest.raises(ConfigError) as info:
        send_announcement(
            config, render_announcement(config, "2.0.0"), version="2.0.0", git_dir=path / ".git"
        )
    assert "unknown release kind 'finale'" in str(info.value) and "'final'" in str(info.value)


def test_outbox_is_plain_text(git_repo: GitRepo) -> None:
    path = _project(git_repo)
    config = load_config(path, environ={})
    long = "- " + "a very long line of the release notes with a link " * 4 + "(café)"
    sent = send_announcement(
        config,
        render_announcement(config, "2.0.0", notes=long),
        version="2.0.0",
        git_dir=path / ".git",
    )
    raw = Path(sent.where).read_bytes()
    assert b"quoted-printable" not in raw
    assert long.encode() in raw


def test_template_gets_counts_and_links(git_repo: GitRepo) -> None:
    path = _project(
        git_repo,
        "\n[tool.relman.announce]\ntemplate = 'ann.j2'\n",
    )
    (path / "ann.j2").write_text(
        "{{ kind }} {{ contributors }} {{ new_contributors }} {{ pull_requests }} "
        "{{ index_url }} {{ docs_url }} {{ changelog_url }}\n"
    )
    config = load_config(path, environ={})
    text = render_announcement(
        config, "2.0.0", context={"kind": "final", "contributors": 3, "pull_requests": 7}
    ).body
    assert text == "final 3 None 7 None None None\n"


PIP_NEWS = """\
.. note

   You should *NOT* be adding new change log entries to this file, this
   file is managed by towncrier.

singlenews
==========

.. towncrier release notes start

0.3.0 (2026-01-10)
==================

Bug Fixes
---------

- An older fix that must stay out of the mail. (#3)
"""


def test_the_release_mails_its_own_section_of_a_single_news_file(
    git_repo: GitRepo, smtp_server: tuple[int, _Collect]
) -> None:
    """pip's, attrs' and pytest's layout: one NEWS.rst for every release, with a title,
    the start string and every earlier release; the mail carries 0.4.0's section only."""
    port, handler = smtp_server
    pyproject = (
        '[project]\nname = "singlenews"\nversion = "0.4.0.dev0"\n\n'
        '[tool.towncrier]\ndirectory = "changes"\nfilename = "NEWS.rst"\n'
        "\n[tool.relman.announce]\nsmtp-host = '127.0.0.1'\n"
        f"smtp-port = {port}\nstarttls = false\nto = ['list@example.org']\n"
        "sender = 'rm@example.org'\n"
    )
    git_repo.commit(
        "init",
        {
            "pyproject.toml": pyproject,
            "NEWS.rst": PIP_NEWS,
            "changes/9.feature.rst": "Brand new ``--fast`` option.\n",
            "changes/11.bugfix.rst": "Fixed the crash at exit.\n",
        },
    )
    env = {"RELMAN_RELEASE_SIGN": "none", "SOURCE_DATE_EPOCH": "1772323200"}
    out = run_relman(
        "release", "0.4.0", "--only", "notes,version,tag,announce", cwd=git_repo.path, env=env
    )
    assert out.returncode == 0, out.stdout + out.stderr
    # the news file in the release commit holds both releases; the mail only 0.4.0's
    committed = git_repo.git("show", "v0.4.0:NEWS.rst")
    assert "0.4.0 (2026-03-01)" in committed and "An older fix" in committed
    assert handler.event.wait(10)
    (_, rcpt, msg), *more = handler.messages
    assert rcpt == ["list@example.org"] and not more
    body = msg.get_payload(decode=True).decode(msg.get_content_charset() or "utf-8")
    body = body.replace("\r\n", "\n")
    notes = (
        "Features\n--------\n\n- Brand new --fast option. (#9)\n\n"
        "Bugfixes\n--------\n\n- Fixed the crash at exit. (#11)\n"
    )
    start = body.index("Features\n")
    # a blank line before the notes and one after them, before the text that follows
    assert body[:start].endswith("singlenews 0.4.0.\n\n")
    assert body[start:].startswith(notes + "\n")
    assert body[start + len(notes) + 1] != "\n"
    for absent in (
        "singlenews\n==========",  # the news file's title
        "towncrier release notes start",
        "You should *NOT* be adding",
        "0.3.0",
        "An older fix",
        "0.4.0 (2026-03-01)\n====",  # the section's own title is the mail's subject
    ):
        assert absent not in body, absent
    # every paragraph of the mail stands apart, the tag line too (no files attached here)
    assert '"singlenews==0.4.0"\n\nThe release is tagged v0.4.0' in body
