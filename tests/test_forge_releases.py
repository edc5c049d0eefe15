"""GitHub releases through relman's forge client, against a local server with GitHub's shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from relman.errors import RemoteError
from relman.forge import Forge, create_release, find_release, upload_release_asset
from tests.github_server import fake_github


def test_create_find_and_upload(tmp_path: Path) -> None:
    asset = tmp_path / "pkg-1.0.0.tar.gz"
    asset.write_bytes(b"archive bytes")
    with fake_github() as gh, Forge("org/pkg", gh.token, api_url=gh.url) as forge:
        assert find_release(forge, "v1.0.0") is None
        release = create_release(forge, "v1.0.0", name="pkg 1.0.0", body="notes", prerelease=False)
        upload_release_asset(forge, release, asset)
        found = find_release(forge, "v1.0.0")
        assert found is not None
        assert [a["name"] for a in found["assets"]] == ["pkg-1.0.0.tar.gz"]
        assert gh.uploads["pkg-1.0.0.tar.gz"] == b"archive bytes"
        assert gh.releases[0]["prerelease"] is False


def test_bad_token_is_a_remote_error_without_the_token(tmp_path: Path) -> None:
    with (
        fake_github() as gh,
        Forge("org/pkg", "ghp_WRONG_secret_value", api_url=gh.url) as forge,
        pytest.raises(RemoteError) as info,
    ):
        create_release(forge, "v1.0.0", name="x", body="", prerelease=True)
    assert "HTTP 401" in str(info.value)
    assert "ghp_WRONG_secret_value" not in str(info.value)
    assert info.value.hint and "token" in info.value.hint


def test_draft_is_invisible_by_tag_until_published(tmp_path: Path) -> None:
    from relman.forge import find_draft_release, publish_release, release_assets

    asset = tmp_path / "pkg-1.0.0.tar.gz"
    asset.write_bytes(b"sdist bytes")
    with fake_github() as gh, Forge("octo/demo", gh.token, api_url=gh.url) as forge:
        draft = create_release(
            forge, "v1.0.0", name="v1.0.0 (2026-12-01)", body="", prerelease=False, draft=True
        )
        assert find_release(forge, "v1.0.0") is None  # GitHub serves no draft by tag
        found = find_draft_release(forge, "v1.0.0")
        assert found is not None and found["id"] == draft["id"]
        upload_release_asset(forge, found, asset)
        assert [(a["name"], a["size"]) for a in release_assets(forge, found)] == [
            ("pkg-1.0.0.tar.gz", 11)
        ]
        publish_release(forge, found)
        published = find_release(forge, "v1.0.0")
        assert published is not None and published["draft"] is False
        assert find_draft_release(forge, "v1.0.0") is None
