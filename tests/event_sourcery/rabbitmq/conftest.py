"""Fixtures for the tests that talk to the real RabbitMQ (EVENT_SOURCERY_RABBITMQ_URL)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pika
import pytest
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError

from event_sourcery.outbox.rabbitmq import DEFAULT_URL

Message = tuple[Any, pika.BasicProperties, bytes]


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    """The broker's URL; skips the test (fails it under EVENT_SOURCERY_REQUIRE_SERVICES=1)
    when nothing answers there."""
    url = os.environ.get("EVENT_SOURCERY_RABBITMQ_URL", DEFAULT_URL)
    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = parameters.stack_timeout = 2.0
    try:
        pika.BlockingConnection(parameters).close()
    except (AMQPError, OSError) as error:
        reason = f"RabbitMQ at {parameters.host}:{parameters.port} is unreachable: {error!r}"
        if os.environ.get("EVENT_SOURCERY_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (EVENT_SOURCERY_REQUIRE_SERVICES=1)")
        pytest.skip(reason)
    return url


@pytest.fixture
def exchange() -> str:
    return f"es_test_{uuid4().hex[:12]}"


class Inbox:
    """A server-named exclusive queue bound with ``#`` to the test's exchange."""

    def __init__(self, channel: BlockingChannel, exchange: str) -> None:
        self.channel = channel
        channel.exchange_declare(exchange, "topic", durable=True)
        self.queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(self.queue, exchange, routing_key="#")

    def get(self, timeout: float = 2.0) -> Message:
        deadline = time.monotonic() + timeout
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is not None:
                return method, properties, body
            assert time.monotonic() < deadline, "no message arrived"
            time.sleep(0.01)

    def drain(self) -> list[Message]:
        messages = []
        while (message := self.channel.basic_get(self.queue, auto_ack=True))[0] is not None:
            messages.append(message)
        return messages


@pytest.fixture
def broker(rabbitmq_url: str, exchange: str) -> Iterator[BlockingChannel]:
    """A channel of the test's own; deletes the test's exchange afterwards."""
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    channel = connection.channel()
    try:
        yield channel
    finally:
        channel.exchange_delete(exchange)
        connection.close()


@pytest.fixture
def inbox(broker: BlockingChannel, exchange: str) -> Inbox:
    return Inbox(broker, exchange)
