"""The event store contract: every backend must pass every test here, unchanged."""

from event_sourcery.testing.contract.aggregates import AggregateContract
from event_sourcery.testing.contract.catalog import CatalogContract
from event_sourcery.testing.contract.context import ContextContract
from event_sourcery.testing.contract.global_read import GlobalReadContract
from event_sourcery.testing.contract.hostile import HostileInputContract
from event_sourcery.testing.contract.listeners import ListenerContract
from event_sourcery.testing.contract.loading import LoadContract
from event_sourcery.testing.contract.outbox import OutboxContract
from event_sourcery.testing.contract.outbox_audit import OutboxAuditContract
from event_sourcery.testing.contract.outbox_leases import OutboxLeaseContract
from event_sourcery.testing.contract.projections import ProjectionContract
from event_sourcery.testing.contract.races import RaceContract
from event_sourcery.testing.contract.reading_back import BackwardReadContract
from event_sourcery.testing.contract.retries import RetryContract
from event_sourcery.testing.contract.round_trips import RoundTripContract
from event_sourcery.testing.contract.snapshots import SnapshotContract
from event_sourcery.testing.contract.streams import StreamContract
from event_sourcery.testing.contract.subscriptions import SubscriptionContract
from event_sourcery.testing.contract.time_travel import TimeTravelContract
from event_sourcery.testing.contract.transactions import CallerTransactionContract
from event_sourcery.testing.contract.upcasting import UpcastingContract
from event_sourcery.testing.contract.versions import VersionContract


class EventStoreContract(
    RoundTripContract,
    StreamContract,
    VersionContract,
    RetryContract,
    LoadContract,
    CallerTransactionContract,
    RaceContract,
    SnapshotContract,
    CatalogContract,
    AggregateContract,
    TimeTravelContract,
    UpcastingContract,
    HostileInputContract,
    ContextContract,
    GlobalReadContract,
    BackwardReadContract,
    SubscriptionContract,
    ListenerContract,
    ProjectionContract,
    OutboxContract,
    OutboxAuditContract,
    OutboxLeaseContract,
):
    """Subclass with a ``backend`` fixture returning a ``Backend``; pytest collects the rest."""


__all__ = ["EventStoreContract"]
