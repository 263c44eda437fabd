"""The outbox's statements, built with SQLAlchemy Core and compiled once per dialect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Dialect,
    Select,
    and_,
    any_,
    bindparam,
    delete,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import BindParameter

from event_sourcery.outbox.entries import EntryStatus, Selection
from event_sourcery.storage.sql import dialects
from event_sourcery.storage.sql.driver import BulkInsert, DriverStatement, once_per_dialect
from event_sourcery.storage.sql.tables import events, outbox, outbox_attempts, streams
from event_sourcery.streams import StreamId

_o, _a, _e, _s = outbox.c, outbox_attempts.c, events.c, streams.c

ENTRY_COLUMNS = (
    "position",
    "event_uuid",
    "stream_uuid",
    "category",
    "version",
    "type",
    "status",
    "attempts",
    "failures",
    "created_at",
    "next_attempt_at",
    "delivered_at",
    "last_error",
    "leased_by",
    "leased_at",
    "leased_until",
)
"""The columns of an entry row, in the order every entry query returns them."""
_NEW_ENTRY_WIDTH = 11
"""A new entry sets the columns up to ``next_attempt_at``; the others start NULL."""
EVENT_COLUMNS = ("schema_version", "data", "context", "created_at", "name")
"""What a leased entry's row adds: its event's (NULL when the event is gone) and stream name."""
DELIVERY_COLUMNS = ("delivery_number", "delivered_by", "delivery_started_at")
"""The columns that keep a relay's delivering attempt on its entry (added after the first
version of the table)."""
ATTEMPT_COLUMNS = (
    "position",
    "number",
    "relay_id",
    "started_at",
    "finished_at",
    "outcome",
    "error_type",
    "error_message",
    "replay",
)
_PENDING: ColumnElement[Any] = literal_column(f"'{EntryStatus.PENDING.value}'")
_DEAD: ColumnElement[Any] = literal_column(f"'{EntryStatus.DEAD.value}'")
_DELIVERED: ColumnElement[Any] = literal_column(f"'{EntryStatus.DELIVERED.value}'")
_ZERO: ColumnElement[Any] = literal_column("0")
_ONE: ColumnElement[Any] = literal_column("1")
_entry_fields = [_o[name] for name in ENTRY_COLUMNS]
_event_fields = [_e.schema_version, _e.data, _e.context, _e.created_at, _s.name]


@dataclass(frozen=True)
class OutboxStatements:
    """Parameters are named p_*; position lists are JSON arrays (p_positions)."""

    insert_entries: DriverStatement
    """Entries for the events p_uuids lists, of stream p_uuid/p_category, due p_now."""
    delete_entries: DriverStatement
    """Remove the entries of the events p_uuids lists (an append taken back)."""
    due: DriverStatement
    """Up to p_limit entries a relay may take at p_now (see ``OutboxStorage``), with their
    events: entry columns, then event columns; in no particular order."""
    due_and_lease: DriverStatement | None
    """PostgreSQL: ``due`` and ``lease`` (to p_relay from p_now until p_until) in one
    statement; the rows show the entries as they were before. None elsewhere."""
    abandon: DriverStatement
    """Count a lost attempt of entry p_position (lease ran out) as a failure; it stays
    pending (p_status) due at p_next, leased to p_relay from p_leased_at until p_until,
    or is dead (all of those NULL)."""
    lease: DriverStatement
    """Lease p_positions (just picked by ``due``, and locked) to p_relay from p_now until
    p_until; returns them. By primary key only: a status condition would let the planner
    scan a pending index instead."""
    deliver: DriverStatement
    """Entries delivered by p_relay, if still held by the lease it took at p_leased_at;
    p_delivered is a JSON array of [position, attempt started, attempt finished] (times as
    ``ValueCodec.time_text``). One statement for a whole batch, which also keeps each
    delivering attempt on its entry."""
    finish: DriverStatement
    """Entry p_position failed (or is dead) with p_status, p_failures, p_next, p_error, if
    still held by that lease; returns it."""
    finish_replay: DriverStatement
    """Entry p_position replayed as attempt p_number (p_status, p_error, p_delivered), if
    no other attempt came first; returns it."""
    release: DriverStatement
    """End the lease p_relay took at p_leased_at of p_positions, without an attempt."""
    insert_attempts: BulkInsert
    forget_attempts: DriverStatement
    """Remove the attempts of the entries p_positions names (purge)."""
    forget_entries: DriverStatement
    """Remove the entries p_positions names (purge)."""
    attempts_of: DriverStatement
    """The attempts of the entries p_positions names: the attempts table's rows and the
    delivering attempts kept on the entries, in (position, number) order."""
    every_attempt: DriverStatement
    counts: DriverStatement
    delivery_columns: DriverStatement
    """No rows; fails if the table lacks ``DELIVERY_COLUMNS``."""
    requeue: DriverStatement
    """Dead entries among p_positions back to pending, due p_now; returns them."""


def _compile(dialect: Dialect) -> OutboxStatements:
    name = dialect.name
    now: BindParameter[Any] = bindparam("p_now")
    in_positions = dialects.in_json_array(name, _o.position, "p_positions", integers=True)
    in_attempt_positions = dialects.in_json_array(name, _a.position, "p_positions", integers=True)
    uuids = dialects.json_values(name, "p_uuids", uuids=True)
    # The first entry of the candidate's stream that is waiting (for a retry, or for the
    # relay that leased it): the candidate may go only if there is none before it. Asked
    # as "the first such entry" rather than "any earlier one", so that the only good plan
    # is a probe of the stream's pending entries, whatever the table's statistics say.
    blocked = outbox.alias("blocked")
    first_blocked = (
        select(blocked.c.position)
        .where(
            blocked.c.stream_uuid == _o.stream_uuid,
            blocked.c.category == _o.category,
            blocked.c.status == _PENDING,
            or_(blocked.c.next_attempt_at > now, blocked.c.leased_until > now),
        )
        .order_by(blocked.c.position)
        .limit(_ONE)
        .offset(_ZERO)
        .scalar_subquery()
    )
    free = or_(_o.leased_until.is_(None), _o.leased_until <= now)
    picking = (
        select(*_entry_fields)
        .where(
            _o.status == _PENDING,
            _o.next_attempt_at <= now,
            free,
            func.coalesce(first_blocked, _o.position + _ONE) > _o.position,
        )
        .order_by(_o.position)
        .limit(bindparam("p_limit"))
        .offset(literal_column("0"))  # SQLite's LIMIT would otherwise bind an OFFSET too
        # No FOR UPDATE: claims take turns and outcomes are recorded between them
        # (``dialects.claim_start``), so nothing else writes a pending entry meanwhile.
    )
    picked = picking.subquery("picked")
    # No ORDER BY out here (the caller sorts the few rows): with sorts off for the claim
    # (``dialects.OUTBOX_CLAIM_START``) PostgreSQL would walk the whole table in order.
    due = select(*[picked.c[name] for name in ENTRY_COLUMNS], *_event_fields).select_from(
        picked.outerjoin(events, _e.position == picked.c.position).outerjoin(
            streams, _s.id == _e.stream_id
        )
    )
    new_entries = select(
        _e.position,
        _e.uuid,
        bindparam("p_uuid"),
        bindparam("p_category"),
        _e.version,
        _e.type,
        _PENDING,
        _ZERO,
        _ZERO,
        now,
        now,
    ).where(dialects.is_one_of(name, _e.uuid, uuids))  # a probe per uuid, never a scan
    entry_of = _o.position == bindparam("p_position")
    no_lease = {"leased_by": null(), "leased_at": null(), "leased_until": null()}
    held = (_o.leased_by == bindparam("p_relay"), _o.leased_at == bindparam("p_leased_at"))
    # PostgreSQL would rather scan the entries for the join than probe their key for each
    # given row, unless told which positions to probe; SQLite probes, and with the same
    # condition would scan the given rows once per entry instead.
    delivered = dialects.json_rows(
        name,
        "p_delivered",
        {
            "position": _o.position.type,
            "started_at": _a.started_at.type,
            "finished_at": _a.finished_at.type,
        },
    )
    probe_delivered = (
        [dialects.is_one_of(name, _o.position, select(delivered.c.position))]
        if name == "postgresql"
        else []
    )

    def compiled(statement: ClauseElement, columns: tuple[str, ...] = ()) -> DriverStatement:
        return DriverStatement.compile(statement, dialect, columns)

    return OutboxStatements(
        insert_entries=compiled(
            outbox.insert().from_select(list(ENTRY_COLUMNS[:_NEW_ENTRY_WIDTH]), new_entries)
        ),
        delete_entries=compiled(delete(outbox).where(_o.event_uuid.in_(uuids))),
        due=compiled(due),
        due_and_lease=compiled(_due_and_lease(picking, now)) if name == "postgresql" else None,
        abandon=compiled(
            update(outbox)
            .where(entry_of)
            .values(
                status=bindparam("p_status"),
                attempts=_o.attempts + _ONE,
                failures=_o.failures + _ONE,
                next_attempt_at=bindparam("p_next"),
                last_error=bindparam("p_error"),
                leased_by=bindparam("p_relay"),
                leased_at=bindparam("p_leased_at"),
                leased_until=bindparam("p_until"),
            )
        ),
        lease=compiled(
            update(outbox)
            .where(in_positions)
            .values(
                leased_by=bindparam("p_relay"),
                leased_at=now,
                leased_until=bindparam("p_until"),
            )
            .returning(_o.position)
        ),
        deliver=compiled(
            update(outbox)
            .where(_o.position == delivered.c.position, *held, *probe_delivered)
            .values(
                status=_DELIVERED,
                attempts=_o.attempts + _ONE,
                next_attempt_at=null(),
                delivered_at=func.coalesce(_o.delivered_at, delivered.c.finished_at),
                delivery_number=_o.attempts + _ONE,
                delivered_by=bindparam("p_relay"),
                delivery_started_at=delivered.c.started_at,
                **no_lease,
            )
        ),
        finish=compiled(
            update(outbox)
            .where(entry_of, *held)
            .values(
                status=bindparam("p_status"),
                attempts=_o.attempts + _ONE,
                failures=bindparam("p_failures"),
                next_attempt_at=bindparam("p_next"),
                last_error=bindparam("p_error"),
                **no_lease,
            )
            .returning(_o.position)
        ),
        finish_replay=compiled(
            update(outbox)
            .where(
                entry_of,
                _o.attempts == bindparam("p_number") - _ONE,
                _o.status == bindparam("p_previous"),
            )
            .values(
                status=bindparam("p_status"),
                attempts=bindparam("p_number"),
                delivered_at=func.coalesce(_o.delivered_at, bindparam("p_delivered")),
                last_error=bindparam("p_error"),
            )
            .returning(_o.position)
        ),
        release=compiled(update(outbox).where(in_positions, *held).values(**no_lease)),
        insert_attempts=BulkInsert(outbox_attempts, ATTEMPT_COLUMNS, dialect),
        forget_attempts=compiled(delete(outbox_attempts).where(in_attempt_positions)),
        forget_entries=compiled(delete(outbox).where(in_positions)),
        attempts_of=compiled(_attempts(in_attempt_positions, in_positions)),
        every_attempt=compiled(_attempts()),
        counts=compiled(select(_o.status, func.count()).group_by(_o.status)),
        delivery_columns=compiled(select(*[_o[c] for c in DELIVERY_COLUMNS]).where(false())),
        requeue=compiled(
            update(outbox)
            .where(in_positions, _o.status == _DEAD)
            .values(status=_PENDING, failures=_ZERO, next_attempt_at=now)
            .returning(_o.position)
        ),
    )


outbox_statements_for = once_per_dialect(_compile)
"""The outbox's statements compiled for a dialect, once."""


