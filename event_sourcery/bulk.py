"""Building many objects at once without Python's cyclic collector getting in the way."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while a load materialises its rows.

    Loaded envelopes hold no reference cycles, yet their number can set off a full
    collection over the whole heap in the middle of a load: half the time of loading a
    5,000-event stream on PostgreSQL, measured. Collection resumes (and catches up) after.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
