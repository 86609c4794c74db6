"""``AlertOutbox``: alerts about flags, kept in the database until a channel has taken them.

An alert is written in the same transaction as the flags it is about (``enqueue_alerts``, called by
``CallStore``), so a flag that is stored is a flag that will be alerted, whatever happens to the process
afterwards. A delivery worker (``agent.dashboard.notify``) claims due alerts with a lease, sends them, and
marks them delivered or reschedules them; a worker that dies mid-send leaves the lease to run out, and the
alert is sent again (receivers deduplicate on the alert's id).

Per call and channel each flag is alerted once: the first alert carries the flags raised so far, a flag
raised later in the same call goes out as a follow-up with the flags new since.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from agent.store._models import Flag, OutboxAlert
from agent.store.clock import as_aware, utcnow
from agent.store.engine import Engine
from dialog.flags import severity_rank

PENDING, DELIVERED = "pending", "delivered"


@dataclass(frozen=True)
class AlertRoute:
    """A channel that alerts on flags at or above ``min_severity`` (``dialog.flags.SEVERITIES``)."""

    channel: str
    min_severity: str


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    call_id: str
    channel: str
    flag_ids: tuple[int, ...]
    status: str  # pending | delivered
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


def enqueue_alerts(session: Session, call_id: str, routes: Sequence[AlertRoute], now: datetime | None = None) -> int:
    """Within the caller's transaction: for each route, the call's flags at or above its minimum that no alert
    on that channel covers yet become one new alert. Idempotent. Returns how many alerts were added."""
    if not routes:
        return 0
    session.flush()  # flags added in this transaction have their ids
    flags = session.execute(select(Flag.id, Flag.severity).where(Flag.call_id == call_id)).all()
    earlier = session.execute(
        select(OutboxAlert.channel, OutboxAlert.flag_ids).where(OutboxAlert.call_id == call_id)
    ).all()
    covered: dict[str, set[int]] = {}
    for channel, flag_ids in earlier:
        covered.setdefault(channel, set()).update(flag_ids or [])
    added = 0
    for route in routes:
        floor = severity_rank(route.min_severity)
        new = sorted(
            fid for fid, severity in flags
            if severity_rank(severity) >= floor and fid not in covered.get(route.channel, set())
        )  # fmt: skip
        if new:
            session.add(
                OutboxAlert(call_id=call_id, channel=route.channel, flag_ids=new, status=PENDING,
                            attempts=0, next_attempt_at=now or utcnow())
            )  # fmt: skip
            covered.setdefault(route.channel, set()).update(new)
            added += 1
    return added


class AlertOutbox:
    def __init__(self, engine: Engine):
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def enqueue(self, call_id: str, routes: Sequence[AlertRoute], now: datetime | None = None) -> int:
        """Alerts for the call's flags not alerted yet on each route's channel (``enqueue_alerts``)."""
        with self._sessions.begin() as session:
            return enqueue_alerts(session, call_id, routes, now)

    def claim_due(self, now: datetime, lease: timedelta, limit: int = 20) -> list[OutboxEntry]:
        """Pending alerts due at ``now``, each claimed for ``lease`` (another worker skips it meanwhile; a worker
        that dies leaves it to come due again). Counts an attempt on each."""
        with self._sessions() as session:
            due = session.scalars(
                select(OutboxAlert.id)
                .where(OutboxAlert.status == PENDING, OutboxAlert.next_attempt_at <= now)
                .order_by(OutboxAlert.next_attempt_at, OutboxAlert.id)
                .limit(limit)
            ).all()
        claimed: list[OutboxEntry] = []
        for alert_id in due:
            with self._sessions.begin() as session:
                taken = session.execute(
                    update(OutboxAlert)
                    .where(OutboxAlert.id == alert_id, OutboxAlert.status == PENDING,
                           OutboxAlert.next_attempt_at <= now)
                    .values(next_attempt_at=now + lease, attempts=OutboxAlert.attempts + 1)
                    .execution_options(synchronize_session=False)
                ).rowcount  # fmt: skip
                if taken == 1:
                    claimed.append(outbox_entry(session.get(OutboxAlert, alert_id)))
        return claimed

    def delivered(self, alert_id: int, now: datetime | None = None) -> None:
        with self._sessions.begin() as session:
            alert = session.get(OutboxAlert, alert_id)
            if alert is not None and alert.status == PENDING:
                alert.status, alert.delivered_at, alert.last_error = DELIVERED, now or utcnow(), None

    def failed(self, alert_id: int, error: str, retry_at: datetime) -> None:
        """A try failed: keep the reason, try again at ``retry_at``."""
        with self._sessions.begin() as session:
            alert = session.get(OutboxAlert, alert_id)
            if alert is not None and alert.status == PENDING:
                alert.last_error, alert.next_attempt_at = error[:2000], retry_at

    def is_follow_up(self, entry: OutboxEntry) -> bool:
        """Whether an earlier alert of the same call went to the same channel."""
        with self._sessions() as session:
            return (
                session.scalar(
                    select(OutboxAlert.id).where(
                        OutboxAlert.call_id == entry.call_id,
                        OutboxAlert.channel == entry.channel,
                        OutboxAlert.id < entry.id,
                    ).limit(1)
                )
                is not None
            )

    def for_call(self, call_id: str) -> list[OutboxEntry]:
        with self._sessions() as session:
            rows = session.scalars(
                select(OutboxAlert).where(OutboxAlert.call_id == call_id).order_by(OutboxAlert.id)
            ).all()
            return [outbox_entry(row) for row in rows]

    def pending(self, limit: int = 100) -> list[OutboxEntry]:
        with self._sessions() as session:
            rows = session.scalars(
                select(OutboxAlert).where(OutboxAlert.status == PENDING).order_by(OutboxAlert.id).limit(limit)
            ).all()
            return [outbox_entry(row) for row in rows]


def outbox_entry(row: OutboxAlert) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        call_id=row.call_id,
        channel=row.channel,
        flag_ids=tuple(row.flag_ids or ()),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=as_aware(row.next_attempt_at),
        last_error=row.last_error,
        created_at=as_aware(row.created_at),
        delivered_at=as_aware(row.delivered_at),
    )
