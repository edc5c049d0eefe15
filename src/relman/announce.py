"""Release announcements: rendered from a template, sent by SMTP or written to an outbox.

The text comes from a jinja2 template (``[tool.relman.announce] template``,
or relman's own) with the project name, version, release notes, files with
their SHA256 and the tag. With ``smtp-host`` configured the message is sent
(credentials from ``RELMAN_SMTP_USER`` / ``RELMAN_SMTP_PASSWORD``, never
printed); otherwise it is written to the outbox folder as an ``.eml`` file, the
embedded default, so that nothing is ever sent by surprise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from relman import _atomic
from relman.config import Config
from relman.errors import ConfigError, RemoteError

__all__ = ["Announcement", "outbox_dir", "render_announcement", "send_announcement"]


@dataclass(frozen=True)
class Announcement:
    subject: str
    body: str

    def as_email(self, *, sender: str, to: Sequence[str]) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = self.subject
        msg["From"] = sender
        msg["To"] = ", ".join(to)
        msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
        msg.set_content(self.body)
        return msg


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
) -> Announcement:
    """The announcement of ``version``; ``files`` maps file names to sha256."""
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
        body = template.render(
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
    environ: Mapping[str, str] | None = None,
) -> str:
    """Send by SMTP when configured, else write to the outbox; returns where it went."""
    env = os.environ if environ is None else environ
    sender = config.announce.sender or f"{config.name} release team <noreply@localhost>"
    to = list(config.announce.to)
    msg = announcement.as_email(sender=sender, to=to or ["undisclosed-recipients:;"])
    if not config.announce.smtp_host:
        path = outbox_dir(config, git_dir) / f"{config.name}-{version}.eml"
        _atomic.write_bytes(path, bytes(msg))
        return str(path)
    if not to:
        raise ConfigError(
            "an SMTP server is configured but no recipients",
            hint="set [tool.relman.announce] to = ['list@example.org']",
        )
    import smtplib

    host, port = config.announce.smtp_host, config.announce.smtp_port
    try:
        with smtplib.SMTP(host, port, timeout=30) as smtp:
            if config.announce.starttls:
                smtp.starttls()
            user, password = env.get("RELMAN_SMTP_USER"), env.get("RELMAN_SMTP_PASSWORD")
            if user and password:
                smtp.login(user, password)
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise RemoteError(
            f"sending the announcement through {host}:{port} failed: {type(exc).__name__}: {exc}",
            hint="check [tool.relman.announce] smtp-host, smtp-port and starttls",
        ) from None
    return f"smtp://{host}:{port} to {', '.join(to)}"