def _attempts(*where: ColumnElement[bool]) -> CompoundSelect[Any]:
    """Attempts (of the entries ``where`` picks: the attempts table's condition, then the
    entries'): the attempts table's rows and the delivering attempts on the entries."""
    recorded = select(*[_a[name] for name in ATTEMPT_COLUMNS])
    delivering = select(
        _o.position,
        _o.delivery_number,
        _o.delivered_by,
        _o.delivery_started_at,
        _o.delivered_at,
        _DELIVERED,
        null(),
        null(),
        false(),
    ).where(_o.delivered_by.is_not(None))
    if where:
        recorded, delivering = recorded.where(where[0]), delivering.where(where[1])
    return union_all(recorded, delivering).order_by(
        literal_column("position"), literal_column("number")
    )


def _due_and_lease(picking: Select[Any], now: BindParameter[Any]) -> ClauseElement:
    """The claim as one statement on PostgreSQL: the picked rows in one CTE (materialized,
    so that the lease and the rows read out are the same), their lease in a data-modifying
    one, and the picked rows with their events read out."""
    picked = picking.cte("picked").prefix_with("MATERIALIZED")
    leased = (
        update(outbox)
        .where(_o.position == any_(func.array(select(picked.c.position).scalar_subquery())))
        .values(leased_by=bindparam("p_relay"), leased_at=now, leased_until=bindparam("p_until"))
        .returning(_o.position)
        .cte("leased")
    )
    return (
        select(*[picked.c[name] for name in ENTRY_COLUMNS], *_event_fields)
        .select_from(
            picked.outerjoin(events, _e.position == picked.c.position).outerjoin(
                streams, _s.id == _e.stream_id
            )
        )
        .add_cte(leased)
    )


