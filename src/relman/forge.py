"""GitHub: relman's one forge client.

Everything relman asks GitHub goes through :class:`Forge`: REST calls with
pagination, GraphQL queries, error handling and the token. The base URL comes
from ``[tool.relman.github] api-url`` (GitHub Enterprise, or the local server
the tests run); without a token :func:`forge_from_config` returns None and the
steps that need GitHub report that they were skipped.

Errors from the service are :class:`~relman.errors.RemoteError` (exit 5); the
token never appears in messages.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from relman import _redact
from relman.errors import RemoteError

if TYPE_CHECKING:
    import httpx

    from relman.config import Config

__all__ = [
    "DEFAULT_API_URL",
    "Blocker",
    "CommitCheck",
    "Forge",
    "PullInfo",
    "commit_checks",
    "create_release",
    "fetch_pull_requests",
    "find_draft_release",
    "find_release",
    "forge_from_config",
    "list_blockers",
    "publish_release",
    "release_assets",
    "upload_release_asset",
]

DEFAULT_API_URL = "https://api.github.com"


class Forge:
    """A GitHub API client for one repository (``owner/name``)."""

    def __init__(
        self,
        repo: str,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        max_rate_wait: float = 120.0,
    ) -> None:
        import httpx

        self.repo = repo
        self.api_url = api_url.rstrip("/")
        self.max_rate_wait = max_rate_wait
        _redact.remember(token)
        self._client = httpx.Client(
            base_url=self.api_url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "relman",
            },
            timeout=timeout,
            transport=transport,
            follow_redirects=True,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Forge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rate_wait(self, response: httpx.Response) -> float | None:
        """Seconds to wait before retrying a rate-limited answer (403/429), or None."""
        import time

        if response.status_code not in (403, 429):
            return None
        headers = response.headers
        if "retry-after" in headers:
            try:
                return max(0.0, float(headers["retry-after"]))
            except ValueError:
                return 60.0
        if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
            try:
                return max(0.0, float(headers["x-ratelimit-reset"]) - time.time())
            except ValueError:
                return 60.0
        return 60.0 if response.status_code == 429 else None

    def _send(self, method: str, url: str, what: str, **kwargs: Any) -> httpx.Response:
        """One HTTP exchange, waiting out GitHub's rate limits up to ``max_rate_wait``."""
        import time

        import httpx

        waited = 0.0
        while True:
            try:
                response = self._client.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                raise RemoteError(
                    f"GitHub {what} failed: {type(exc).__name__}: {exc}",
                    hint="check the network and [tool.relman.github] api-url",
                ) from None
            wait = self._rate_wait(response)
            if wait is None:
                return response
            if waited + wait > self.max_rate_wait:
                reset = time.strftime("%H:%M:%S UTC", time.gmtime(time.time() + wait))
                raise RemoteError(
                    f"GitHub {what} is rate-limited (HTTP {response.status_code}) until {reset}",
                    hint="wait until then and run the command again; it resumes where it stopped",
                )
            from relman import _report

            _report.info(f"GitHub rate limit reached; waiting {wait:.0f} s")
            time.sleep(wait + 0.05)
            waited += wait

    def _check(self, response: httpx.Response, what: str) -> Any:
        if response.status_code >= 400:
            try:
                detail = response.json().get("message", "")
            except ValueError:
                detail = response.text[:200]
            hint = None
            if response.status_code in (401, 403):
                hint = "check that the GitHub token is valid and has access to the repository"
            detail = _redact.server_text(str(detail))
            raise RemoteError(
                f"GitHub {what} failed: HTTP {response.status_code} {detail}".rstrip(), hint=hint
            )
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        url: str | None = None,
    ) -> Any:
        """One REST call; ``path`` is relative to the API URL (``/repos/...``)."""
        what = f"{method} {path}"
        response = self._send(
            method, url or path, what, params=params, json=json, content=content, headers=headers
        )
        return self._check(response, what)

    def redirect_location(self, path: str) -> str:
        """The ``Location`` of a redirecting endpoint (artifact downloads), not followed."""
        what = f"GET {path}"
        response = self._send("GET", path, what, follow_redirects=False)
        if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
            return str(response.headers["location"])
        self._check(response, what)
        raise RemoteError(f"GitHub {what} gave no redirect (HTTP {response.status_code})")

    def paginate(
        self, path: str, *, params: Mapping[str, Any] | None = None, key: str = "items"
    ) -> Iterator[Any]:
        """Every item of a paginated REST list, following ``Link: rel="next"``.

        ``key`` names the list in answers that wrap it in an object
        (``workflow_runs``, ``jobs``, ``artifacts``, ``check_runs``).
        """
        url: str | None = path
        query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
        while url:
            response = self._send("GET", url, f"GET {path}", params=query)
            data = self._check(response, f"GET {path}")
            items = data.get(key, []) if isinstance(data, dict) else data
            yield from items or []
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        """One GraphQL query; errors in the answer raise :class:`RemoteError`."""
        url = _graphql_url(self.api_url)
        data = self.request(
            "POST", "/graphql", json={"query": query, "variables": dict(variables or {})}, url=url
        )
        if isinstance(data, dict) and data.get("errors"):
            messages = "; ".join(str(e.get("message", e)) for e in data["errors"])
            raise RemoteError(f"GitHub GraphQL query failed: {_redact.server_text(messages)}")
        return data.get("data") if isinstance(data, dict) else None


