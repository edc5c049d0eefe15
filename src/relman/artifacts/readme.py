"""The long description rendered as ``twine check --strict`` renders it (readme_renderer).

twine renders reStructuredText (also for a missing or unknown content type)
and takes Markdown and plain text as they are; with ``--strict`` a missing
description or content type fails too. The index renders the same way at
upload and refuses a description that does not render.
"""

from __future__ import annotations

import functools
import io

__all__ = ["render_description"]


# the sdist and every wheel of a release carry the same description: render it once
@functools.lru_cache(maxsize=64)
def render_description(
    description: str | None, content_type: str | None
) -> tuple[tuple[str, str], ...]:
    """(rule, message) of each way the long description fails ``twine check --strict``."""
    from email.message import Message

    out: list[tuple[str, str]] = []
    if content_type is None:
        out.append(
            (
                "twine:description-content-type",
                "Description-Content-Type missing (defaulting to text/x-rst)",
            )
        )
        content_type = "text/x-rst"
    msg = Message()
    msg["content-type"] = content_type
    ctype = msg.get_content_type()
    if not description or description.rstrip() == "UNKNOWN":
        out.append(("twine:description-missing", "long description missing"))
        return tuple(out)
    if ctype in ("text/plain", "text/markdown"):
        return tuple(out)
    import readme_renderer.rst

    stream = io.StringIO()
    if readme_renderer.rst.render(description, stream=stream) is None:
        detail = " ".join(stream.getvalue().split())[:300]
        out.append(
            (
                "twine:description-render",
                f"long description (reStructuredText) does not render: {detail}",
            )
        )
    return tuple(out)
