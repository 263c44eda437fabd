"""The relay with the RabbitMQ publisher against the real broker, which stops mid-run."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import uuid4

import pika
import pytest

from event_sourcery import Attempt, EntryStatus, Outbox, Outcome, RetryPolicy, StreamId, connect
from event_sourcery.outbox.rabbitmq import RabbitMQPublisher
from event_sourcery.testing.events import Deposited


def rabbitmqctl(*args: str) -> None:
    """Run ``rabbitmqctl`` on the local broker (stop_app/start_app stop and start the
    broker's AMQP service, closing every connection, without stopping the node)."""
    command = shutil.which("rabbitmqctl")
    if command is None:
        pytest.fail("rabbitmqctl is not installed: this test stops and starts the broker")
    subprocess.run([command, *args], check=True, capture_output=True, timeout=120)


def eventually(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def durable_queue(rabbitmq_url: str, exchange: str) -> Iterator[str]:
    """A durable queue bound with ``#`` to the test's exchange: it keeps the messages
    through a broker restart. Deleted, with the exchange, afterwards."""
    queue = f"{exchange}_inbox"
    with pika.BlockingConnection(pika.URLParameters(rabbitmq_url)) as connection:
        channel = connection.channel()
        channel.exchange_declare(exchange, "topic", durable=True)
        channel.queue_declare(queue, durable=True)
        channel.queue_bind(queue, exchange, routing_key="#")
    yield queue
    with pika.BlockingConnection(pika.URLParameters(rabbitmq_url)) as connection:
        channel = connection.channel()
        channel.queue_delete(queue)
        channel.exchange_delete(exchange)


def drain(
    url: str, queue: str
) -> list[tuple[pika.spec.Basic.Deliver, pika.BasicProperties, bytes]]:
    with pika.BlockingConnection(pika.URLParameters(url)) as connection:
        channel = connection.channel()
        messages = []
        while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
            messages.append(message)
        return messages


def test_a_stopped_broker_makes_attempts_fail_and_deliveries_resume_when_it_is_back(
    rabbitmq_url: str, exchange: str, durable_queue: str, tmp_path: Path
) -> None:
    store = connect(f"sqlite:///{tmp_path / 'events.db'}", with_outbox=True)
    outbox = Outbox(store, retry_policy=RetryPolicy(base=0.2, cap=0.5, max_attempts=1000))
    stream = StreamId(uuid4(), category="billing")
    stop = threading.Event()
    with RabbitMQPublisher(rabbitmq_url, exchange=exchange, connect_timeout=2.0) as publisher:
        relay = threading.Thread(
            target=outbox.run,
            args=(publisher,),
            kwargs={"poll_interval": 0.05, "stop_event": stop, "handle_signals": False},
        )
        relay.start()
        try:
            store.append(*[Deposited(amount=n) for n in (1, 2)], stream_id=stream)
            eventually(lambda: outbox.counts()[EntryStatus.DELIVERED] == 2)
            rabbitmqctl("stop_app")
            try:
                store.append(
                    *[Deposited(amount=n) for n in (3, 4)], stream_id=stream, expected_version=2
                )
                eventually(lambda: len(failed_attempts(outbox)) >= 2)
                assert outbox.counts()[EntryStatus.DELIVERED] == 2
            finally:
                rabbitmqctl("start_app")
            eventually(lambda: outbox.counts()[EntryStatus.DELIVERED] == 4, seconds=60)
        finally:
            stop.set()
            relay.join(30)
    failures = failed_attempts(outbox)
    assert {a.error_type for a in failures} == {"PublishFailed"}
    third = outbox.entries(stream=stream)[2]
    assert {a.position for a in failures} == {third.position}  # the fourth was held back
    messages = drain(rabbitmq_url, durable_queue)
    events = store.load_stream(stream)
    assert [properties.message_id for _, properties, _ in messages] == [str(e.uuid) for e in events]
    assert {method.routing_key for method, _, _ in messages} == {"billing.contract.Deposited"}
    assert [json.loads(body)["data"]["amount"] for _, _, body in messages] == [1, 2, 3, 4]
    store.close()


def failed_attempts(outbox: Outbox) -> list[Attempt]:
    return [a for a in outbox.attempts() if a.outcome is Outcome.FAILED]
