"""Driving GitHub Actions against the local GitHub-shaped server (tests/github_server.py).

Scripted runs go from queued to completed over about a second, fail a job,
lose an artifact (410), rate-limit (403/429 with reset headers) or serve a zip
with ``../`` paths; artifacts download through a redirect to a second local
server that refuses any Authorization header.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from relman import actions
from relman.errors import CheckFailed, RemoteError
from relman.forge import Forge
from tests.github_server import TOKEN, Blob, FakeGitHub, ScriptedRun, fake_github, make_zip

SHA = "a" * 40
NAME, VERSION = "relman-demo-cext", "0.4.0"
IDS = ["cp311-manylinux_x86_64", "cp312-manylinux_x86_64", "cp311-win_amd64", "cp312-win_amd64"]


def _wheel(ident: str, version: str = VERSION) -> str:
    py, plat = ident.split("-", 1)
    plat = {"manylinux_x86_64": "manylinux_2_17_x86_64.manylinux2014_x86_64"}.get(plat, plat)
    return f"relman_demo_cext-{version}-{py}-{py}-{plat}.whl"


def _blobs() -> list[Blob]:
    blobs = [Blob("sdist", make_zip({f"relman_demo_cext-{VERSION}.tar.gz": b"sdist"}))]
    blobs += [Blob(f"wheels-{i}", make_zip({_wheel(i): i.encode() * 50})) for i in IDS]
    return blobs


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with fake_github() as server:
        yield server


@pytest.fixture
def forge(gh: FakeGitHub) -> Iterator[Forge]:
    with Forge("octo/demo", TOKEN, api_url=gh.url, max_rate_wait=5) as f:
        yield f


def test_dispatch_then_follow_a_run_from_queued_to_completed(gh: FakeGitHub, forge: Forge) -> None:
    gh.on_dispatch = lambda body: ScriptedRun(head_sha=SHA, duration=1.0)
    run_id = actions.dispatch_workflow(
        forge, "release.yml", ref="v0.4.0", inputs={"ref": "v0.4.0", "environment": "none"}
    )
    assert run_id is not None
    dispatch = next(r for r in gh.requests if r["path"].endswith("/dispatches"))
    assert dispatch["inputs"] == {"ref": "v0.4.0", "environment": "none"}
    seen: list[str] = []
    run = actions.wait_for_run(
        forge, run_id, poll=0.1, timeout=10, on_update=lambda r: seen.append(r.status)
    )
    assert run.ok and run.head_sha == SHA
    assert seen[0] == "queued" and "in_progress" in seen and seen[-1] == "completed"
    assert [j.state for j in run.jobs] == ["passed"] * 3
    assert all(j.duration is not None for j in run.jobs)


def test_a_server_that_answers_204_has_its_run_found_by_commit_and_event(
    gh: FakeGitHub, forge: Forge
) -> None:
    gh.return_run_details = False
    gh.add_run(ScriptedRun(head_sha=SHA, event="push"))
    gh.add_run(ScriptedRun(head_sha="b" * 40))
    gh.on_dispatch = lambda body: ScriptedRun(head_sha=SHA)
    t0 = time.time() - 1
    assert actions.dispatch_workflow(forge, "release.yml", ref="main", inputs={}) is None
    found = actions.find_run(
        forge, "release.yml", head_sha=SHA, event="workflow_dispatch", created_after=t0
    )
    assert found is not None and found.event == "workflow_dispatch" and found.head_sha == SHA
    push = actions.find_run(forge, "release.yml", head_sha=SHA, event="push")
    assert push is not None and push.id != found.id
    assert actions.find_run(forge, "release.yml", head_sha="c" * 40) is None


def test_failed_job_then_rerun_failed(gh: FakeGitHub, forge: Forge) -> None:
    run = gh.add_run(ScriptedRun(head_sha=SHA, failing={"wheels"}, duration=0.2))
    time.sleep(0.3)
    got = actions.get_run(forge, run.id)
    assert got.done and not got.ok and got.conclusion == "failure"
    assert {j.name: j.state for j in got.jobs}["wheels"] == "failed"
    actions.rerun_failed(forge, run.id)
    again = actions.wait_for_run(forge, run.id, poll=0.1, timeout=5)
    assert again.ok


def test_fetch_follows_the_redirect_without_the_token_checks_and_resumes(
    gh: FakeGitHub, forge: Forge, tmp_path: Path
) -> None:
    gh.page_size = 2  # five artifacts on three pages
    run = gh.add_run(ScriptedRun(head_sha=SHA, blobs=_blobs(), duration=0))
    dest, cache = tmp_path / "dist", tmp_path / "cache"
    report = actions.fetch_artifacts(
        forge, run.id, dest=dest, cache=cache, name=NAME, version=VERSION, expected=IDS
    )
    assert len(report.files) == 5 and len(report.downloaded) == 5
    assert sorted(p.name for p in dest.iterdir()) == sorted(f.filename for f in report.files)
    assert len(gh.storage_requests) == 5
    assert all(r["auth"] is None for r in gh.storage_requests)
    import hashlib

    for f in report.files:
        assert f.sha256 == hashlib.sha256((dest / f.filename).read_bytes()).hexdigest()
    pages = [r for r in gh.requests if "/artifacts" in r["path"] and "/zip" not in r["path"]]
    assert len(pages) == 3
    # a killed fetch: one zip is half there; only that one is fetched again
    victim = next(cache.glob("*wheels-cp312-win_amd64.zip"))
    victim.write_bytes(victim.read_bytes()[:10])
    again = actions.fetch_artifacts(
        forge, run.id, dest=dest, cache=cache, name=NAME, version=VERSION, expected=IDS
    )
    assert again.downloaded == ("wheels-cp312-win_amd64",) and len(again.reused) == 4
    assert len(gh.storage_requests) == 6


def test_storage_refuses_a_token(gh: FakeGitHub) -> None:
    import httpx

    blob = gh.add_run(ScriptedRun(head_sha=SHA, blobs=_blobs())).blobs[0]
    url = f"{gh.storage_url}/blobs/{blob.id}"
    assert httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 400
    assert httpx.get(url).status_code == 200


def test_an_incomplete_or_wrong_set_is_refused(
    gh: FakeGitHub, forge: Forge, tmp_path: Path
) -> None:
    blobs = _blobs()[:-1]  # cp312-win_amd64 never built
    blobs.append(Blob("wheels-old", make_zip({_wheel("cp312-win_amd64", "0.3.9"): b"x"})))
    run = gh.add_run(ScriptedRun(head_sha=SHA, blobs=blobs))
    with pytest.raises(CheckFailed) as exc:
        actions.fetch_artifacts(
            forge,
            run.id,
            dest=tmp_path / "d",
            cache=tmp_path / "c",
            name=NAME,
            version=VERSION,
            expected=IDS,
        )
    text = exc.value.message
    assert "version 0.3.9, expected 0.4.0" in text


def test_expired_artifact_is_a_clear_error(gh: FakeGitHub, forge: Forge, tmp_path: Path) -> None:
    blobs = _blobs()
    blobs[2].expired = True
    run = gh.add_run(ScriptedRun(head_sha=SHA, blobs=blobs))
    with pytest.raises(RemoteError, match="expired") as exc:
        actions.fetch_artifacts(
            forge, run.id, dest=tmp_path / "d", cache=tmp_path / "c", name=NAME, version=VERSION
        )
    assert exc.value.hint and "re-run" in exc.value.hint
    assert not (tmp_path / "d").exists()
    # an artifact that expires between the listing and the download: GitHub's 410
    blob = gh.artifacts[blobs[1].id]
    with pytest.raises(RemoteError, match="410"):
        forge.redirect_location(f"/repos/octo/demo/actions/artifacts/{blob.id}/zip")
        blob.expired = True
        forge.redirect_location(f"/repos/octo/demo/actions/artifacts/{blob.id}/zip")


def test_zip_with_parent_paths_is_refused_whole(
    gh: FakeGitHub, forge: Forge, tmp_path: Path
) -> None:
    evil = make_zip({_wheel(IDS[0]): b"ok", "../../escaped.txt": b"owned"})
    run = gh.add_run(ScriptedRun(head_sha=SHA, blobs=[Blob("wheels-evil", evil)]))
    dest = tmp_path / "a" / "b" / "dist"
    with pytest.raises(CheckFailed, match=r"not a safe zip: \.\./\.\./escaped\.txt"):
        actions.fetch_artifacts(
            forge, run.id, dest=dest, cache=tmp_path / "c", name=NAME, version=VERSION
        )
    assert not list(tmp_path.rglob("escaped.txt"))
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize("code", [403, 429])
def test_rate_limits_are_waited_out(gh: FakeGitHub, forge: Forge, code: int) -> None:
    run = gh.add_run(ScriptedRun(head_sha=SHA, duration=0))
    gh.rate_limits.append((code, 1.0))
    t0 = time.monotonic()
    assert actions.get_run(forge, run.id, jobs=False).id == run.id
    assert time.monotonic() - t0 >= 0.9


def test_a_long_rate_limit_is_a_clear_error(gh: FakeGitHub, forge: Forge) -> None:
    run = gh.add_run(ScriptedRun(head_sha=SHA, duration=0))
    gh.rate_limits.append((403, 3600.0))
    with pytest.raises(RemoteError, match="rate-limited") as exc:
        actions.get_run(forge, run.id)
    assert TOKEN not in exc.value.message
    assert exc.value.hint and "again" in exc.value.hint
