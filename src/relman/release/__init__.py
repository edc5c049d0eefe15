"""Releasing: the pipeline of steps a release kind runs, planned, run and resumed.

- :mod:`relman.release.context`: the context, state file, lock and step types;
- :mod:`relman.release.pipeline`: the steps of each kind, plan, run and resume;
- :mod:`relman.release.steps`: the steps, one module per phase.
"""

from __future__ import annotations

from relman.release.context import KINDS, Context, ReleaseState, Step, StepPlan, detect_kind
from relman.release.pipeline import open_context, plan_release, run_release, steps_for

__all__ = [
    "KINDS",
    "Context",
    "ReleaseState",
    "Step",
    "StepPlan",
    "detect_kind",
    "open_context",
    "plan_release",
    "run_release",
    "steps_for",
]
