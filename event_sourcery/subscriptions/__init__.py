"""Readers of the whole store: catch-up subscriptions, projections, in-transaction listeners."""

from event_sourcery.subscriptions.listeners import Listener, Listeners
from event_sourcery.subscriptions.subscription import Subscription

__all__ = ["Listener", "Listeners", "Subscription"]
