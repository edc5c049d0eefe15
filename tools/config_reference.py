"""Write the configuration reference table into README.md (or check it with --check).

The table is made from relman's own config schema, so the README never drifts
from what relman accepts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from relman.config import config_fields

START = "<!-- config-reference -->"
END = "<!-- /config-reference -->"


def render() -> str:
    lines = [START, "", "| key | type | default | what it is |", "| --- | --- | --- | --- |"]
    for key, type_name, default, doc in config_fields():
        shown = "detected" if default in (None, [], {}, ()) else json.dumps(default)
        shown = shown.replace("|", "\\|")
        lines.append(
            f"| `{key}` | {type_name} | `{shown}` | {doc} |".replace(
                "`detected`", "detected / none"
            )
        )
    lines += ["", END]
    return "\n".join(lines)


def main() -> int:
    readme = Path(__file__).resolve().parent.parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    new = head + render() + tail
    if "--check" in sys.argv:
        if new != text:
            print(
                "README.md's configuration reference is out of date: run python tools/config_reference.py"
            )
            return 1
        return 0
    readme.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
