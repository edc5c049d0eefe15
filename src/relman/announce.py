"""Release announcements: rendered from a template, sent by SMTP or written to an outbox.

The text comes from a jinja2 template (``[tool.relman.announce] template``,
or relman's own) with the project name, version, release kind, release notes,
files with their SHA256, the tag, the counts of contributors (and first-time
ones) and merged pull requests, and links to the index, the docs and the
changelog where they are known. Recipients depend on the kind
(:func:`recipients`: ``to-by-kind`` / ``bcc-by-kind``, else ``to`` / ``bcc``;
NumPy announces release candidates to its own lists and finals to
python-announce too, blind-copied). With ``smtp-host`` configured the message
is sent (credentials from ``RELMAN_SMTP_USER`` / ``RELMAN_SMTP_PASSWORD``, never
printed) and every recipient the server refuses is reported, not counted as
sent; otherwise it is written to the outbox folder as an ``.eml`` file in plain
8-bit text (readable and copyable), the embedded default, so that nothing is
ever sent by surprise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from relman import _atomic
from relman.config import Config
from relman.errors import ConfigError, RemoteError

__all__ = [
    "Announcement",
    "Sent",
    "outbox_dir",
    "recipients",
    "render_announcement",
    "send_announcement",
]

KINDS = ("alpha", "beta", "rc", "final", "bug-fix", "security")


@dataclass(frozen=True)
class Announcement:
    subject: str
    body: str

    def as_email(self, *, sender: str, to: Sequence[str], bcc: Sequence[str] = ()) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = self.subject
        msg["From"] = sender
        msg["To"] = ", ".join(to)
        if bcc:  # smtplib sends to them and drops the header; the outbox keeps it
            msg["Bcc"] = ", ".join(bcc)
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or None)
        # plain text as it is: never quoted-printable, so the outbox copy reads as sent
        msg.set_content(self.body, cte="7bit" if self.body.isascii() else "8bit")
        return msg


@dataclass(frozen=True)
class Sent:
    """Where the announcement went: accepted and refused recipients, or the outbox file."""

    where: str
    accepted: tuple[str, ...] = ()
    refused: Mapping[str, str] = field(default_factory=dict)


def recipients(config: Config, kind: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The To and Bcc recipients of an announcement of a ``kind`` release."""
    import difflib

    ann = config.announce
    for key, table in (("to-by-kind", ann.to_by_kind), ("bcc-by-kind", ann.bcc_by_kind)):
        for name in table:
            if name not in KINDS:
                close = difflib.get_close_matches(name, KINDS, n=1)
                raise ConfigError(
                    f"[tool.relman.announce] {key} names an unknown release kind {name!r}"
                    + (f" (did you mean {close[0]!r}?)" if close else ""),
                    hint="kinds: " + ", ".join(KINDS),
                )
    to = tuple(ann.to_by_kind.get(kind, ann.to))
    bcc = tuple(ann.bcc_by_kind.get(kind, ann.bcc))
    return to, bcc


def outbox_dir(config: Config, git_dir: Path) -> Path:
    if config.announce.outbox:
        return (config.project_dir / config.announce.outbox).resolve()
    return git_dir / "relman" / "outbox"


def render_announcement(
    config: Config,
    version: str,
    *,
    notes: str = "",
    files: Mapping[str, str] | None = None,
    tag: str | None = None,
    commit: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> Announcement:
    """The announcement of ``version``; ``files`` maps file names to sha256.

    ``context`` adds template variables (the release pipeline gives ``kind``,
    ``contributors``, ``new_contributors``, ``pull_requests``, ``index_url``,
    ``docs_url`` and ``changelog_url``); each defaults to None.
    """
    import jinja2

    if config.announce.template:
        path = config.project_dir / config.announce.template
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"announcement template {path} cannot be read: {exc.strerror}",
                hint="fix [tool.relman.announce] template",
            ) from None
        name = str(path)
    else:
        source = (Path(__file__).parent / "templates" / "announcement.txt.j2").read_text(
            encoding="utf-8"
        )
        name = "announcement.txt.j2"
    env = jinja2.Environment(
        keep_trailing_newline=True, trim_blocks=True, undefined=jinja2.StrictUndefined
    )
    try:
        template = env.from_string(source)
        extra = {
            "kind": None,
            "contributors": None,
            "new_contributors": None,
            "pull_requests": None,
            "index_url": None,
            "docs_url": None,
            "changelog_url": None,
            **(context or {}),
        }
        body = template.render(
            **extra,
            name=config.name,
            version=version,
            notes=notes.strip(),
            files=[{"name": n, "sha256": d} for n, d in sorted((files or {}).items())],
            tag=tag,
            commit=commit,
        )
    except jinja2.TemplateError as exc:
        raise ConfigError(
            f"announcement template {name} failed: {exc}",
            hint="fix the template; see relman's templates/announcement.txt.j2 for the variables",
        ) from None
    return Announcement(subject=f"[ANN] {config.name} {version} released", body=body)


def send_announcement(
    config: Config,
    announcement: Announcement,
    *,
    version: str,
    git_dir: Path,
    kind: str = "final",
    skip: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
) -> Sent:
    """Send by SMTP when configured (not again to ``skip``), else write to the outbox."""
    env = os.environ if environ is None else environ
    sender = config.announce.sender or f"{config.name} release team <noreply@localhost>"
    to, bcc = recipients(config, kind)
    msg = announcement.as_email(sender=sender, to=to or ["undisclosed-recipients:;"], bcc=bcc)
    if not config.announce.smtp_host:
        path = outbox_dir(config, git_dir) / f"{config.name}-{version}.eml"
        _atomic.write_bytes(path, bytes(msg))
        return Sent(str(path))
    if not to and not bcc:
        raise ConfigError(
            f"an SMTP server is configured but an announcement of a {kind} release has no "
            "recipients",
            hint="set [tool.relman.announce] to = ['list@example.org'] (or to-by-kind)",
        )
    import smtplib

    wanted = [r for r in (*to, *bcc) if r not in set(skip)]
    host, port = config.announce.smtp_host, config.announce.smtp_port
    refused: dict[str, str] = {}
    try:
        with smtplib.SMTP(host, port, timeout=30) as smtp:
            if config.announce.starttls:
                smtp.starttls()
            user, password = env.get("RELMAN_SMTP_USER"), env.get("RELMAN_SMTP_PASSWORD")
            if user and password:
                smtp.login(user, password)
            if wanted:
                try:
                    answer = smtp.send_message(msg, from_addr=_address(sender), to_addrs=wanted)
                except smtplib.SMTPRecipientsRefused as exc:  # every one of them
                    answer = exc.recipients
                for rcpt, (code, text) in answer.items():
                    reason = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
                    refused[rcpt] = f"{code} {reason}"
    except (OSError, smtplib.SMTPException) as exc:
        raise RemoteError(
            f"sending the announcement through {host}:{port} failed: {type(exc).__name__}: {exc}",
            hint="check [tool.relman.announce] smtp-host, smtp-port and starttls",
        ) from None
    accepted = tuple(r for r in wanted if r not in refused)
    return Sent(f"smtp://{host}:{port}", accepted=accepted, refused=refused)


def _address(sender: str) -> str:
    from email.utils import parseaddr

    return parseaddr(sender)[1] or sender
