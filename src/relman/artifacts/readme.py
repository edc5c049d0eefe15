"""The long description rendered as ``twine check --strict`` renders it (readme_renderer).

twine renders reStructuredText (also for a missing or unknown content type)
and takes Markdown and plain text as they are; with ``--strict`` a missing
description or content type fails too. :func:`rst_renders` reaches
readme_renderer's verdict without writing the HTML where the parsed document
already shows it. The index renders the same way at
upload and refuses a description that does not render.
"""

from __future__ import annotations

import functools
import io

__all__ = ["render_description", "rst_renders"]


def rst_renders(description: str) -> tuple[bool, str]:
    """(whether readme_renderer renders it, docutils' warnings), as twine decides.

    readme_renderer fails a description when docutils reports a warning or
    worse (``halt_level`` 2) or when nothing is rendered. Both are known
    once the document is parsed and transformed, with readme_renderer's own
    settings: the HTML writer, which takes a third of the time, reports
    nothing with those settings (image sizes, embedding and math conversion
    are off). So a description that parses into visible body elements
    renders; one that does not is rendered in full, as twine renders it.
    """
    import readme_renderer.rst
    from docutils import nodes
    from docutils.core import publish_doctree
    from docutils.utils import SystemMessage

    stream = io.StringIO()
    settings = {**readme_renderer.rst.SETTINGS, "warning_stream": stream}
    try:
        doctree = publish_doctree(description, settings_overrides=settings)
    except SystemMessage:
        return False, stream.getvalue()
    visible = (
        nodes.paragraph,
        nodes.section,
        nodes.literal_block,
        nodes.bullet_list,
        nodes.enumerated_list,
        nodes.definition_list,
        nodes.field_list,
        nodes.table,
        nodes.block_quote,
        nodes.docinfo,
        nodes.line_block,
        nodes.Admonition,
    )
    if any(isinstance(n, visible) and n.astext().strip() for n in doctree.children):
        return True, ""
    stream = io.StringIO()
    return readme_renderer.rst.render(description, stream=stream) is not None, stream.getvalue()


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
    renders, warnings = rst_renders(description)
    if not renders:
        detail = " ".join(warnings.split())[:300]
        out.append(
            (
                "twine:description-render",
                f"long description (reStructuredText) does not render: {detail}",
            )
        )
    return tuple(out)
