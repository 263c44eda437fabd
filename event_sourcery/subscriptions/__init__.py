"""Readers of the whole store: catch-up subscriptions, projections, in-transaction listeners."""

from event_sourcery.subscriptions.listeners import Listener, Listeners
from event_sourcery.subscriptions.projections import Handler, Projection, ProjectionLag
from event_sourcery.subscriptions.subscription import Subscription

__all__ = ["Handler", "Listener", "Listeners", "Projection", "ProjectionLag", "Subscription"]
