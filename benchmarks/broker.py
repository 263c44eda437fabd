"""The RabbitMQ broker of the ``outbox-rabbitmq`` row: is it there, and a fresh exchange.

Every run publishes to an exchange nobody else uses: a durable topic exchange (as our
``RabbitMQPublisher`` declares it) with a throw-away queue of the same name bound to it
with ``#``, so that every message is routed and stored; both are deleted afterwards.
The runner gets the exchange's name with ``--exchange`` and counts the queue's messages.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def _connect(url: str) -> Any:
    """A blocking pika connection (imported late: only the broker row needs pika)."""
    import pika  # type: ignore[import-untyped]

    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = parameters.stack_timeout = 5
    return pika.BlockingConnection(parameters)


def rabbitmq_broker(url: str) -> str | Exception:
    """A one-line description of the broker, or the error that makes it unusable."""
    try:
        with closing(_connect(url)) as connection:
            # What the broker announced about itself; pika keeps it on the connection's impl.
            announced = getattr(getattr(connection, "_impl", None), "server_properties", None)
    except Exception as error:  # any failure means: skip the broker row
        return error
    found = announced or {}
    return f"{_text(found.get('product', 'AMQP broker'))} {_text(found.get('version', '?'))}"


@contextmanager
def fresh_exchange(url: str, label: str) -> Iterator[str]:
    """A new exchange and a queue of the same name bound to it; both deleted afterwards."""
    name = f"bench-{label}-{secrets.token_hex(4)}"
    try:
        with closing(_connect(url)) as connection:
            channel = connection.channel()
            channel.exchange_declare(name, "topic", durable=True)
            channel.queue_declare(name)
            channel.queue_bind(name, name, routing_key="#")
        yield name
    finally:
        with closing(_connect(url)) as connection:
            channel = connection.channel()
            channel.queue_delete(name)
            channel.exchange_delete(name)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
