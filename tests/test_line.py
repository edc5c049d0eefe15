"""The release line on small synthetic histories, each shaped like a real project's."""

from __future__ import annotations

import json

from relman.git import Repo
from relman.line import dev_version_after, last_release, release_line, release_range
from relman.project import load_config
from tests.helpers import GitRepo, run_relman


def _pyproject(name: str, version: str) -> str:
    return f'[project]\nname = "{name}"\nversion = "{version}"\n'


def _numpy_like(git_repo: GitRepo) -> GitRepo:
    """NumPy's shape: releases tagged on maintenance/X.Y.x, main tags X.Y.0.dev0."""
    g = git_repo
    g.commit("start", {"pyproject.toml": _pyproject("npy", "2.4.0.dev0")})
    g.tag("v2.4.0.dev0", "start 2.4")
    g.commit("work on 2.4")
    g.checkout("maintenance/2.4.x", create=True)
    g.commit("REL: 2.4.0", {"pyproject.toml": _pyproject("npy", "2.4.0")})
    g.tag("v2.4.0", "2.4.0")
    g.commit("REL: prepare 2.4.x", {"pyproject.toml": _pyproject("npy", "2.4.1")})
    g.commit("REL: 2.4.1")
    g.tag("v2.4.1", "2.4.1")
    g.commit("REL: prepare 2.4.x", {"pyproject.toml": _pyproject("npy", "2.4.2")})
    g.checkout("main")
    g.commit("MAINT: next cycle", {"pyproject.toml": _pyproject("npy", "2.5.0.dev0")})
    g.tag("v2.5.0.dev0", "start 2.5")
    g.commit("ENH: a feature")
    return g


def test_main_finds_the_last_release_tagged_on_a_maintenance_branch(git_repo: GitRepo) -> None:
    g = _numpy_like(git_repo)
    config = load_config(g.path)
    repo = Repo(g.path)
    last = last_release(config, repo)
    assert last is not None and last.name == "v2.4.1"  # not reachable from main
    assert release_range(config, repo) == "v2.5.0.dev0..HEAD"
    data = json.loads(run_relman("status", "--json", cwd=g.path).stdout)
    assert data["last_release"]["tag"] == "v2.4.1"
    assert data["next"]["minor"] == "2.5.0"


