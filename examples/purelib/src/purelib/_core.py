import re
import warnings


def slugify(text: str, sep: str = "-") -> str:
    """Lower-case ``text`` and join its words with ``sep``."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return sep.join(words)


def wrap_words(text: str, width: int = 72) -> list[str]:
    """Split ``text`` into lines of at most ``width`` characters."""
    if width < 1:
        raise ValueError("width must be at least 1")
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


def old_slugify(text: str) -> str:
    """Deprecated alias of :func:`slugify`."""
    warnings.warn(
        "old_slugify is deprecated and will be removed in 2.0; use slugify",
        DeprecationWarning,
        stacklevel=2,
    )
    return slugify(text)
