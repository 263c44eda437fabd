"""Publish outbox events to a RabbitMQ exchange, confirmed by the broker (needs the
``rabbitmq`` extra: ``pip install python-event-sourcery[rabbitmq]``)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import pika  # type: ignore[import-untyped]
from pika.adapters.blocking_connection import (  # type: ignore[import-untyped]
    BlockingChannel,
    BlockingConnection,
)
from pika.exceptions import (  # type: ignore[import-untyped]
    AMQPError,
    NackError,
    UnroutableError,
)

from event_sourcery.errors import PublishFailed
from event_sourcery.event import Event
from event_sourcery.outbox.message import encode_message, routing_key
from event_sourcery.records import Recorded
from event_sourcery.registry import EventRegistry, default_registry

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"

# What a lost or refused connection raises besides pika's own errors.
_FAILURES = (AMQPError, OSError)


class RabbitMQPublisher:
    """An outbox publisher: each call sends one event, persistent and confirmed, to a
    topic exchange under ``category.Type``; any failure raises ``PublishFailed``.

    It connects on first use and, after a failure, reconnects on the next call. Consumers
    should drop duplicates by ``message_id`` (the event uuid): a retry may deliver twice.
    Types are named as ``registry`` (give it the store's, if not the default) stores them,
    or by ``type_name``.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        exchange: str = "event_sourcery",
        exchange_type: str = "topic",
        declare_exchange: bool = True,
        mandatory: bool = False,
        type_name: Callable[[Recorded[Event]], str] | None = None,
        registry: EventRegistry = default_registry,
        connect_timeout: float = 5.0,
    ) -> None:
        self.url = hide_password(url)
        self.exchange = exchange
        self.exchange_type = exchange_type
        self.declare_exchange = declare_exchange
        self.mandatory = mandatory
        self.type_name = type_name or (lambda record: registry.name_of(type(record.event)))
        self._parameters = pika.URLParameters(url)
        self._parameters.connection_attempts = 1
        self._parameters.socket_timeout = connect_timeout
        self._parameters.stack_timeout = connect_timeout
        self._parameters.blocked_connection_timeout = connect_timeout
        self._connection: BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self._lock = threading.Lock()

    def __call__(self, record: Recorded[Event]) -> None:
        """Send ``record``; returns once the broker has confirmed it."""
        type_name = self.type_name(record)
        body = encode_message(record, type_name)
        properties = pika.BasicProperties(
            content_type="application/json",
            delivery_mode=2,
            message_id=str(record.uuid),
            type=type_name,
            timestamp=int(record.created_at.timestamp()),
            correlation_id=_text(record.context.correlation_id),
            headers=_headers(record),
        )
        key = routing_key(record.stream_id.category, type_name)
        with self._lock:
            try:
                self._open_channel().basic_publish(
                    self.exchange, key, body, properties, mandatory=self.mandatory
                )
            except _FAILURES as error:
                self._drop()
                raise PublishFailed(self.url, self._describe(error, key)) from error

    def close(self) -> None:
        """Close the connection; a later call opens a new one."""
        with self._lock:
            self._drop()

    def __enter__(self) -> RabbitMQPublisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RabbitMQPublisher({self.url!r}, exchange={self.exchange!r})"

    def _open_channel(self) -> BlockingChannel:
        """The channel to publish on: the open one, or a new one when there is none or the
        broker dropped it while idle (which is found out here, before anything is sent)."""
        if self._channel is not None and self._connection is not None:
            try:
                self._connection.process_data_events(time_limit=0)
            except _FAILURES:
                self._drop()
            else:
                if self._channel.is_open:
                    return self._channel
                self._drop()
        self._connection = BlockingConnection(self._parameters)
        channel = self._connection.channel()
        channel.confirm_delivery()
        if self.declare_exchange:
            channel.exchange_declare(self.exchange, self.exchange_type, durable=True)
        self._channel = channel
        return channel

    def _describe(self, error: BaseException, key: str) -> str:
        """What went wrong, as a phrase (several pika errors have an empty ``str()``)."""
        if isinstance(error, UnroutableError):
            return f"no queue is bound to exchange {self.exchange!r} for {key!r} (mandatory=True)"
        if isinstance(error, NackError):
            return f"the broker refused the message on exchange {self.exchange!r} (nack)"
        text = str(error) or repr(error)
        name = type(error).__name__
        return text if text.startswith(name) else f"{name}: {text}"

    def _drop(self) -> None:
        """Forget the connection, closing it if it is still open."""
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            with contextlib.suppress(*_FAILURES):
                connection.close()


def hide_password(url: str) -> str:
    """``url`` with its password replaced by ``***``, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, _, host = parts.netloc.rpartition("@")
    name = user.partition(":")[0]
    return parts._replace(netloc=f"{name}:***@{host}").geturl()


def _headers(record: Recorded[Event]) -> dict[str, Any]:
    headers: dict[str, Any] = {
        "stream_uuid": str(record.stream_id.uuid),
        "position": record.position,
    }
    if record.version is not None:
        headers["version"] = record.version
    return headers


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)
