"""The blockers check: open release blockers on GitHub (online, optional).

Open issues and pull requests in the release milestone
(``[tool.relman.github] milestone``, ``{version}`` replaced; default the
version itself) or carrying the blocker label (``blocker-label``), and for release candidates and finals also
``[tool.relman.checks] deferred-blocker-label`` (PEP 101). Without a
token or a repository, or when GitHub cannot be reached, the check reports
that it was skipped, never that it passed.
"""

from __future__ import annotations

from collections.abc import Iterator

from relman.checks import CheckContext, Finding, Skip, get_check, register

ID = "blockers"


@register(ID, "no open issues or pull requests in the release milestone or labelled blocker")
def check_blockers(ctx: CheckContext) -> Iterator[Finding]:
    from relman import forge as forge_mod
    from relman.errors import RemoteError

    check = get_check(ID)
    gh = ctx.config.github
    client = ctx.forge("blockers")
    milestone = None
    if ctx.version:
        milestone = (gh.milestone or "{version}").format(version=ctx.version)
    labels = [gh.blocker_label] if gh.blocker_label else []
    deferred = ctx.config.checks.deferred_blocker_label
    if deferred and ctx.kind in ("rc", "final"):
        labels.append(deferred)
    try:
        with client:
            blockers = forge_mod.list_blockers(client, milestone=milestone, labels=labels)
    except RemoteError as exc:
        raise Skip(f"GitHub could not be asked: {exc.message}") from None
    for b in blockers:
        why = []
        if b.milestone and b.milestone == milestone:
            why.append(f"milestone {b.milestone}")
        why.extend(f"label {label!r}" for label in labels if label in b.labels)
        kind = "pull request" if b.is_pull_request else "issue"
        yield check.finding(
            f"open {kind} #{b.number}: {b.title} ({', '.join(why) or 'blocker'})",
            hint=f"fix it, or move it out of the release: {b.url}",
        )
