"""`relman notes draft` against `towncrier build --draft` on 2,000 fragments.

Generates a towncrier project (the purelib example's configuration: six types,
NumPy-style issue links) with 2,000 fragments across every type: one-line
entries, multi-paragraph entries, code blocks, orphans, counters and the same
text for several issues. Both commands run on the same tree, interleaved, in
this run; the script checks that their outputs are byte-identical and prints
the median wall time of each and the ratio relman/towncrier (target <= 0.5).
It also prints the same ratio for the library calls in one process
(``relman.notes.draft_notes`` against towncrier's find/split/render), which
leaves out interpreter start-up and configuration loading.

relman's modules are byte-compiled first (an installed package has its .pyc
files, like towncrier in site-packages), so neither side pays compilation.
"""

from __future__ import annotations

import compileall
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _measure import load, timed

ROOT = Path(__file__).resolve().parent.parent
COUNT = 2000
ROUNDS = 11
VERSION = "1.2.0"
TYPES = ("highlight", "new_feature", "improvement", "deprecation", "bugfix", "change")
WORDS = (  # noqa: SIM905
    "array dtype casting ufunc buffer stride view copy reduction axis memory "
    "alignment scalar complex integer overflow warning deprecated removed "
    "faster slower keyword argument parameter function method module"
).split()


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def _content(rng: random.Random, i: int, shared: list[str]) -> str:
    roll = rng.random()
    if roll < 0.05 and shared:
        return rng.choice(shared)
    if roll < 0.55:
        text = f"``np.f{i}`` " + _sentence(rng, rng.randint(6, 20))
    elif roll < 0.85:
        paras = [_sentence(rng, rng.randint(10, 30)) for _ in range(rng.randint(2, 4))]
        text = "\n\n".join("\n".join(p[j : j + 70] for j in range(0, len(p), 70)) for p in paras)
    else:
        text = (
            f"``np.g{i}`` now accepts ``axis``::\n\n    >>> np.g{i}(a, axis=0)\n    array([1, 2])"
        )
    if rng.random() < 0.03:
        shared.append(text)
    return text + "\n"


def make_tree(dest: Path, count: int = COUNT, seed: int = 5) -> None:
    rng = random.Random(seed)
    shutil.copy(ROOT / "examples" / "purelib" / "pyproject.toml", dest / "pyproject.toml")
    frag_dir = dest / "doc" / "release" / "upcoming_changes"
    frag_dir.mkdir(parents=True)
    (frag_dir / "README.rst").write_text("Fragments go here.\n", encoding="utf-8")
    shared: list[str] = []
    used: set[str] = set()
    for i in range(count):
        kind = TYPES[i % len(TYPES)]
        roll = rng.random()
        if roll < 0.04:
            name = f"+{rng.getrandbits(32):08x}.{kind}.rst"
        else:
            issue = rng.randint(1, 30000)
            name = f"{issue}.{kind}.rst"
            counter = 0
            while name in used:
                counter += 1
                name = f"{issue}.{kind}.{counter}.rst"
        used.add(name)
        (frag_dir / name).write_text(_content(rng, i, shared), encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)


_CPU: dict[str, list[float]] = {}


def _time(cmd: list[str], cwd: Path) -> tuple[float, bytes]:
    run = timed(cmd, cwd=cwd)
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {run.returncode}")
    _CPU.setdefault(f"{cwd}\0{cmd[0]}", []).append(run.cpu)
    return run.wall, run.stdout


def _towncrier_in_process(tree: Path) -> str:
    from towncrier._builder import find_fragments, render_fragments, split_fragments
    from towncrier._settings.load import load_config_from_options

    base, config = load_config_from_options(str(tree), None)
    assert isinstance(config.template, tuple)
    from importlib import resources

    template = resources.files(config.template[0]).joinpath(config.template[1]).read_text()
    contents, _files = find_fragments(base, config, strict=False)
    fragments = split_fragments(contents, config.types, all_bullets=config.all_bullets)
    rendered = render_fragments(
        template,
        config.issue_format,
        fragments,
        config.types,
        config.underlines[1:],
        config.wrap,
        {"name": config.name, "version": VERSION, "date": "2026-01-01"},
        top_underline=config.underlines[0],
        all_bullets=config.all_bullets,
        render_title=config.title_format == "",
    )
    assert isinstance(config.title_format, str)
    top = config.title_format.format(name=config.name, version=VERSION, project_date="")
    return "\n".join([top, config.underlines[0] * len(top), rendered])


