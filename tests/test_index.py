"""The index client: targets, credentials, the upload form, reading PEP 691/503 pages."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from relman import index
from relman.errors import UsageError
from relman.project import load_config
from tests.conftest import INDEX_TOKEN
from tests.helpers import GitRepo
from tests.indexserver import make_dists, make_wheel


@pytest.fixture
def project(git_repo: GitRepo) -> Path:
    git_repo.commit(
        "project",
        {"pyproject.toml": '[project]\nname = "many-wheels"\nversion = "1.0.0"\n'},
    )
    return git_repo.path


def test_local_target_lives_in_the_git_dir(project: Path) -> None:
    config = load_config(project)
    target = index.resolve_target(config, None)
    assert target.kind == "local"
    assert target.directory == (project / ".git" / "relman" / "index").resolve()
    assert index.local_index_dir(config) == target.directory
    assert index.install_url(target) == (target.directory / "simple").as_uri() + "/"


def test_local_dir_from_config(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "many-wheels"\nversion = "1.0.0"\n'
        '[tool.relman.publish]\nlocal-dir = "out/index"\n',
        encoding="utf-8",
    )
    target = index.resolve_target(load_config(project), "local")
    assert target.directory == (project / "out" / "index").resolve()


def test_public_targets_come_from_twine(project: Path) -> None:
    from twine import utils as twine_utils

    config = load_config(project)
    pypi = index.resolve_target(config, "pypi")
    test = index.resolve_target(config, "testpypi")
    assert pypi.upload_url == twine_utils.DEFAULT_REPOSITORY
    assert test.upload_url == twine_utils.TEST_REPOSITORY
    # the simple index sits beside the upload API: .../legacy/ -> .../simple/
    for target in (pypi, test):
        assert target.simple_url.endswith("/simple/")
        assert "upload." not in target.simple_url
        assert "legacy" not in target.simple_url
        assert target.public
    assert not index.resolve_target(config, "http://127.0.0.1:1/legacy/").public
    # twine's constants are read from its source: twine (and requests) are not imported
    code = (
        "import sys\n"
        "from relman import index\n"
        "from relman.project import load_config\n"
        f"t = index.resolve_target(load_config({str(project)!r}), 'pypi')\n"
        "print(t.upload_url, t.public, 'twine' in sys.modules, 'requests' in sys.modules)\n"
    )
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [twine_utils.DEFAULT_REPOSITORY, "True", "False", "False"]


def test_a_twine_constant_assigned_twice_is_read_as_python_reads_it(
    project: Path, tmp_path: Path
) -> None:
    """A twine whose module assigns an upload URL on two lines (the later wins, as when it
    is imported) or not as a plain string: the module is parsed, or imported."""
    import subprocess
    import sys

    fake = tmp_path / "site" / "twine"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("", encoding="utf-8")
    (fake / "utils.py").write_text(
        'DEFAULT_REPOSITORY = "https://old.invalid/legacy/"\n'
        'DEFAULT_REPOSITORY = "https://new.invalid/legacy/"\n'
        'TEST_REPOSITORY = "https://" + "test.invalid/legacy/"\n'
        '"""\nTEST_REPOSITORY = "https://docstring.invalid/legacy/"\n"""\n',
        encoding="utf-8",
    )
    code = (
        "from relman import index\n"
        "from relman.project import load_config\n"
        f"c = load_config({str(project)!r})\n"
        "print(*(index.resolve_target(c, n).upload_url for n in ('pypi', 'testpypi')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["https://new.invalid/legacy/", "https://test.invalid/legacy/"]


def test_each_file_is_read_once_for_both_digests(tmp_path: Path) -> None:
    from relman.index.dists import describe_file, upload_fields

    wheel = next(p for p in make_dists(tmp_path, "demo", "1.0", wheels=1) if p.suffix == ".whl")
    dist = describe_file(wheel)
    data = wheel.read_bytes()
    assert dist.sha256 == hashlib.sha256(data).hexdigest()
    assert dist.blake2_256 == hashlib.blake2b(data, digest_size=32).hexdigest()
    fields = dict(upload_fields(dist))
    assert fields["sha256_digest"] == dist.sha256
    assert fields["blake2_256_digest"] == dist.blake2_256


def test_url_target_and_simple_url(project: Path) -> None:
    config = load_config(project)
    target = index.resolve_target(config, "http://127.0.0.1:9/")
    assert (target.kind, target.upload_url, target.simple_url) == (
        "remote",
        "http://127.0.0.1:9/",
        "http://127.0.0.1:9/simple/",
    )
    assert target.credentials is None


def test_pypirc_repository_and_credentials(project: Path, isolated_env: Path) -> None:
    (isolated_env / ".pypirc").write_text(
        "[distutils]\nindex-servers =\n    staging\n\n"
        f"[staging]\nrepository = http://127.0.0.1:9/upload/\nusername = ci\npassword = {INDEX_TOKEN}\n",
        encoding="utf-8",
    )
    target = index.resolve_target(load_config(project), "staging")
    assert target.upload_url == "http://127.0.0.1:9/upload/"
    assert target.simple_url == "http://127.0.0.1:9/upload/simple/"
    assert target.credentials is not None
    assert target.credentials.username == "ci"
    assert target.credentials.source == "~/.pypirc"
    assert target.credentials.password() == INDEX_TOKEN
    # the secret is nowhere in what can be shown
    for shown in (repr(target), str(target.credentials), json.dumps(target.describe())):
        assert INDEX_TOKEN not in shown


def test_credential_precedence(
    project: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (isolated_env / ".pypirc").write_text(
        "[staging]\nrepository = http://127.0.0.1:9/\nusername = rc\npassword = from-pypirc\n",
        encoding="utf-8",
    )
    config = load_config(project)
    monkeypatch.setenv("TWINE_USERNAME", "alice")
    monkeypatch.setenv("TWINE_PASSWORD", "from-twine-env")
    creds = index.resolve_target(config, "staging").credentials
    assert creds is not None
    assert (creds.username, creds.password()) == ("alice", "from-twine-env")
    monkeypatch.setenv("RELMAN_INDEX_TOKEN", INDEX_TOKEN)
    creds = index.resolve_target(config, "staging").credentials
    assert creds is not None
    assert (creds.username, creds.password(), creds.source) == (
        "__token__",
        INDEX_TOKEN,
        "RELMAN_INDEX_TOKEN",
    )


def test_credentials_in_the_url_are_taken_out(project: Path) -> None:
    target = index.resolve_target(load_config(project), f"http://bob:{INDEX_TOKEN}@127.0.0.1:9/")
    assert target.upload_url == "http://127.0.0.1:9/"
    assert target.credentials is not None and target.credentials.password() == INDEX_TOKEN
    assert INDEX_TOKEN not in repr(target)
    assert INDEX_TOKEN not in json.dumps(target.describe())


def test_unknown_target_is_a_usage_error(project: Path) -> None:
    with pytest.raises(UsageError) as err:
        index.resolve_target(load_config(project), "staging-nowhere")
    assert "unknown publish target 'staging-nowhere'" in err.value.message
    assert err.value.hint is not None and "pypirc" in err.value.hint


def test_upload_form_matches_twine(tmp_path: Path) -> None:
    """The form fields are exactly those twine sends for the same file."""
    from twine.package import PackageFile
    from twine.repository import Repository

    for path in make_dists(tmp_path, wheels=2):
        ours = index.upload_fields(index.describe_file(path))
        package = PackageFile.from_filename(str(path), None)
        theirs = Repository._convert_metadata_to_list_of_tuples(package.metadata_dictionary())
        theirs += [(":action", "file_upload"), ("protocol_version", "1")]
        assert sorted(ours) == sorted(theirs), path.name
        assert ("sha256_digest", hashlib.sha256(path.read_bytes()).hexdigest()) in ours


def test_describe_file_rejects_other_files(tmp_path: Path) -> None:
    (tmp_path / "SHA256SUMS").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="not a wheel or an sdist"):
        index.describe_file(tmp_path / "SHA256SUMS")
    (tmp_path / "bad.whl").write_bytes(b"")
    with pytest.raises(UsageError, match="not a valid distribution file name"):
        index.describe_file(tmp_path / "bad.whl")


def test_find_dist_files_leaves_out_signatures(tmp_path: Path) -> None:
    paths = make_dists(tmp_path, wheels=1)
    (tmp_path / (paths[0].name + ".asc")).write_text("sig", encoding="utf-8")
    (tmp_path / "SHA256SUMS").write_text("sums", encoding="utf-8")
    assert index.find_dist_files(tmp_path) == sorted(paths)


def test_parse_pep691_json() -> None:
    body = json.dumps(
        {
            "meta": {"api-version": "1.1"},
            "name": "demo",
            "files": [
                {
                    "filename": "demo-1.0-py3-none-any.whl",
                    "url": "../../files/demo-1.0-py3-none-any.whl",
                    "hashes": {"sha256": "ab" * 32},
                    "requires-python": ">=3.10",
                    "yanked": "broken",
                },
                {"filename": "demo-1.0.tar.gz", "url": "/f/demo-1.0.tar.gz", "hashes": {}},
            ],
        }
    ).encode()
    files = index.parse_project_page(body, index.JSON_TYPE, "http://127.0.0.1:1/simple/demo/")
    assert files[0] == index.IndexFile(
        filename="demo-1.0-py3-none-any.whl",
        url="http://127.0.0.1:1/files/demo-1.0-py3-none-any.whl",
        sha256="ab" * 32,
        requires_python=">=3.10",
        yanked=True,
    )
    assert (files[1].url, files[1].sha256) == ("http://127.0.0.1:1/f/demo-1.0.tar.gz", None)


def test_parse_pep503_html_even_when_json_was_asked_for() -> None:
    body = (
        b"<html><body>"
        b'<a href="../../packages/demo-1.0.tar.gz#sha256=' + b"cd" * 32 + b'" '
        b'data-requires-python="&gt;=3.9">demo-1.0.tar.gz</a><br>'
        b'<a href="demo-1.0-py3-none-any.whl#md5=00">demo-1.0-py3-none-any.whl</a>'
        b"</body></html>"
    )
    files = index.parse_project_page(body, "text/html", "http://127.0.0.1:1/simple/demo/")
    assert [(f.filename, f.sha256, f.requires_python) for f in files] == [
        ("demo-1.0.tar.gz", "cd" * 32, ">=3.9"),
        ("demo-1.0-py3-none-any.whl", None, None),
    ]
    assert files[0].url == "http://127.0.0.1:1/packages/demo-1.0.tar.gz"


@pytest.mark.slow
def test_list_files_reads_pypiserver_html(pypiserver: object, project: Path) -> None:
    """pypiserver ignores the Accept header and answers PEP 503 HTML."""
    from tests.indexserver import IndexServer

    assert isinstance(pypiserver, IndexServer)
    config = load_config(project)
    target = index.resolve_target(config, pypiserver.url)
    assert index.list_files(target, "many-wheels") == {}
    wheel = make_wheel(project, "many-wheels", "1.0.0", "py3-none-any")
    (pypiserver.packages / wheel.name).write_bytes(wheel.read_bytes())
    assert index.list_files(target, "Many_Wheels", config=config) == {
        wheel.name: hashlib.sha256(wheel.read_bytes()).hexdigest()
    }


def test_credentials_from_keyring(project: Path, isolated_env: Path) -> None:
    import keyring
    from keyring.backend import KeyringBackend

    class DictKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    (isolated_env / ".pypirc").write_text(
        "[staging]\nrepository = http://127.0.0.1:9/\nusername = keyed\n", encoding="utf-8"
    )
    previous = keyring.get_keyring()
    backend = DictKeyring()
    backend.set_password("http://127.0.0.1:9/", "keyed", INDEX_TOKEN)
    keyring.set_keyring(backend)
    try:
        creds = index.resolve_target(load_config(project), "staging").credentials
    finally:
        keyring.set_keyring(previous)
    assert creds is not None
    assert (creds.username, creds.password(), creds.source) == ("keyed", INDEX_TOKEN, "keyring")
    assert INDEX_TOKEN not in repr(creds)
