"""The workbench's benchmarks: the events frame of a 1,000,000-event store (ours against
typed events dumped into ``pd.json_normalize``: seconds and peak memory), and time
travel through a 100,000-event stream (``Timeline.at`` against replaying from the
start). Run with ``python -m benchmarks.workbench_rows``; see ``benchmarks/README.md``."""