def main() -> int:
    towncrier = shutil.which("towncrier")
    if towncrier is None:
        print("towncrier is not installed (pip install -e '.[test]')")
        return 2
    compileall.compile_dir(str(ROOT / "src" / "relman"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp)
        make_tree(tree)
        env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}
        os.environ["SOURCE_DATE_EPOCH"] = env["SOURCE_DATE_EPOCH"]
        commands = {
            "relman": [sys.executable, "-m", "relman", "notes", "draft", "--version", VERSION],
            "towncrier": [towncrier, "build", "--draft", "--version", VERSION],
        }
        outputs = {name: _time(cmd, tree)[1] for name, cmd in commands.items()}  # warm up
        if outputs["relman"] != outputs["towncrier"]:
            print("OUTPUTS DIFFER")
            return 1
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(ROUNDS):
            for name, cmd in commands.items():
                elapsed, out = _time(cmd, tree)
                assert out == outputs[name]
                times[name].append(elapsed)
        med = {name: statistics.median(v) for name, v in times.items()}
        cpu = {
            name: statistics.median(_CPU[f"{tree}\0{cmd[0]}"][1:]) for name, cmd in commands.items()
        }
        lines = outputs["relman"].count(b"\n")
        print(f"{COUNT} fragments, {lines} lines of notes, outputs byte-identical")
        print(f"load average: {load()}")
        for name, value in med.items():
            print(
                f"{name:<10} {value * 1000:8.1f} ms (median of {ROUNDS}, whole command; "
                f"best {min(times[name]) * 1000:.1f}), cpu {cpu[name] * 1000:.1f} ms"
            )
        ratio = med["relman"] / med["towncrier"]
        print(
            f"ratio relman/towncrier (command): {ratio:.2f} wall, "
            f"{cpu['relman'] / cpu['towncrier']:.2f} cpu  (target <= 0.5)"
        )

        # the fixed cost of each command: the same project without fragments
        empty = tree / "empty"
        empty.mkdir()
        make_tree(empty, count=0)
        fixed: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(ROUNDS):
            for name, cmd in commands.items():
                fixed[name].append(_time(cmd, empty)[0])
        fmed = {name: statistics.median(v) for name, v in fixed.items()}
        for name, value in fmed.items():
            print(
                f"{name:<10} {value * 1000:8.1f} ms fixed (no fragments), "
                f"{(med[name] - value) * 1000:6.1f} ms for the {COUNT} fragments"
            )

        # the same work in one process: no interpreter start-up, no config loading
        from relman.notes import draft_notes
        from relman.project import load_config

        config = load_config(tree)
        lib: dict[str, list[float]] = {"relman": [], "towncrier": []}
        ours = theirs = ""
        for _ in range(ROUNDS):
            start = time.perf_counter()
            ours = draft_notes(config, VERSION, date="2026-01-01")
            lib["relman"].append(time.perf_counter() - start)
            start = time.perf_counter()
            theirs = _towncrier_in_process(tree)
            lib["towncrier"].append(time.perf_counter() - start)
        if ours != theirs:
            print("IN-PROCESS OUTPUTS DIFFER")
            return 1
        lmed = {name: statistics.median(v) for name, v in lib.items()}
        for name, value in lmed.items():
            print(f"{name:<10} {value * 1000:8.1f} ms (median of {ROUNDS}, library call)")
        print(f"ratio relman/towncrier (library): {lmed['relman'] / lmed['towncrier']:.2f}")
    return 0 if ratio <= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
