"""The RabbitMQ tests need the ``rabbitmq`` extra (pika), which the core-only venv of
``make test-core`` leaves out on purpose: there they are not collected."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("pika") else ["rabbitmq"]
