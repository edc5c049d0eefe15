"""A testing aid: kill the process at a named point of a release.

``RELMAN_FAULT_INJECT=<point>`` makes :func:`fault_point` send SIGKILL to the
current process when it reaches ``<point>``. Points are ``<step>:start``
(before the step changes anything), ``<step>:mid`` (half-way: files written
but not committed, wheels uploaded but not the sdist, ...) and ``<step>:end``
(after the step, before the state file records it). relman's tests use it to
prove that a release killed anywhere resumes to the same result. Without the
variable it does nothing.
"""

from __future__ import annotations

import os
import signal

__all__ = ["fault_point"]


def fault_point(point: str) -> None:
    if os.environ.get("RELMAN_FAULT_INJECT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
