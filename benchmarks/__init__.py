"""Benchmark suite: events/s of our event store against peers and raw drivers.

Run it with ``make bench`` or ``.venv/bin/python -m benchmarks`` from the
repository root; ``benchmarks/README.md`` says what every row measures.
"""
