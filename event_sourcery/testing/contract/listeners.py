"""In-transaction listeners: called during append, before commit; a failure undoes it."""

from __future__ import annotations

from typing import ClassVar
from uuid import uuid4

import pytest

from event_sourcery.context import Context
from event_sourcery.event import Event
from event_sourcery.event_store import EventStore
from event_sourcery.records import Recorded
from event_sourcery.streams import StreamId
from event_sourcery.testing.backend import Backend
from event_sourcery.testing.contract.base import BaseContract, caller_transaction, versions
from event_sourcery.testing.events import Deposited, Opened


class Refund(Deposited):
    __event_name__: ClassVar[str] = "contract.Refund"


class Refused(Exception):
    pass


class ListenerContract(BaseContract):
    def test_a_listener_gets_its_types_with_subclasses_as_stored(self, store: EventStore) -> None:
        heard: list[Recorded[Event]] = []
        store.listen(heard.append, types=[Deposited])
        stream, context = uuid4(), Context(correlation_id=uuid4())
        store.append(
            Opened(owner="x"),
            Deposited(amount=1),
            Refund(amount=2),
            stream_id=stream,
            context=context,
        )
        stored = store.load_stream(stream)
        assert heard == stored[1:]
        assert [(r.version, r.position, r.context) for r in heard] == [
            (r.version, r.position, context) for r in stored[1:]
        ]

    def test_a_listener_can_listen_to_a_category(self, store: EventStore) -> None:
        heard: list[int | None] = []
        store.listen(lambda r: heard.append(r.version), categories=["orders"])
        store.append(Deposited(amount=1), stream_id=uuid4())
        store.append(
            *[Deposited(amount=a) for a in (1, 2)], stream_id=StreamId(uuid4(), category="orders")
        )
        assert heard == [1, 2]

    def test_registering_a_listener_twice_delivers_once(self, store: EventStore) -> None:
        heard: list[Recorded[Event]] = []
        store.listen(heard.append)
        store.listen(heard.append)
        store.append(Deposited(amount=1), stream_id=uuid4())
        assert len(heard) == 1
        store.listeners.remove(heard.append)
        store.append(Deposited(amount=1), stream_id=uuid4())
        assert len(heard) == 1

    def test_a_listener_that_raises_undoes_the_append(self, store: EventStore) -> None:
        def refuse(recorded: Recorded[Event]) -> None:
            if getattr(recorded.event, "amount", 0) > 100:
                raise Refused

        store.listen(refuse)
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        with pytest.raises(Refused):
            store.append(
                Deposited(amount=2), Deposited(amount=500), stream_id=stream, expected_version=1
            )
        assert versions(store, stream) == [1]
        fresh = uuid4()
        with pytest.raises(Refused):
            store.append(Deposited(amount=500), stream_id=fresh)
        assert store.load_stream(fresh) == []
        store.append(Deposited(amount=3), stream_id=stream, expected_version=1)
        assert versions(store, stream) == [1, 2]

    def test_in_the_callers_transaction_a_refusal_leaves_it_usable(self, backend: Backend) -> None:
        stream, other = uuid4(), uuid4()
        with caller_transaction(backend) as tx:

            def refuse_large(recorded: Recorded[Event]) -> None:
                if getattr(recorded.event, "amount", 0) > 100:
                    raise Refused

            tx.store.listen(refuse_large)
            tx.store.append(Deposited(amount=1), stream_id=stream)
            with pytest.raises(Refused):
                tx.store.append(Deposited(amount=500), stream_id=other)
            tx.commit()
        assert versions(backend.open(), stream) == [1]
        assert backend.open().load_stream(other) == []

    def test_a_listeners_writes_join_the_callers_transaction(self, backend: Backend) -> None:
        order, audit = uuid4(), uuid4()
        for finish in ("rollback", "commit"):
            with caller_transaction(backend) as tx:
                tx.store.listen(
                    lambda r: tx.store.append(
                        Opened(owner="audit"), stream_id=audit, context=Context.following(r)
                    ),
                    types=[Deposited],
                )
                tx.store.append(Deposited(amount=1), stream_id=order)
                getattr(tx, finish)()
            stored = backend.open()
            if finish == "rollback":
                assert stored.load_stream(order) == stored.load_stream(audit) == []
        [deposit], [follow_up] = stored.load_stream(order), stored.load_stream(audit)
        assert follow_up.context.causation_id == deposit.uuid
