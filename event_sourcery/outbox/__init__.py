"""The transactional outbox: entries written with events, a relay that delivers them, and publishers."""  # noqa: E501
