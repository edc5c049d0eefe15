"""Project styles of the changelog on small synthetic histories, one rule per test.

Each history stands for a real project's habits: NumPy (merge commits
"Merge pull request #N from user/branch", one backport PR per original on
maintenance/X.Y.x, tools/changelog.py), SciPy (squash merges "Title (#N)" on
main, one "backports" PR of cherry-picks per bug-fix release,
tools/release/authors.py with a name-only .mailmap), and pytest (merge
commits whose subject is "Title (#N)").
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relman.git import Repo
from relman.history import collect_changelog, render_changelog, sanitize_title
from relman.history.styles import sanitize_titles
from relman.project import load_config
from tests.helpers import GitRepo, run_relman

PYPROJECT = """\
[project]
name = "{name}"
version = "1.3.0.dev0"

[tool.relman]
main-branch = "main"

[tool.relman.changelog]
pr-url = "https://example.org/p/pull/{{number}}"
{extra}
"""
ANN = ("Ann Author", "ann@example.org")
BEN = ("Ben Builder", "ben@example.org")
CAT = ("Cat Coder", "cat@example.org")
TYLER = ("Tyler Reddy", "tyler@example.org")


def _project(repo: GitRepo, name: str = "proj", extra: str = "") -> GitRepo:
    repo.write({"pyproject.toml": PYPROJECT.format(name=name, extra=extra)})
    repo.commit("Initial import", author=ANN)
    return repo


def _collect(repo: GitRepo, rev_range: str, style: str | None = None):
    return collect_changelog(load_config(repo.path), Repo(repo.path), rev_range, style=style)


def _numbers(changelog) -> list[int]:
    return [p.number for p in changelog.pull_requests]


@pytest.fixture
def scipy_like(git_repo: GitRepo) -> GitRepo:
    """SciPy: squash merges on main, a maintenance branch, one backports PR of cherry-picks."""
    repo = _project(git_repo, "scipy")
    repo.tag("v1.2.0", "release")
    repo.branch("maintenance/1.2.x")
    fix_a = repo.commit("BUG: fix a (#10)", {"a.txt": "a\n"}, author=BEN)
    repo.checkout("fix-b", create=True)
    fix_b = repo.commit("BUG: fix b", {"b.txt": "b\n"}, author=CAT)
    repo.checkout("main")
    repo.merge("fix-b", "Merge pull request #11 from cat/fix-b\n\nBUG: fix b\n", author=ANN)
    fix_c = repo.commit("BUG: fix c [skip ci] (#12)", {"c.txt": "c\n"}, author=ANN)
    repo.commit("ENH: not backported (#13)", {"e.txt": "e\n"}, author=BEN)
    repo.checkout("maintenance/1.2.x")
    repo.checkout("prep", create=True)
    repo.commit("REL: prep for 1.2.1", {"notes.txt": "1.2.1\n"}, author=TYLER)
    repo.checkout("maintenance/1.2.x")
    repo.merge("prep", "Merge pull request #19 from tyler/prep\n\nREL: prep for 1.2.1\n")
    repo.checkout("backports", create=True)
    repo.git("cherry-pick", fix_a, env={"GIT_COMMITTER_NAME": TYLER[0]})  # keeps "(#10)"
    repo.git("cherry-pick", "-x", fix_b)  # names the commit, not the PR
    # a cherry-pick whose message lost the number: matched to #12 by its subject
    repo.git("cherry-pick", "--no-commit", fix_c)
    repo.commit("BUG: fix c", author=ANN)
    repo.commit("MAINT: PR 20 revisions", author=TYLER)
    repo.checkout("maintenance/1.2.x")
    repo.merge(
        "backports",
        "Merge pull request #20 from tyler/backports\n\nMAINT: backports for 1.2.1\n",
    )
    return repo


def test_scipy_backports_list_the_original_pull_requests(scipy_like):
    log = _collect(scipy_like, "v1.2.0..maintenance/1.2.x")
    assert log.style == "scipy"  # detected from the project's name
    # the originals and the release-prep PR; not the backports PR, not #13
    assert _numbers(log) == [10, 11, 12, 19]
    titles = {p.number: p.title for p in log.pull_requests}
    assert titles[10] == "BUG: fix a" and titles[11] == "BUG: fix b"


def test_pytest_backports_name_their_pull_requests_and_titles(git_repo):
    """pytest's backports: the backport PR's branch holds the original merge commit
    cherry-picked with ``-m 1 -x`` (patchback), its subject still "Merge pull request #N
    from user/branch"; or the backport PR of a squashed PR is squashed in turn, "Title
    (#N) (#M)". The list has #N, with its title from the message, not the branch."""
    repo = _project(git_repo, "plugin")
    repo.tag("v1.2.0", "release")
    repo.branch("1.2.x")
    repo.checkout("doc-fix", create=True)
    repo.commit("doc: fix the scope example", {"d.txt": "d\n"}, author=BEN)
    repo.checkout("main")
    merged = repo.merge(
        "doc-fix", "Merge pull request #21 from ben/doc-fix\n\ndoc: fix the scope example\n"
    )
    squashed = repo.commit("[automated] Update plugin list (#30)", {"p.txt": "p\n"}, author=CAT)
    repo.checkout("1.2.x")
    repo.checkout("patchback-21", create=True)
    repo.git("cherry-pick", "-m", "1", "-x", merged)
    repo.checkout("1.2.x")
    repo.merge(
        "patchback-21",
        f"Merge pull request #25 from org/patchback/backports/1.2.x/{merged}/pr-21\n\n"
        "[PR #21/0123abcd backport][1.2.x] doc: fix the scope example\n",
    )
    repo.git("cherry-pick", squashed)
    repo.git("commit", "--amend", "-q", "-m", "[automated] Update plugin list (#30) (#31)")
    log = _collect(repo, "v1.2.0..1.2.x")
    assert [(p.number, p.title) for p in log.pull_requests] == [
        (21, "doc: fix the scope example"),
        (30, "[automated] Update plugin list"),
    ]


def test_numpy_style_lists_the_backport_pull_request_itself(scipy_like):
    log = _collect(scipy_like, "v1.2.0..maintenance/1.2.x", style="numpy")
    assert _numbers(log) == [19, 20]


RELEASE_INDEX = """\
Release notes
=============

.. toctree::
   :maxdepth: 1

{entries}
"""


def test_scipy_x_y_0_leaves_out_what_an_older_line_shipped_and_fork_merges(git_repo):
    """SciPy 1.15.0: PRs listed in 1.14.x's notes and fork PRs merged into a PR branch are not its.

    #30 was merged on main after maintenance/1.2.x forked and backported to
    1.2.0 without its number (only 1.2.0's notes show it); #3 is a pull
    request of a contributor's fork, merged into the branch of #32.
    """
    repo = _project(git_repo, "scipy")
    index = {"doc/source/release.rst": RELEASE_INDEX.format(entries="   release/1.2.0-notes")}
    repo.write(index)
    repo.commit("DOC: release index", author=ANN)
    repo.branch("maintenance/1.2.x")
    fix = repo.commit("BUG: fix x (#30)", {"x.txt": "x\n"}, author=BEN)
    repo.commit("ENH: new thing (#31)", {"n.txt": "n\n"}, author=BEN)
    repo.checkout("feature", create=True)
    repo.commit("ENH: big feature", {"f.txt": "f\n"}, author=CAT)
    repo.checkout("fork-help", create=True)
    repo.commit("DOC: document the feature", {"f.txt": "f\ndoc\n"}, author=BEN)
    repo.checkout("feature")
    repo.merge("fork-help", "Merge pull request #3 from ben/fork-help\n\nDocs for it\n")
    repo.checkout("main")
    repo.merge("feature", "Merge pull request #32 from cat/feature\n\nENH: big feature\n")
    repo.checkout("maintenance/1.2.x")
    repo.git("cherry-pick", "--no-commit", fix)
    repo.commit("BUG: fix x", author=TYLER)  # the number lost on the way
    notes = (
        "SciPy 1.2.0 Release Notes\n"
        "=========================\n\n"
        "Issues closed for 1.2.0\n"
        "-----------------------\n\n"
        "* `#29 <https://github.com/scipy/scipy/issues/29>`__: x is broken\n\n"
        "Pull requests for 1.2.0\n"
        "-----------------------\n\n"
        "* `#30 <https://github.com/scipy/scipy/pull/30>`__: BUG: fix x\n"
    )
    repo.commit("REL: 1.2.0", {"doc/source/release/1.2.0-notes.rst": notes}, author=TYLER)
    repo.tag("v1.2.0", "release")
    repo.checkout("main")
    repo.write({"doc/source/release/1.2.0-notes.rst": notes})
    repo.write(
        {
            "doc/source/release.rst": RELEASE_INDEX.format(
                entries="   release/1.3.0-notes\n   release/1.2.0-notes"
            )
        }
    )
    repo.commit("DOC: forward-port the 1.2.0 notes (#33)", author=TYLER)
    repo.tag("v1.3.0", "release")
    base = repo.git("merge-base", "v1.2.0", "v1.3.0").strip()
    log = _collect(repo, f"{base}..v1.3.0")
    assert log.style == "scipy"
    assert _numbers(log) == [31, 32, 33]
    # NumPy's script counts every merge commit and knows no milestones
    assert _numbers(_collect(repo, f"{base}..v1.3.0", style="numpy")) == [3, 30, 31, 32, 33]


def test_a_subject_several_main_prs_share_names_none_of_them(git_repo):
    """SciPy backports PRs whose cherry-picks lost the number; "lint" matches no one PR on main."""
    repo = _project(git_repo, "scipy")
    repo.tag("v1.2.0", "release")
    repo.branch("maintenance/1.2.x")
    picks = {}
    for number, name in ((40, "a"), (41, "b")):
        repo.checkout(f"pr-{name}", create=True)
        repo.commit(f"BUG: fix {name}", {f"{name}.txt": "1\n"}, author=BEN)
        picks[name] = repo.commit("lint", {f"{name}.txt": "2\n"}, author=BEN)
        repo.checkout("main")
        repo.merge(
            f"pr-{name}", f"Merge pull request #{number} from ben/pr-{name}\n\nBUG: {name}\n"
        )
    repo.checkout("maintenance/1.2.x")
    repo.checkout("backports", create=True)
    repo.git("cherry-pick", "--no-commit", picks["b"] + "~1")
    repo.commit("BUG: fix b", author=TYLER)
    repo.git("cherry-pick", "--no-commit", picks["b"])
    repo.commit("lint", author=TYLER)
    repo.checkout("maintenance/1.2.x")
    repo.merge("backports", "Merge pull request #50 from tyler/backports\n\nMAINT: backports\n")
    log = _collect(repo, "v1.2.0..maintenance/1.2.x")
    # "BUG: fix b" names #41; "lint" is in #40 and #41 alike and names neither
    assert _numbers(log) == [41]


def test_numpy_release_prep_pr_is_not_in_its_own_changelog(git_repo):
    """NumPy 2.0.1: the changelog is written in "Merge pull request #27000 from
    charris/prepare-2.0.1" before it merges, so #27000 is not in it; the PR
    that first wrote the file (the release candidate's) is."""
    repo = _project(git_repo, "numpy", 'path = "doc/changelog/{version}-changelog.rst"')
    repo.tag("v1.2.0", "release")
    for number, branch, text in (
        (40, "prepare-1.3.0rc1", "rc1 list\n"),
        (41, "fix", None),
        (42, "prepare-1.3.0", "final list\n"),
    ):
        repo.checkout(branch, create=True)
        files = {"doc/changelog/1.3.0-changelog.rst": text} if text else {"f.txt": "f\n"}
        repo.commit(f"REL: {branch}", files, author=BEN)
        repo.checkout("main")
        repo.merge(branch, f"Merge pull request #{number} from ben/{branch}\n\nREL: {branch}\n")
    config, git = load_config(repo.path), Repo(repo.path)
    with_version = collect_changelog(config, git, "v1.2.0..HEAD", version="1.3.0")
    assert _numbers(with_version) == [40, 41]
    # without a version (or in another style) the range's pull requests are all listed
    assert _numbers(collect_changelog(config, git, "v1.2.0..HEAD")) == [40, 41, 42]
    assert _numbers(
        collect_changelog(config, git, "v1.2.0..HEAD", version="1.3.0", style="default")
    ) == [40, 41, 42]
    out = run_relman("changelog", "--release", "1.3.0", "v1.2.0..HEAD", cwd=repo.path)
    assert out.returncode == 0, out.stderr
    assert "#42" not in out.stdout and "#41" in out.stdout


def test_scipy_authors_committers_thanks_and_name_only_mailmap(git_repo):
    repo = _project(
        git_repo,
        "scipy",
    )
    repo.write(
        {
            ".mailmap": (
                "# name-only mapping, as SciPy's authors.py reads it\n"
                "Tyler Reddy <tyler@example.org> tylerjereddy <tyler@users.example.org>\n"
                "Vincent van der Berg <vvdb@example.org> vvdb <other@example.org>\n"
            )
        }
    )
    repo.commit("MAINT: mailmap", author=ANN)
    repo.tag("v1.2.0", "release")
    repo.commit("BUG: one (#5)", author=("tylerjereddy", "tyler@users.example.org"))
    repo.commit(
        "ENH: two (#6)\n\nThanks to Jane Q Public and Zed Zulu for the idea.\n",
        author=("vvdb", "x@example.org"),
    )
    repo.commit("DOC: three (#7)\n\nCo-authored-by: Claude <noreply@anthropic.com>\n", author=BEN)
    # a web merge: GitHub is the committer, and is not a person
    repo.git(
        "commit",
        "--allow-empty",
        "-q",
        "-m",
        "MAINT: four (#8)",
        env={
            "GIT_AUTHOR_NAME": "Ann Author",
            "GIT_AUTHOR_EMAIL": "ann@example.org",
            "GIT_COMMITTER_NAME": "GitHub",
            "GIT_COMMITTER_EMAIL": "noreply@github.com",
        },
    )
    log = _collect(repo, "v1.2.0..HEAD")
    names = [(a.name, a.commits, a.new) for a in log.authors]
    # sorted by surname, "van der" skipped; author and committer both count
    assert names == [
        ("Ann Author", 1, False),
        ("Vincent van der Berg", 2, True),
        ("Ben Builder", 2, True),
        ("Jane Q Public", 1, True),
        ("Tyler Reddy", 2, True),
        ("Zed Zulu", 1, True),
    ]
    text = render_changelog(log, "rst", version="1.2.1")
    assert "* Vincent van der Berg (2) +\n" in text
    assert "A total of 6 people contributed to this release." in text
    assert "Pull requests for 1.2.1\n-----------------------\n" in text
    assert "GitHub" not in text.split("Pull requests")[0]


def test_title_merge_commits_on_the_first_parent_line(git_repo):
    """pytest merges pull requests with merge commits whose subject is "Title (#N)"."""
    repo = _project(git_repo)
    repo.tag("v1.2.0", "release")
    repo.checkout("topic", create=True)
    repo.commit("work in progress", author=BEN)
    repo.checkout("main")
    repo.merge("topic", "Fix the thing (#14307)", author=ANN)
    log = _collect(repo, "v1.2.0..HEAD")
    assert log.style == "default"
    assert [(p.number, p.title) for p in log.pull_requests] == [(14307, "Fix the thing")]
    # NumPy's script only reads "Merge pull request" merges: so does its style
    assert _numbers(_collect(repo, "v1.2.0..HEAD", style="numpy")) == []


def test_merge_without_body_takes_the_title_from_the_branch(git_repo):
    repo = _project(git_repo, "numpy")
    repo.tag("v1.2.0", "release")
    repo.checkout("gh23283", create=True)
    repo.commit("BUG: fix the overflow in sum", author=BEN)
    repo.checkout("main")
    repo.merge("gh23283", "Merge pull request #23300 from mdhaber/gh23283", author=ANN)
    log = _collect(repo, "v1.2.0..HEAD")
    assert [(p.number, p.title) for p in log.pull_requests] == [
        (23300, "BUG: fix the overflow in sum")
    ]


def test_bots_and_ai_assistants_are_not_people_and_plurals(git_repo):
    repo = _project(git_repo)
    repo.tag("v1.2.0", "release")
    repo.commit(
        "BUG: fix (#3)\n\n"
        "Co-authored-by: Claude <noreply@anthropic.com>\n"
        "Co-authored-by: Cursor Agent <cursoragent@cursor.com>\n"
        "Co-authored-by: Cat Coder <cat@example.org>\n",
        author=BEN,
    )
    repo.commit(
        "MAINT: bump (#4)",
        author=("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
    )
    repo.commit("MAINT: lint (#5)", author=("pytest bot", "pytestbot@users.noreply.github.com"))
    log = _collect(repo, "v1.2.0..HEAD")
    assert [a.display for a in log.authors] == ["Ben Builder +", "Cat Coder +"]
    one = _collect(repo, "v1.2.0..HEAD~2")
    text = render_changelog(one, "rst")
    assert "A total of 2 people contributed" in text
    assert "A total of 1 pull request was merged for this release." in text
    repo.commit("DOC: solo (#6)", author=ANN)
    solo = render_changelog(_collect(repo, "HEAD~1..HEAD"), "rst")
    assert "A total of 1 person contributed" in solo


def test_style_is_detected_from_the_project_script(git_repo):
    repo = _project(git_repo)
    repo.write({"tools/changelog.py": "# NumPy's script\ndef backtick_repl(m): ...\n"})
    repo.commit("MAINT: add the changelog script", author=ANN)
    assert load_config(repo.path).changelog.style == "numpy"
    out = run_relman("config", "--json", cwd=repo.path)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize(
    ("title", "style", "expected"),
    [
        ("ENH: add `np.foo` to **core**", "numpy", r"ENH: add ``np.foo`` to \*\*core\*\*"),
        ("MAINT: `a*b`", "scipy", "MAINT: ``a*b``"),
        ("MAINT: `a*b`", "numpy", r"MAINT: ``a\*b``"),
        # NumPy's script before November 2024: no cut when the next word runs past 80
        ("x" * 59 + " " + "y" * 30, "legacy", "x" * 59 + " " + "y" * 30),
        ("x" * 59 + " yy zz", "legacy", "x" * 59 + " yy..."),
        ("DOC: `a` b", "legacy", "DOC: ``a`` b"),
    ],
)
def test_titles_per_style(title, style, expected):
    assert sanitize_title(title, style) == expected


_TITLE_PARTS = st.sampled_from(
    ["ENH: add", "x" * 40, " ", "  ", "`np.foo`", "``", "*", "\xa0", "\t", "\u2003", "(#12)", "é"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(_TITLE_PARTS, max_size=6).map("".join), max_size=8),
    st.sampled_from(["numpy", "scipy", "legacy", "default"]),
    st.booleans(),
)
def test_titles_rendered_together_as_one_by_one(titles, style, collapsed):
    # a changelog renders all its titles at once: the same as each on its own
    if collapsed:  # as git's titles come: whitespace already collapsed
        titles = [" ".join(t.split()) for t in titles]
    assert sanitize_titles(titles, style) == [sanitize_title(t, style) for t in titles]


def test_legacy_titles_when_the_project_script_predates_them(git_repo):
    repo = _project(git_repo)
    repo.write({"tools/changelog.py": "# NumPy's script of 2023: titles only shortened\n"})
    repo.commit("MAINT: script", author=ANN)
    repo.tag("v1.2.0", "release")
    repo.commit("DOC: mention `np.sum` " + "very " * 20 + "(#9)", author=BEN)
    log = _collect(repo, "v1.2.0..HEAD")
    assert log.title_rules == "legacy"
    assert "* `#9 <https://example.org/p/pull/9>`__: DOC: mention ``np.sum`` very" in (
        render_changelog(log, "rst")
    )


def test_passes_the_cli_starts_early_follow_the_style_it_finds_later(git_repo):
    """The CLI starts the pass before the range before the configuration loads.

    It guesses the style's fields from the project's files (no SciPy scripts
    here: the mailmap rule's); the style set in pyproject.toml is SciPy's, so
    that pass is stopped and the names rule's pass read instead.
    """
    repo = _project(git_repo, extra='style = "scipy"')
    repo.commit("BUG: first fix (#1)", {"a.txt": "a\n"}, author=BEN)
    repo.tag("v1.2.0", "release")
    repo.commit("ENH: new thing (#2)\n\nThanks to Cat Coder.", {"b.txt": "b\n"}, author=ANN)
    out = run_relman("-v", "changelog", "v1.2.0..HEAD", "--offline", cwd=repo.path)
    assert out.returncode == 0, out.stderr
    formats = re.findall(r"debug: \$ [^ ]*git (?:-C [^ ]+ )?log --format=([^ ]+) ", out.stderr)
    mailmap_rule = "%aN\x1f%(trailers:key=Co-authored-by,valueonly,separator=%x1d)\x1e"
    assert formats[1] == mailmap_rule, formats  # started at once, as guessed
    assert "%an\x1f%cn\x1f%b\x1e" in formats[2:], formats  # what the scipy style reads
    assert out.stdout == render_changelog(_collect(repo, "v1.2.0..HEAD"), "rst")
    assert "* Cat Coder (1) +" in out.stdout  # thanked: the names rule
    # with --style the guess is right: one pass before the range
    out = run_relman("-v", "changelog", "v1.2.0..HEAD", "--style", "scipy", cwd=repo.path)
    formats = re.findall(r"debug: \$ [^ ]*git (?:-C [^ ]+ )?log --format=([^ ]+) ", out.stderr)
    assert len(formats) == 2 and formats[1] == "%an\x1f%cn\x1f%b\x1e", formats


# -- bad input -------------------------------------------------------------------------


def test_empty_range_warns_and_lists_nothing(git_repo):
    repo = _project(git_repo)
    repo.tag("v1.2.0", "release")
    out = run_relman("changelog", "v1.2.0..HEAD", cwd=repo.path)
    assert out.returncode == 0, out.stderr
    assert "has no commits" in out.stderr
    assert "A total of 0 people" in out.stdout
    assert "Traceback" not in out.stderr


def test_unknown_range_end_is_a_usage_error(git_repo):
    repo = _project(git_repo)
    out = run_relman("changelog", "HEAD..v9.9.9", cwd=repo.path)
    assert out.returncode == 2
    assert "revision 'v9.9.9'" in out.stderr and "Traceback" not in out.stderr


def test_shallow_clone_marks_no_first_timers(git_repo, tmp_path):
    repo = _project(git_repo)
    for i in range(3):
        repo.commit(f"MAINT: step {i} (#{i + 1})", author=BEN)
    repo.tag("v1.2.0", "release")
    repo.commit("BUG: new person (#9)", author=CAT)
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{repo.path}", str(clone)], check=True
    )
    subprocess.run(
        ["git", "-C", str(clone), "fetch", "-q", "--depth", "2", "origin", "tag", "v1.2.0"],
        check=True,
    )
    out = run_relman("changelog", "--format", "json", "v1.2.0..HEAD", cwd=clone)
    assert out.returncode == 0, out.stderr
    assert "shallow clone" in out.stderr and "none is marked" in out.stderr
    data = json.loads(out.stdout)
    assert data["first_timers_known"] is False
    assert [a["new"] for a in data["authors"]] == [False]


def test_malformed_mailmap_lines_are_reported_by_line(git_repo):
    repo = _project(git_repo)
    repo.write({".mailmap": "Good Name <a@example.org>\nbroken line without email\n"})
    repo.commit("MAINT: mailmap", author=ANN)
    out = run_relman("changelog", "HEAD", cwd=repo.path)
    assert out.returncode == 0, out.stderr
    assert ".mailmap:2: not a mailmap line" in out.stderr


def test_invalid_utf8_author_name_is_a_warning(git_repo):
    repo = _project(git_repo)
    tree = repo.git("write-tree")
    raw = (
        f"tree {tree}\nparent {repo.head()}\n"
        "author Bad \xe9 Name <bad@example.org> 1788307200 +0000\n"
        "committer Bad \xe9 Name <bad@example.org> 1788307200 +0000\n\nMAINT: latin-1 (#2)\n"
    ).encode("latin-1")
    sha = (
        subprocess.run(
            ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
            cwd=repo.path,
            input=raw,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    repo.git("update-ref", "refs/heads/main", sha)
    out = run_relman("changelog", "HEAD~1..HEAD", cwd=repo.path)
    assert out.returncode == 0, out.stderr
    assert "not valid UTF-8" in out.stderr and "Traceback" not in out.stderr
    assert "* Bad \ufffd Name +" in out.stdout
