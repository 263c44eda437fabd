"""The RabbitMQ outbox publisher against a real broker (EVENT_SOURCERY_RABBITMQ_URL)."""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import pytest
from pika.adapters.blocking_connection import BlockingChannel

from event_sourcery.context import EMPTY_CONTEXT, Context
from event_sourcery.errors import PublishFailed
from event_sourcery.event import Event
from event_sourcery.outbox.message import encode_message
from event_sourcery.outbox.rabbitmq import RabbitMQPublisher
from event_sourcery.records import Recorded
from event_sourcery.registry import EventRegistry
from event_sourcery.streams import StreamId
from event_sourcery.testing.events import Deposited, Measured
from tests.event_sourcery.rabbitmq.conftest import Inbox


@pytest.fixture
def publisher(rabbitmq_url: str, exchange: str) -> Iterator[RabbitMQPublisher]:
    with RabbitMQPublisher(rabbitmq_url, exchange=exchange, connect_timeout=2.0) as publisher:
        yield publisher


def recorded(
    stream: StreamId,
    *,
    version: int | None = 1,
    position: int = 1,
    context: Context = EMPTY_CONTEXT,
    event: Event | None = None,
) -> Recorded[Event]:
    return Recorded(
        event=event if event is not None else Deposited(amount=10),
        stream_id=stream,
        version=version,
        position=position,
        context=context,
        created_at=datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
    )


def test_a_published_event_arrives_persistent_under_its_uuid_with_a_json_body(
    publisher: RabbitMQPublisher, inbox: Inbox
) -> None:
    stream = StreamId(name="account-1", category="accounts")
    correlation = uuid4()
    record = recorded(
        stream, version=3, position=42, context=Context(correlation_id=correlation, user="bob")
    )

    publisher(record)

    method, properties, body = inbox.get()
    assert method.routing_key == "accounts.contract.Deposited"
    assert properties.message_id == str(record.uuid)
    assert properties.delivery_mode == 2
    assert properties.content_type == "application/json"
    assert properties.type == "contract.Deposited"
    assert properties.correlation_id == str(correlation)
    assert properties.timestamp == int(record.created_at.timestamp())
    assert properties.headers == {"stream_uuid": str(stream.uuid), "version": 3, "position": 42}
    assert json.loads(body) == {
        "uuid": str(record.uuid),
        "type": "contract.Deposited",
        "schema_version": 1,
        "stream": {"uuid": str(stream.uuid), "name": "account-1", "category": "accounts"},
        "version": 3,
        "position": 42,
        "created_at": "2024-05-06T07:08:09.123456+00:00",
        "context": {"correlation_id": str(correlation), "user": "bob"},
        "data": {"amount": 10},
    }


def test_an_event_of_a_stream_without_category_is_routed_as_uncategorized(
    publisher: RabbitMQPublisher, inbox: Inbox
) -> None:
    publisher(recorded(StreamId(), version=None))

    method, properties, body = inbox.get()
    assert method.routing_key == "uncategorized.contract.Deposited"
    assert properties.correlation_id is None
    assert "version" not in properties.headers
    assert json.loads(body)["context"] == {}


def test_a_type_name_function_names_the_type_and_routing_key(
    rabbitmq_url: str, exchange: str, inbox: Inbox
) -> None:
    with RabbitMQPublisher(rabbitmq_url, exchange=exchange, type_name=lambda r: "Money") as send:
        send(recorded(StreamId(category="ledger")))

    method, properties, body = inbox.get()
    assert (method.routing_key, properties.type) == ("ledger.Money", "Money")
    assert json.loads(body)["type"] == "Money"


def test_types_are_named_as_the_stores_registry_names_them(
    rabbitmq_url: str, exchange: str, inbox: Inbox
) -> None:
    registry = EventRegistry()
    registry.add(Deposited, "bank.Deposited")
    with RabbitMQPublisher(rabbitmq_url, exchange=exchange, registry=registry) as send:
        send(recorded(StreamId(category="ledger")))

    method, properties, _ = inbox.get()
    assert (method.routing_key, properties.type) == ("ledger.bank.Deposited", "bank.Deposited")


def test_an_unroutable_event_fails_when_mandatory(
    rabbitmq_url: str, exchange: str, broker: BlockingChannel
) -> None:
    publisher = RabbitMQPublisher(rabbitmq_url, exchange=exchange, mandatory=True)
    with publisher, pytest.raises(PublishFailed, match="no queue is bound"):
        publisher(recorded(StreamId(category="accounts")))


