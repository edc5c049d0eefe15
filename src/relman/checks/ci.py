"""The ci check: CI is green on the release commit (PEP 101's "buildbots green"; online).

Reads the check runs and the commit statuses of HEAD on GitHub
(``GET /repos/{repo}/commits/{sha}/check-runs`` and ``.../status``): a failed
one is an error, pending ones are a warning naming them, and a commit with
none at all is a warning too. Without a token or a repository, or when GitHub
cannot be reached, the check reports that it was skipped, never that it passed.
"""

from __future__ import annotations

from collections.abc import Iterator

from relman.checks import CheckContext, Finding, Skip, get_check, register

ID = "ci"


@register(ID, "the release commit's check runs and statuses on GitHub passed")
def check_ci(ctx: CheckContext) -> Iterator[Finding]:
    from relman import forge as forge_mod
    from relman.errors import RemoteError

    check = get_check(ID)
    client = ctx.forge("CI status")
    sha = ctx.repo.head()
    try:
        with client:
            checks = forge_mod.commit_checks(client, sha)
    except RemoteError as exc:
        raise Skip(f"GitHub could not be asked: {exc.message}") from None
    if not checks:
        yield check.finding(
            f"no check runs or statuses on {sha[:12]}",
            severity="warning",
            hint="push the commit and let CI run before releasing it",
        )
        return
    for c in checks:
        if c.state == "failure":
            yield check.finding(
                f"{c.name} failed on {sha[:12]}",
                hint=f"fix it or re-run it first: {c.url}" if c.url else "fix it or re-run it",
            )
    pending = sorted({c.name for c in checks if c.state == "pending"})
    if pending:
        yield check.finding(
            f"still running on {sha[:12]}: {', '.join(pending)}",
            severity="warning",
            hint="wait for CI to finish (`relman check` again)",
        )
