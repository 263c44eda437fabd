"""Event Sourcery workbench: explore and replay an event store (arrives in later issues)."""

__all__: list[str] = []