def forge_from_config(
    config: Config, *, environ: Mapping[str, str] | None = None, transport: Any = None
) -> Forge | None:
    """A client when a repository and a token are configured, otherwise None."""
    env = os.environ if environ is None else environ
    token = env.get(config.github.token_env) or env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")
    if not config.github.repo or not token:
        return None
    return Forge(
        config.github.repo,
        token,
        api_url=config.github.api_url or DEFAULT_API_URL,
        transport=transport,
    )


# -- releases ---------------------------------------------------------------


def find_release(forge: Forge, tag: str) -> dict[str, Any] | None:
    """The GitHub release of ``tag``, or None when there is none."""
    from relman.errors import RemoteError as _RemoteError

    try:
        data = forge.request("GET", f"/repos/{forge.repo}/releases/tags/{tag}")
    except _RemoteError as exc:
        if "HTTP 404" in exc.message:
            return None
        raise
    return data if isinstance(data, dict) else None


def create_release(
    forge: Forge, tag: str, *, name: str, body: str, prerelease: bool, draft: bool = False
) -> dict[str, Any]:
    """Create the release of ``tag``; ``draft`` keeps it unpublished until :func:`publish_release`."""
    data = forge.request(
        "POST",
        f"/repos/{forge.repo}/releases",
        json={
            "tag_name": tag,
            "name": name,
            "body": body,
            "draft": draft,
            "prerelease": prerelease,
        },
    )
    assert isinstance(data, dict)
    return data


def find_draft_release(forge: Forge, tag: str) -> dict[str, Any] | None:
    """The draft release of ``tag`` (drafts have no ``releases/tags/`` URL), or None."""
    for release in forge.paginate(f"/repos/{forge.repo}/releases"):
        if release.get("draft") and release.get("tag_name") == tag:
            return dict(release)
    return None


