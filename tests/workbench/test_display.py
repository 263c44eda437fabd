"""Frames shaped for showing: values as text, the fields worth plotting or picking, stream
labels and the latency histogram."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from workbench.display import (
    as_text,
    latency_histogram,
    numeric_fields,
    state_fields,
    stream_options,
    text_columns,
)


def test_object_cells_become_text_and_missing_ones_stay_missing() -> None:
    frame = pd.DataFrame(
        {
            "old": pd.Series([{"a": 1}, None, "<b>x</b>"], dtype=object),
            "n": [1, 2, 3],
            "took": pd.Series([timedelta(seconds=2), None, timedelta(0)], dtype="timedelta64[us]"),
        }
    )
    shown = as_text(frame)
    assert shown["old"].tolist()[0] == '{"a": 1}'
    assert pd.isna(shown["old"].iloc[1])
    assert shown["old"].iloc[2] == "<b>x</b>"
    assert shown["took"].iloc[0] == "0 days 00:00:02"
    assert pd.isna(shown["took"].iloc[1])
    assert shown["n"].tolist() == [1, 2, 3]
    assert text_columns(shown) == ["old", "took"]


def test_state_fields_leave_the_envelope_out_and_numeric_ones_leave_booleans_out() -> None:
    states = pd.DataFrame(
        {
            "version": [1],
            "type": ["t"],
            "created_at": [pd.Timestamp("2026-01-01", tz="UTC")],
            "balance": [3],
            "rate": [0.5],
            "paused": [False],
            "customer.city": ["Oslo"],
        }
    )
    assert state_fields(states) == ["balance", "rate", "paused", "customer.city"]
    assert numeric_fields(states) == ["balance", "rate"]


def test_stream_labels_name_category_and_uuid_and_map_to_the_uuid() -> None:
    streams = pd.DataFrame(
        {"stream_id": ["u1", "u2"], "stream_name": ["wallet-ada", None], "category": ["w", None]}
    )
    assert stream_options(streams) == {"wallet-ada · w · u1": "u1", "u2": "u2"}


def test_the_latency_histogram_counts_delivered_entries_only() -> None:
    entries = pd.DataFrame(
        {"delivery_latency": pd.to_timedelta([1, 2, 3, None], unit="s").astype("timedelta64[us]")}
    )
    histogram = latency_histogram(entries, bins=2)
    assert histogram["count"].tolist() == [1, 2]
    assert histogram["left"].iloc[0] == 1.0
    assert histogram["right"].iloc[-1] == 3.0
    assert latency_histogram(entries.iloc[3:]).empty