def test_an_unreachable_broker_fails_quickly_naming_the_url_without_its_password() -> None:
    publisher = RabbitMQPublisher("amqp://guest:s3cret@127.0.0.1:1/%2F", connect_timeout=1.0)
    started = time.monotonic()

    with pytest.raises(PublishFailed) as raised:
        publisher(recorded(StreamId()))

    assert time.monotonic() - started < 2.0
    assert "amqp://guest:***@127.0.0.1:1/%2F" in str(raised.value)
    assert "s3cret" not in str(raised.value)


class Cable:
    """A TCP relay to the broker that a test can cut (dropping its connections) or unplug
    (also refusing new ones), as a network failure or a broker restart would."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.plugged = True
        self.connections = 0
        """How many connections it has let through."""
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._peers: dict[socket.socket, socket.socket] = {}
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._server, selectors.EVENT_READ)
        self._lock = threading.Lock()
        self._running = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def cut(self) -> None:
        with self._lock:
            while self._peers:
                self._drop(next(iter(self._peers)))

    def unplug(self) -> None:
        self.plugged = False
        self.cut()

    def close(self) -> None:
        self._running = False
        self._thread.join()
        self.cut()
        self._selector.close()
        self._server.close()

    def _run(self) -> None:
        while self._running:
            events = self._selector.select(timeout=0.01)
            with self._lock:
                for key, _ in events:
                    if key.fileobj is self._server:
                        self._accept()
                    elif key.fileobj in self._peers:
                        self._forward(key.fileobj)

    def _accept(self) -> None:
        client, _ = self._server.accept()
        if not self.plugged:
            client.close()
            return
        self.connections += 1
        upstream = socket.create_connection(self.target, timeout=2.0)
        self._peers[client], self._peers[upstream] = upstream, client
        for sock in (client, upstream):
            self._selector.register(sock, selectors.EVENT_READ)

    def _forward(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
            if data:
                self._peers[sock].sendall(data)
                return
        except OSError:
            pass
        self._drop(sock)

    def _drop(self, sock: socket.socket) -> None:
        peer = self._peers.pop(sock)
        del self._peers[peer]
        for each in (sock, peer):
            self._selector.unregister(each)
            each.close()


@pytest.fixture
def cable(rabbitmq_url: str) -> Iterator[Cable]:
    parts = urlsplit(rabbitmq_url)
    cable = Cable(parts.hostname or "127.0.0.1", parts.port or 5672)
    yield cable
    cable.close()


def through(url: str, cable: Cable) -> str:
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{cable.port}" if credentials else f"127.0.0.1:{cable.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def test_a_publisher_reconnects_after_its_connection_is_cut(
    rabbitmq_url: str, exchange: str, inbox: Inbox, cable: Cable
) -> None:
    stream = StreamId(category="accounts")
    with RabbitMQPublisher(through(rabbitmq_url, cable), exchange=exchange) as publisher:
        publisher(recorded(stream, version=1))
        cable.cut()
        with contextlib.suppress(PublishFailed):
            publisher(recorded(stream, version=2))
        last = recorded(stream, version=3)
        publisher(last)

    assert cable.connections == 2
    assert inbox.drain()[-1][1].message_id == str(last.uuid)


def test_a_publisher_fails_while_the_broker_is_away_and_uses_it_again_when_it_is_back(
    rabbitmq_url: str, exchange: str, inbox: Inbox, cable: Cable
) -> None:
    stream = StreamId(category="accounts")
    with RabbitMQPublisher(through(rabbitmq_url, cable), exchange=exchange) as publisher:
        publisher(recorded(stream, version=1))
        cable.unplug()
        with pytest.raises(PublishFailed):
            publisher(recorded(stream, version=2))
        cable.plugged = True
        last = recorded(stream, version=2)
        publisher(last)

    assert [m[1].message_id for m in inbox.drain()][-1] == str(last.uuid)


def test_the_body_is_strict_json_with_non_finite_floats_as_strings() -> None:
    record = recorded(StreamId(), event=Measured(value=float("nan")))

    body = json.loads(encode_message(record, "contract.Measured"), parse_constant=pytest.fail)

    assert body["data"] == {"value": "NaN"}
