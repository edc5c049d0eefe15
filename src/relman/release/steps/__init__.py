"""The release steps, one module per phase of a release (seed 000's walkthrough):

- :mod:`~relman.release.steps.prepare`: checks, notes, changelog, version, tag;
- :mod:`~relman.release.steps.build`: build, verify, checksums;
- :mod:`~relman.release.steps.ship`: gate, push, publish, GitHub release, docs, announce;
- :mod:`~relman.release.steps.after`: post-release, forward-port, install-check;
- :mod:`~relman.release.steps.branches`: new-branch and end-of-life.
"""