def test_pending_untagged_final_is_the_next_bug_fix(git_repo: GitRepo) -> None:
    g = _numpy_like(git_repo)
    g.checkout("maintenance/2.4.x")
    out = run_relman("version", "next", "micro", cwd=g.path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2.4.2"
    data = json.loads(run_relman("status", "--json", cwd=g.path).stdout)
    assert data["pending_release"] is True
    assert data["next"]["bug-fix"] == "2.4.2"
    assert data["last_release"]["tag"] == "v2.4.1"


def test_pending_untagged_pre_release_is_the_next_of_its_kind(git_repo: GitRepo) -> None:
    # towncrier's shape: the tree is set to 1.1.0rc1 before its tag is made
    g = git_repo
    g.commit("start", {"pyproject.toml": _pyproject("tc", "1.0.0")})
    g.tag("1.0.0", "1.0.0")
    g.commit("Update version for release", {"pyproject.toml": _pyproject("tc", "1.1.0rc1")})
    data = json.loads(run_relman("status", "--json", cwd=g.path).stdout)
    assert data["pending_release"] is True
    assert data["next"]["rc"] == "1.1.0rc1"  # the release to make, not rc2
    assert data["next"]["final"] == "1.1.0"
    assert data["next"]["alpha"] is None and data["next"]["beta"] is None
    out = run_relman("version", "next", "rc", cwd=g.path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1.1.0rc1"
    g.tag("1.1.0rc1", "1.1.0rc1")  # tagged: the next rc follows it
    data = json.loads(run_relman("status", "--json", cwd=g.path).stdout)
    assert data["pending_release"] is False
    assert data["next"]["rc"] == "1.1.0rc2"


def test_post_release_version_learned_from_the_maintenance_branch(git_repo: GitRepo) -> None:
    g = _numpy_like(git_repo)
    g.checkout("maintenance/2.4.x")
    config = load_config(g.path)
    repo = Repo(g.path)
    # NumPy 2.x: after 2.4.0 and 2.4.1 the branch went to the next micro, no .dev0
    assert dev_version_after(config, repo, "2.4.2", on_main=False) == "2.4.3"


def _pip_like(git_repo: GitRepo) -> GitRepo:
    """pip's shape: two-part CalVer releases tagged on main, bug-fixes from main."""
    g = git_repo
    g.commit("start", {"pyproject.toml": _pyproject("pipish", "26.1")})
    g.tag("26.1", "26.1")
    g.commit("Bump for development", {"pyproject.toml": _pyproject("pipish", "26.2.dev0")})
    g.commit("Bump for release", {"pyproject.toml": _pyproject("pipish", "26.2")})
    g.tag("26.2", "26.2")
    g.commit("Bump for development", {"pyproject.toml": _pyproject("pipish", "26.3.dev0")})
    g.commit("fix a bug")
    return g


def test_two_part_scheme_is_kept(git_repo: GitRepo) -> None:
    g = _pip_like(git_repo)
    data = json.loads(run_relman("status", "--json", cwd=g.path).stdout)
    assert data["version"] == "26.3.dev0"
    assert data["last_release"]["tag"] == "26.2"
    assert data["next"]["minor"] == "26.3"
    assert data["next"]["final"] == "26.3"
    assert data["next"]["bug-fix"] == "26.2.1"  # pip makes its bug-fixes from main
    # `version next` offers what status shows
    for kind, expected in (("micro", "26.2.1"), ("minor", "26.3"), ("final", "26.3")):
        out = run_relman("version", "next", kind, cwd=g.path)
        assert (out.returncode, out.stdout.strip()) == (0, expected), out.stderr
    config = load_config(g.path)
    line = release_line(config, Repo(g.path))
    assert line.scheme.parts == 2
    # after the next release the main branch goes to the next two-part .dev0
    assert dev_version_after(config, Repo(g.path), "26.3", on_main=True) == "26.4.dev0"
    # a bug-fix made from main returns the tree to the version it had
    assert (
        dev_version_after(config, Repo(g.path), "26.2.1", on_main=True, tree_before="26.3.dev0")
        == "26.3.dev0"
    )


def test_three_part_version_in_a_two_part_project_is_refused(git_repo: GitRepo) -> None:
    g = _pip_like(git_repo)
    before = (g.path / "pyproject.toml").read_text()
    out = run_relman("version", "set", "27.0.0", cwd=g.path)
    assert out.returncode == 2
    assert "two" in out.stderr and "27.0" in out.stderr
    assert (g.path / "pyproject.toml").read_text() == before
    assert run_relman("version", "set", "27.0.0", "--force", cwd=g.path).returncode == 0


def test_git_derived_version_cannot_be_set(git_repo: GitRepo) -> None:
    """attrs' shape since hatch-vcs: the version is the tag."""
    git_repo.commit(
        "start",
        {
            "pyproject.toml": '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
            'build-backend = "hatchling.build"\n[project]\nname = "attrsish"\n'
            'dynamic = ["version"]\n[tool.hatch.version]\nsource = "vcs"\n',
            "src/attrsish/__init__.py": "",
        },
    )
    git_repo.tag("25.1.0", "25.1.0")
    git_repo.commit("work")
    out = run_relman("version", "set", "25.2.0", cwd=git_repo.path)
    assert out.returncode == 2
    assert "comes from git (hatch-vcs)" in out.stderr
    shown = json.loads(run_relman("version", "show", "--json", cwd=git_repo.path).stdout)
    assert shown["version"].startswith("25.1.1.dev1+g")


def test_bug_fix_from_main_passes_the_version_check(git_repo: GitRepo) -> None:
    g = _pip_like(git_repo)
    out = run_relman("check", "--only", "version", "--version", "26.2.1", "--json", cwd=g.path)
    assert out.returncode == 0, out.stdout + out.stderr
    backwards = run_relman("check", "--only", "version", "--version", "26.1.1", cwd=g.path)
    assert backwards.returncode == 0  # 26.1.1 follows 26.1 in its own series


def test_setuptools_scm_version_is_computed(git_repo: GitRepo) -> None:
    """pytest 8's shape: metadata in setup.cfg, [tool.setuptools_scm], no [project]."""
    g = git_repo
    g.commit(
        "start",
        {
            "pyproject.toml": '[build-system]\nrequires = ["setuptools", "setuptools-scm"]\n'
            '[tool.setuptools_scm]\nwrite_to = "src/scmish/_version.py"\n',
            "setup.cfg": "[metadata]\nname = scmish\n",
            "src/scmish/__init__.py": "",
        },
    )
    g.tag("8.2.0", "8.2.0")
    g.commit("work")
    g.commit("more work")
    data = json.loads(run_relman("version", "show", "--json", cwd=g.path).stdout)
    assert data["dynamic"] == "setuptools_scm"
    assert data["version"].startswith("8.2.1.dev2+g")
    assert not (g.path / "src" / "scmish" / "_version.py").exists()  # asked, never written
    status = json.loads(run_relman("status", "--json", cwd=g.path).stdout)
    assert status["next"]["bug-fix"] == "8.2.1"
    assert status["last_release"]["tag"] == "8.2.0"
    check = run_relman("check", "--only", "version", "--json", cwd=g.path)
    assert json.loads(check.stdout)["version"] == "8.2.1"


SPHINX_INIT = """\
__version__: Final = '{version}'
__display_version__: Final = __version__  # used for command line version

version_info: Final = {info}

package_dir = path.abspath(path.dirname(__file__))

_in_development = {dev}
"""


def _sphinx_init(version: str, info: str, dev: bool) -> dict[str, str]:
    return {"sphinx/__init__.py": SPHINX_INIT.format(version=version, info=info, dev=dev)}


def _sphinx_start(g: GitRepo, version: str, info: str) -> None:
    """Sphinx's layout: flit, the version in sphinx/__init__.py, released."""
    g.commit(
        "start",
        {
            "pyproject.toml": '[project]\nname = "Sphinx"\ndynamic = ["version"]\n'
            '[tool.flit.module]\nname = "sphinx"\n',
            **_sphinx_init(version, info, False),
        },
    )


def test_sphinx_development_marker(git_repo: GitRepo) -> None:
    """Sphinx: version_info and _in_development beside __version__ (9.1.0 -> 9.1.1)."""
    g = git_repo
    init = _sphinx_init
    _sphinx_start(g, "9.0.4", "(9, 0, 4, 'final', 0)")
    g.tag("v9.0.4", "9.0.4")
    g.commit("Bump version", init("9.1.0", "(9, 1, 0, 'beta', 0)", True))
    shown = json.loads(run_relman("version", "show", "--json", cwd=g.path).stdout)
    assert shown["version"] == "9.1.0.dev0"
    # a release candidate of the release in development is not going backwards
    out = run_relman("version", "set", "9.1.0rc1", cwd=g.path)
    assert out.returncode == 0, out.stderr
    text = (g.path / "sphinx" / "__init__.py").read_text()
    assert "__version__: Final = '9.1.0rc1'" in text
    assert "version_info: Final = (9, 1, 0, 'candidate', 1)" in text
    assert "_in_development = False" in text
    run_relman("version", "set", "9.1.0", "--force", cwd=g.path)
    g.commit("Bump to 9.1.0 final")
    g.tag("v9.1.0", "9.1.0")
    config = load_config(g.path)
    # learned: after 9.0.4 Sphinx went on to develop 9.1.0 on master
    dev = dev_version_after(config, Repo(g.path), "9.1.0", on_main=True)
    assert dev == "9.2.0.dev0"
    assert run_relman("version", "set", "9.1.1.dev0", cwd=g.path).returncode == 0
    text = (g.path / "sphinx" / "__init__.py").read_text()
    assert "__version__: Final = '9.1.1'" in text
    assert "version_info: Final = (9, 1, 1, 'beta', 0)" in text
    assert "_in_development = True" in text


def test_scipy_version_utils_is_a_source(git_repo: GitRepo) -> None:
    """SciPy 1.11: tools/version_utils.py (ISRELEASED) beside meson.build."""
    utils = "MAJOR = 1\nMINOR = 11\nMICRO = 1\nISRELEASED = False\nVERSION = '%d.%d.%d' % (MAJOR, MINOR, MICRO)\n"
    git_repo.commit(
        "start",
        {
            "pyproject.toml": '[build-system]\nbuild-backend = "mesonpy"\n'
            '[project]\nname = "scipy"\ndynamic = ["version"]\n',
            "meson.build": "project(\n  'SciPy',\n  'c',\n  version: '1.11.1.dev0',\n)\n",
            "tools/version_utils.py": utils,
        },
    )
    out = run_relman("version", "set", "1.11.1", cwd=git_repo.path)
    assert out.returncode == 0, out.stderr
    assert "version: '1.11.1'" in (git_repo.path / "meson.build").read_text()
    assert "ISRELEASED = True" in (git_repo.path / "tools" / "version_utils.py").read_text()


def test_no_post_release_commit_after_a_release_candidate(git_repo: GitRepo) -> None:
    """NumPy and Sphinx go from rc1 straight to rc2: no development commit between."""
    g = git_repo
    g.commit("start", {"pyproject.toml": _pyproject("npy", "2.4.0rc1")})
    g.tag("v2.4.0rc1", "2.4.0rc1")
    g.commit("BUG: a fix")
    g.commit("REL: 2.4.0rc2", {"pyproject.toml": _pyproject("npy", "2.4.0rc2")})
    g.tag("v2.4.0rc2", "2.4.0rc2")
    g.commit("BUG: another fix")
    config = load_config(g.path)
    assert dev_version_after(config, Repo(g.path), "2.4.0rc3", on_main=False) is None
    # a project that says otherwise in its configuration gets the next pre-release's .dev0
    dev = load_config(g.path, overrides={"release": {"dev-after-pre": "dev"}})
    assert dev_version_after(dev, Repo(g.path), "2.4.0rc3", on_main=False) == "2.4.0rc4.dev0"


def test_no_post_release_commit_after_this_lines_last_release_candidate(
    git_repo: GitRepo,
) -> None:
    """Sphinx master: after 8.2.0rc1 a development commit (8.2.0, candidate 2, in
    development); after 9.1.0rc1 none, only fixes, then 9.1.0rc2. The line's own
    last release candidate is the evidence: none after 9.1.0rc2 either."""
    g = git_repo
    init = _sphinx_init
    _sphinx_start(g, "8.2.0rc1", "(8, 2, 0, 'candidate', 1)")
    g.tag("v8.2.0rc1", "8.2.0rc1")
    g.commit("Bump version", init("8.2.0", "(8, 2, 0, 'candidate', 2)", True))
    g.commit("Bump to 8.2.0 final", init("8.2.0", "(8, 2, 0, 'final', 0)", False))
    g.tag("v8.2.0", "8.2.0")
    g.commit("Bump version", init("9.1.0", "(9, 1, 0, 'beta', 0)", True))
    g.commit("Bump to 9.1.0 candidate 1", init("9.1.0rc1", "(9, 1, 0, 'candidate', 1)", False))
    g.tag("v9.1.0rc1", "9.1.0rc1")
    g.commit("Fix a bug")
    config = load_config(g.path)
    # before the release commit (what `plan` sees) and after it, tagged (the
    # post-release step): the version did not move after rc1, so none after rc2
    assert dev_version_after(config, Repo(g.path), "9.1.0rc2", on_main=True) is None
    g.commit("Bump to 9.1.0 candidate 2", init("9.1.0rc2", "(9, 1, 0, 'candidate', 2)", False))
    g.tag("v9.1.0rc2", "9.1.0rc2")
    assert dev_version_after(config, Repo(g.path), "9.1.0rc2", on_main=True) is None
    # a project that says otherwise in its configuration still gets its commit
    dev = load_config(g.path, overrides={"release": {"dev-after-pre": "dev"}})
    assert dev_version_after(dev, Repo(g.path), "9.1.0rc2", on_main=True) is not None


def _shown(g: GitRepo) -> str:
    out = run_relman("version", "show", "--json", cwd=g.path)
    assert out.returncode == 0, out.stderr
    return str(json.loads(out.stdout)["version"])


def test_versioningit_configuration_is_read(git_repo: GitRepo) -> None:
    """versioningit: its default format (X.Y.Z.postN+gHASH), then a project's own
    [tool.versioningit] next-version and format, the way its docs configure them."""
    g = git_repo
    base = (
        '[build-system]\nrequires = ["setuptools", "versioningit"]\n'
        'build-backend = "setuptools.build_meta"\n'
        '[project]\nname = "vig"\ndynamic = ["version"]\n[tool.versioningit]\n'
    )
    g.commit("start", {"pyproject.toml": base})
    g.tag("v1.2.0", "1.2.0")
    assert _shown(g) == "1.2.0"  # exactly on the tag
    g.commit("one")
    g.commit("two")
    rev = g.git("rev-parse", "--short", "HEAD")
    assert _shown(g) == f"1.2.0.post2+g{rev}"
    custom = base + (
        'next-version = "smallest"\n[tool.versioningit.tag2version]\nrmprefix = "v"\n'
        '[tool.versioningit.format]\ndistance = "{next_version}.dev{distance}"\n'
    )
    g.commit("configure", {"pyproject.toml": custom})
    assert _shown(g) == "1.2.1.dev3"
    minor = custom.replace('"smallest"', '"minor"')
    g.commit("next minor", {"pyproject.toml": minor})
    assert _shown(g) == "1.3.0.dev4"
    # a method of the project's own is not run: the version is unknown, not guessed
    own = minor + '[tool.versioningit.next-version]\nmethod = {module = "x", value = "f"}\n'
    g.commit("own method", {"pyproject.toml": own.replace('next-version = "minor"\n', "")})
    shown = json.loads(run_relman("version", "show", "--json", cwd=g.path).stdout)
    assert shown["version"] is None and shown["dynamic"] == "versioningit"


def test_setuptools_git_versioning_templates_are_read(git_repo: GitRepo) -> None:
    """setuptools-git-versioning: template on the tag, dev_template after it
    (default {tag}.post{ccount}+git.{sha}), dirty_template with changes."""
    g = git_repo
    base = (
        '[build-system]\nrequires = ["setuptools", "setuptools-git-versioning"]\n'
        'build-backend = "setuptools.build_meta"\n'
        '[project]\nname = "sgv"\ndynamic = ["version"]\n'
        "[tool.setuptools-git-versioning]\nenabled = true\n"
    )
    g.commit("start", {"pyproject.toml": base})
    assert _shown(g) == "0.0.1"  # no tag yet: starting_version
    g.tag("v2.0.0", "2.0.0")
    assert _shown(g) == "2.0.0"
    g.commit("one")
    sha = g.git("rev-parse", "HEAD")[:8]
    assert _shown(g) == f"2.0.0.post1+git.{sha}"
    g.commit(
        "templates",
        {
            "pyproject.toml": base
            + 'dev_template = "{tag}.dev{ccount}"\ndirty_template = "{tag}.dev{ccount}+dirty"\n'
        },
    )
    assert _shown(g) == "2.0.0.dev2"
    (g.path / "pyproject.toml").write_text(
        base
        + 'dev_template = "{tag}.dev{ccount}"\ndirty_template = "{tag}.dev{ccount}+dirty"\n# edited\n'
    )
    assert _shown(g) == "2.0.0.dev2+dirty"


def test_pending_release_needs_no_version_edit(git_repo: GitRepo) -> None:
    """NumPy 2.5.2: maintenance/2.5.x already says 2.5.2 (written after 2.5.1); the
    release commit changes other lines of pyproject.toml (a classifier), never the
    version, and relman's version step has nothing to write either."""
    from relman.versionfiles import plan_version_change

    g = _numpy_like(git_repo)
    g.checkout("maintenance/2.4.x")
    config = load_config(g.path)
    assert plan_version_change(config, "2.4.2") == {}
    out = run_relman("plan", "2.4.2", "--json", cwd=g.path, env={"RELMAN_RELEASE_SIGN": "none"})
    steps = {s["name"]: s for s in json.loads(out.stdout)["steps"]}
    assert steps["version"]["status"] == "done", steps["version"]
    # the next bug-fix after it is the next micro, as NumPy 2.x writes it (no .dev0)
    assert dev_version_after(config, Repo(g.path), "2.4.2", on_main=False) == "2.4.3"


# NumPy's numpy/_build_utils/gitversion.py, in small: the release from a file of the
# project, and for a development version the date and commit git reports
GITVERSION = """\
import subprocess, sys
version = open("VERSION").read().strip()
if "dev" in version:
    out = subprocess.run(["git", "log", "-1", "--format=%h %cs"], capture_output=True,
                         text=True, check=True).stdout.split()
    version += "+git" + out[1].replace("-", "") + "." + out[0]
print(version)
"""


def test_a_meson_run_command_version_is_what_meson_computes(git_repo: GitRepo) -> None:
    """meson-python with project(version: run_command(...)): the command's output, as
    meson's configure step prints it (NumPy's gitversion.py; a git describe)."""
    g = git_repo
    meson = (
        "project(\n  'demo',\n  'c',\n  version: run_command(\n"
        "    # the version script, NumPy's way\n"
        "    [{command}],\n    check: true).stdout().strip(),\n"
        "  license: 'BSD-3',\n)\n"
    )
    pyproject = (
        '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n'
        '[project]\nname = "demo"\ndynamic = ["version"]\n'
    )
    g.commit(
        "start",
        {
            "pyproject.toml": pyproject,
            "meson.build": meson.format(command="'tools/gitversion.py'"),
            "tools/gitversion.py": GITVERSION,
            "VERSION": "2.5.0.dev0\n",
        },
    )
    short, day = g.git("log", "-1", "--format=%h %cs").split()
    assert _shown(g) == f"2.5.0.dev0+git{day.replace('-', '')}.{short}"
    g.commit("release", {"VERSION": "2.5.0\n"})
    assert _shown(g) == "2.5.0"
    # through meson's python installation object, and a git command run by git
    g.commit(
        "py",
        {
            "meson.build": meson.format(
                command="import('python').find_installation(pure: false), "
                "files('tools/gitversion.py')"
            )
        },
    )
    assert _shown(g) == "2.5.0"
    g.tag("v2.5.0", "2.5.0")
    g.commit(
        "describe",
        {"meson.build": meson.format(command="'git', 'describe', '--tags', '--abbrev=0'")},
    )
    assert _shown(g) == "2.5.0"
    # a command that fails or prints no version: unknown, never a guess
    g.commit(
        "broken",
        {
            "VERSION": "not a version\n",
            "meson.build": meson.format(command="'tools/gitversion.py'"),
        },
    )
    shown = json.loads(run_relman("version", "show", "--json", cwd=g.path).stdout)
    assert shown["version"] is None and shown["dynamic"] == "meson run_command"
