import pytest

import purelib


def test_slugify():
    assert purelib.slugify("Hello, World") == "hello-world"
    assert purelib.slugify("  a  b ", sep="_") == "a_b"


def test_wrap_words():
    assert purelib.wrap_words("one two three", width=7) == ["one two", "three"]
    with pytest.raises(ValueError):
        purelib.wrap_words("x", width=0)


def test_version_is_a_string():
    assert isinstance(purelib.__version__, str)