def release_assets(forge: Forge, release: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The assets of a release as GitHub lists them (name, size, state)."""
    return list(forge.paginate(f"/repos/{forge.repo}/releases/{release['id']}/assets"))


def publish_release(forge: Forge, release: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a draft into a published release."""
    data = forge.request(
        "PATCH", f"/repos/{forge.repo}/releases/{release['id']}", json={"draft": False}
    )
    assert isinstance(data, dict)
    return data


def upload_release_asset(forge: Forge, release: Mapping[str, Any], path: Any) -> dict[str, Any]:
    """Upload one file to a release through its ``upload_url``."""
    from pathlib import Path

    file = Path(path)
    upload_url = str(release["upload_url"]).split("{", 1)[0]
    data = forge.request(
        "POST",
        upload_url,
        url=upload_url,
        params={"name": file.name},
        content=file.read_bytes(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert isinstance(data, dict)
    return data


# -- release blockers (preflight checks) -----------------------------------------


@dataclass(frozen=True)
class Blocker:
    """An open issue or pull request that blocks a release."""

    number: int
    title: str
    url: str
    is_pull_request: bool
    labels: tuple[str, ...]
    milestone: str | None


def _blocker(item: Mapping[str, Any]) -> Blocker:
    milestone = item.get("milestone") or {}
    return Blocker(
        number=int(item["number"]),
        title=str(item.get("title", "")),
        url=str(item.get("html_url") or item.get("url") or ""),
        is_pull_request="pull_request" in item,
        labels=tuple(str(lb.get("name", "")) for lb in item.get("labels", []) or []),
        milestone=str(milestone.get("title")) if milestone.get("title") else None,
    )


def list_blockers(
    forge: Forge, *, milestone: str | None, labels: Sequence[str] = ()
) -> list[Blocker]:
    """Open issues and pull requests in milestone ``milestone`` (by title) or with a label.

    ``labels`` are alternatives: an item with any of them is listed.
    Uses the documented REST endpoints ``GET /repos/{repo}/milestones`` and
    ``GET /repos/{repo}/issues`` (which lists pull requests too); a milestone
    that does not exist contributes nothing.
    """
    found: dict[int, Blocker] = {}
    base = f"/repos/{forge.repo}"
    if milestone:
        number = None
        for ms in forge.paginate(f"{base}/milestones", params={"state": "open"}):
            if str(ms.get("title", "")).strip() == milestone:
                number = ms.get("number")
                break
        if number is not None:
            for item in forge.paginate(
                f"{base}/issues", params={"state": "open", "milestone": str(number)}
            ):
                found.setdefault(int(item["number"]), _blocker(item))
    for label in labels:
        for item in forge.paginate(f"{base}/issues", params={"state": "open", "labels": label}):
            found.setdefault(int(item["number"]), _blocker(item))
    return [found[n] for n in sorted(found)]


# -- pull requests in bulk (changelog titles, backport labels) ----------------

_NOT_FOUND = "NOT_FOUND"


@dataclass(frozen=True)
class PullInfo:
    number: int
    title: str
    url: str
    labels: tuple[str, ...]


def _graphql_url(api_url: str) -> str:
    # GitHub serves GraphQL at /graphql beside the REST root (/api/graphql on Enterprise)
    root = api_url.rstrip("/")
    return root[: -len("/v3")] + "/graphql" if root.endswith("/v3") else root + "/graphql"


def fetch_pull_requests(
    forge: Forge, numbers: Iterable[int], *, batch: int = 100
) -> dict[int, PullInfo]:
    """Title, URL and labels of many pull requests: one GraphQL request per ``batch`` (<= 100).

    Numbers GitHub does not know (issues, deleted pull requests) are left out.
    """
    wanted = sorted(set(numbers))
    owner, _, name = forge.repo.partition("/")
    found: dict[int, PullInfo] = {}
    size = max(1, min(batch, 100))
    for i in range(0, len(wanted), size):
        chunk = wanted[i : i + size]
        fields = "\n".join(
            f"    pr{n}: pullRequest(number: {n}) "
            "{ number title url labels(first: 50) { nodes { name } } }"
            for n in chunk
        )
        query = (
            "query($owner: String!, $name: String!) {\n"
            f"  repository(owner: $owner, name: $name) {{\n{fields}\n  }}\n}}"
        )
        data = forge.request(
            "POST",
            "/graphql",
            json={"query": query, "variables": {"owner": owner, "name": name}},
            url=_graphql_url(forge.api_url),
        )
        if not isinstance(data, dict):
            raise RemoteError("GitHub GraphQL answer is not a JSON object")
        errors = [e for e in data.get("errors") or [] if e.get("type") != _NOT_FOUND]
        if errors:
            messages = "; ".join(str(e.get("message", e)) for e in errors)
            raise RemoteError(f"GitHub GraphQL query failed: {_redact.server_text(messages)}")
        repository = (data.get("data") or {}).get("repository") or {}
        for n in chunk:
            node = repository.get(f"pr{n}")
            if not isinstance(node, dict):
                continue
            labels = tuple(
                str(lab.get("name", ""))
                for lab in ((node.get("labels") or {}).get("nodes") or [])
                if isinstance(lab, dict)
            )
            found[n] = PullInfo(
                int(node.get("number", n)),
                str(node.get("title", "")),
                str(node.get("url", "")),
                labels,
            )
    return found


# -- CI state of a commit (preflight check) --------------------------------------------


@dataclass(frozen=True)
class CommitCheck:
    """One check run or commit status on a commit, reduced to what a release asks."""

    name: str
    state: str  # "success", "failure", "pending", "neutral", "skipped"
    url: str


_CONCLUSIONS = {
    "success": "success",
    "neutral": "neutral",
    "skipped": "skipped",
    "failure": "failure",
    "cancelled": "failure",
    "timed_out": "failure",
    "action_required": "failure",
    "startup_failure": "failure",
    "stale": "pending",
}


def commit_checks(forge: Forge, sha: str) -> list[CommitCheck]:
    """Check runs (``GET .../commits/{sha}/check-runs``) and statuses (``.../status``) of a commit."""
    base = f"/repos/{forge.repo}/commits/{sha}"
    out: list[CommitCheck] = []
    for run in forge.paginate(f"{base}/check-runs", key="check_runs"):
        if run.get("status") != "completed":
            state = "pending"
        else:
            state = _CONCLUSIONS.get(str(run.get("conclusion")), "failure")
        out.append(CommitCheck(str(run.get("name", "")), state, str(run.get("html_url") or "")))
    combined = forge.request("GET", f"{base}/status")
    for status in (combined or {}).get("statuses", []) or []:
        raw = str(status.get("state", "pending"))
        state = {"success": "success", "pending": "pending"}.get(raw, "failure")
        out.append(
            CommitCheck(str(status.get("context", "")), state, str(status.get("target_url") or ""))
        )
    return out
