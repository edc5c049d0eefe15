"""The pure-Python renderer of towncrier's default template against jinja2, in process."""

from __future__ import annotations

from pathlib import Path

import towncrier
from hypothesis import given, settings
from hypothesis import strategies as st

from relman.notes import towncrier as tc

TEMPLATES = Path(tc.__file__).resolve().parent.parent / "templates" / "towncrier"


def test_bundled_templates_are_towncrier_s() -> None:
    installed = Path(towncrier.__file__).resolve().parent / "templates"
    names = sorted(p.name for p in installed.iterdir() if p.suffix in (".rst", ".md"))
    assert names == sorted(p.name for p in TEMPLATES.iterdir() if p.suffix in (".rst", ".md"))
    for name in names:
        assert (TEMPLATES / name).read_bytes() == (installed / name).read_bytes(), name


def _settings(sections: list[str], underlines: tuple[str, ...], name: str) -> tc.Settings:
    types = (
        tc.FragmentType(key="feature", name="Features"),
        tc.FragmentType(key="bugfix", name="Bug Fixes"),
        tc.FragmentType(key="misc", name="Misc", showcontent=False),
    )
    return tc.Settings(
        base_dir=Path("."),
        config_file=Path("pyproject.toml"),
        sections=tuple((s, s.lower()) for s in sections),
        types=types,
        type_map={t.key: t for t in types},
        template=("towncrier.templates", "default.rst"),
        start_string=".. towncrier release notes start\n",
        underlines=underlines,
        name=name,
    )


_TEXT = st.text(alphabet="ab -*#.:\n", min_size=0, max_size=30)


@st.composite
def inputs(draw: st.DrawFn) -> tuple[tc.Settings, list[tc.Fragment]]:
    sections = draw(st.sampled_from([[""], ["", "Web"], ["Core", "Web"]]))
    underlines = draw(st.sampled_from([("=", "-", "~"), ("-", "^", "~", "+")]))
    name = draw(st.sampled_from(["", "proj"]))
    settings_ = _settings(sections, underlines, name)
    frags = []
    for i in range(draw(st.integers(0, 8))):
        frags.append(
            tc.Fragment(
                path=f"f{i}",
                section=draw(st.sampled_from(sections)),
                issue=draw(st.sampled_from(["", "1", "22", "gh-3", "x"])),
                type=draw(st.sampled_from(["feature", "bugfix", "misc"])),
                counter=i,
                content=draw(_TEXT),
            )
        )
    return settings_, frags


@settings(max_examples=150, deadline=None)
@given(data=inputs())
def test_native_default_template_equals_jinja(data: tuple[tc.Settings, list[tc.Fragment]]) -> None:
    settings_, frags = data
    template = (TEMPLATES / "default.rst").read_text(encoding="utf-8")
    native = tc.render_notes(settings_, frags, version="1.0", date="2026-01-01", template=template)
    # a comment makes the text differ from the default, so jinja2 renders it
    forced = tc.render_notes(
        settings_, frags, version="1.0", date="2026-01-01", template=template + "{# #}"
    )
    assert native == forced
