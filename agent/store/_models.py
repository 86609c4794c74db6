"""The tables, private to the store: call records (one row per call, its turns and its flags), the bookings
of reservation lines, campaigns and the people who run them. Code outside ``agent/store`` reads and writes
them through the repositories, which hand out frozen dataclasses, never these rows."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from agent.store.clock import utcnow


class Base(DeclarativeBase):
    pass


class Call(Base):
    __tablename__ = "calls"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    stream_sid: Mapped[str | None] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(16), default="outbound")
    phone_number: Mapped[str | None] = mapped_column(String(32), index=True)
    person_name: Mapped[str | None] = mapped_column(String(100))
    scenario: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="in_progress", index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_detail: Mapped[str | None] = mapped_column(Text)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recording_path: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(128))  # the process running the call (host:pid:start)
    taken_over_by: Mapped[str | None] = mapped_column(String(32))  # the person's number the call was handed to
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    turns: Mapped[list[Turn]] = relationship(back_populates="call", order_by="Turn.index")
    flags: Mapped[list[Flag]] = relationship(back_populates="call", order_by="Flag.id")


class Turn(Base):
    __tablename__ = "turns"
    __table_args__ = (Index("ix_turns_call_index", "call_id", "index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(16))  # agent | caller | system
    text: Mapped[str] = mapped_column(Text)
    start_ms: Mapped[int] = mapped_column(Integer)
    end_ms: Mapped[int] = mapped_column(Integer)
    state: Mapped[str | None] = mapped_column(String(64))
    latency_ms: Mapped[int | None] = mapped_column(Integer)

    call: Mapped[Call] = relationship(back_populates="turns")


class Flag(Base):
    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str] = mapped_column(Text, default="")
    turn_index: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)

    call: Mapped[Call] = relationship(back_populates="flags")


class OutboxAlert(Base):
    """An alert to send on one channel about some of a call's flags; kept until delivered, so a process that
    dies before sending (or a receiver that is down) delays it, never loses it."""

    __tablename__ = "alert_outbox"
    __table_args__ = (Index("ix_alert_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))  # webhook | email
    flag_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # the flags this alert is about
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BookingRow(Base):
    """A reservation taken by phone (dialog.reservations.Booking); cancelled ones are kept."""

    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_venue_day", "venue_id", "day"),
        Index("ix_bookings_venue_phone", "venue_id", "phone"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    venue_id: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    day: Mapped[date] = mapped_column(Date)
    time: Mapped[time] = mapped_column(Time)
    party_size: Mapped[int] = mapped_column(Integer)
    requests: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="booked")
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


# --- operations: outbound campaigns and the people who run them ---------------------------------------


class Campaign(Base):
    """A scenario called to a contact list within calling hours, with retries and a concurrency cap."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    scenario: Mapped[str] = mapped_column(String(100), default="care_call")
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)  # draft|running|paused|finished
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul")
    # {"days": ["mon", …], "start": "10:00", "end": "18:00"}
    calling_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    start_date: Mapped[date | None] = mapped_column(Date)
    recurrence: Mapped[str] = mapped_column(String(16), default="once")  # once | daily
    # {"no_answer": {"max_retries": 2, "delay_minutes": 30}, "busy": …, "failed": …, "voicemail": …}
    retry_policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    max_concurrent: Mapped[int] = mapped_column(Integer, default=5)
    handoff_number: Mapped[str | None] = mapped_column(String(32))  # E.164: a caller asking for a person gets it
    organization: Mapped[str | None] = mapped_column(String(100))  # {organization} in its calls' disclosure
    disclosure: Mapped[list[str] | None] = mapped_column(JSON)  # its own disclosure lines; None: the scenario's
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("campaign_id", "phone", name="uq_contacts_campaign_phone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(32), index=True)  # E.164
    notes: Mapped[str] = mapped_column(Text, default="")
    source_line: Mapped[int | None] = mapped_column(Integer)  # line in the imported CSV
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the registry's person with this phone (agent.store.people); opt-outs are checked by phone all the same
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)


class Person(Base):
    """Someone the service calls, one row per phone number: who looks after them, whom to call in an
    emergency, and whether they still want calls (an opt-out stops every campaign from then on)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(32), unique=True)  # E.164
    care_worker: Mapped[str | None] = mapped_column(String(100), index=True)  # a dashboard username
    guardian_name: Mapped[str | None] = mapped_column(String(100))
    guardian_phone: Mapped[str | None] = mapped_column(String(32))  # E.164
    notes: Mapped[str] = mapped_column(Text, default="")
    consent: Mapped[str] = mapped_column(String(16), default="unknown")  # unknown | given | refused
    opted_out: Mapped[bool] = mapped_column(default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opt_out_reason: Mapped[str | None] = mapped_column(Text)
    opt_out_source: Mapped[str | None] = mapped_column(String(100))  # who: a username, or "call:<id>"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class CallAttempt(Base):
    """One dial of one contact for one round (a day of a daily campaign). The unique key makes a second
    dial of the same attempt impossible, whichever dialer tries."""

    __tablename__ = "call_attempts"
    __table_args__ = (
        UniqueConstraint("contact_id", "round_date", "attempt_no", name="uq_attempts_contact_round_no"),
        Index("ix_attempts_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    round_date: Mapped[date] = mapped_column(Date)
    attempt_no: Mapped[int] = mapped_column(Integer, default=1)
    # scheduled | queued | dialing | ringing | in_progress | completed | no_answer | busy | failed | voicemail | canceled
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    final: Mapped[bool] = mapped_column(default=False)  # no more attempts will follow this one
    scheduled_for: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    dialer: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    detail: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="operator")  # admin | operator
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DashboardSession(Base):
    """A logged-in browser: the signed cookie carries only its token, the row (keyed by the token's hash)
    says whether it still counts. Logging out revokes it; a password change or disabling revokes them all."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """Who did what to which record: flag resolutions, annotations, campaign actions, logins."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    username: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))  # call | flag | campaign | booking | user
    target_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
