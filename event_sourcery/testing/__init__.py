"""The backend contract suite, shipped so that anyone writing a backend can run it.

Subclass ``EventStoreContract`` in a test module and give it a ``backend`` fixture returning
a ``Backend`` harness; every rule of the store's contract then runs against your backend.
"""

from event_sourcery.testing.backend import Backend, CallerTransaction
from event_sourcery.testing.contract import EventStoreContract

__all__ = ["Backend", "CallerTransaction", "EventStoreContract"]