def selected(selection: Selection, with_events: bool, dialect_name: str) -> Select[Any]:
    """Entries (with their events, for replays) matching ``selection``, in position order.
    Parameters: p_status, p_stream_uuid, p_stream_category, p_types, p_since, p_until,
    p_positions (JSON arrays for lists), p_limit; only those the selection uses appear."""
    statement = select(*_entry_fields, *(_event_fields if with_events else ()))
    if with_events:
        statement = statement.select_from(
            outbox.outerjoin(events, _e.position == _o.position).outerjoin(
                streams, _s.id == _e.stream_id
            )
        )
    conditions: list[ColumnElement[bool]] = []
    if selection.status is not None:
        conditions.append(_o.status == bindparam("p_status"))
    if selection.stream is not None:
        # Through the stream's events (their index), then the entries' primary key.
        stream = [_s.uuid == bindparam("p_stream_uuid")]
        if isinstance(selection.stream, StreamId):
            stream.append(_s.category == bindparam("p_stream_category"))
        of_stream = select(_e.position).join_from(events, streams, _e.stream_id == _s.id)
        conditions.append(_o.position.in_(of_stream.where(*stream)))
    if selection.types is not None:
        conditions.append(_o.type.in_(dialects.json_values(dialect_name, "p_types")))
    if selection.since is not None:
        conditions.append(_o.created_at >= bindparam("p_since"))
    if selection.until is not None:
        conditions.append(_o.created_at < bindparam("p_until"))
    if selection.positions is not None:
        in_positions = dialects.in_json_array(dialect_name, _o.position, "p_positions", True)
        conditions.append(in_positions)
    statement = statement.where(*conditions).order_by(_o.position)
    if selection.limit is not None:
        statement = statement.limit(bindparam("p_limit")).offset(literal_column("0"))
    return statement


def purgeable(statuses: tuple[EntryStatus, ...]) -> Select[Any]:
    """The positions of the entries of ``statuses`` older than p_before, locked: delivered
    entries by their delivery time, dead ones by their creation."""
    before: BindParameter[Any] = bindparam("p_before")
    picks: list[ColumnElement[bool]] = []
    if EntryStatus.DELIVERED in statuses:
        picks.append(and_(_o.status == _DELIVERED, _o.delivered_at < before))
    if EntryStatus.DEAD in statuses:
        picks.append(and_(_o.status == _DEAD, _o.created_at < before))
    return select(_o.position).where(or_(*picks) if picks else false()).with_for_update()
