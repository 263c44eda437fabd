"""Property-based tests: a model of the store run against every backend, and payload round
trips. ``HYPOTHESIS_PROFILE=deep`` runs ten times the examples (for a long run by hand)."""

from __future__ import annotations

import os

from hypothesis import Phase, settings

DEPTH = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else 1
"""How many times the everyday number of examples to run."""


def budget(examples: int, *, steps: int = 50, shrink: bool = True) -> settings:
    """Settings for one property: ``examples`` (times DEPTH), at most ``steps`` per
    stateful run, no deadline (a first connection is slow) and no example database, so
    that nothing is written into the repository. ``shrink=False`` reports a failure as
    found, unshrunk: shrinking a run on a database can take Hypothesis' five minutes."""
    phases = tuple(Phase) if shrink else tuple(p for p in Phase if p is not Phase.shrink)
    return settings(
        max_examples=examples * DEPTH,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        phases=phases,
    )
