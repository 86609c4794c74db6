"""The people registry: one row per person called (keyed by the E.164 phone number), with their care worker,
guardian, notes, consent and opt-out.

Calls belong to a person by phone number (``calls.phone_number`` = ``people.phone``), not by a stored id: the
live call writes its record without knowing the registry, calls made before a person was registered (or
inbound from a known number) belong to them at once, and nothing has to be backfilled. Campaign contacts
carry ``person_id`` (filled by the CSV import), but an opt-out is checked by phone all the same, so a contact
imported before the registry is honoured too.

An opt-out and its audit entry commit together; so do a data export and a deletion and theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, case, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from agent.store._models import Call, CallAttempt, Campaign, Contact, Flag, OutboxAlert, Turn, User
from agent.store._models import Person as PersonRow
from agent.store.audit import record_event
from agent.store.calls import CallRecord, call_record
from agent.store.clock import as_aware, utcnow
from dialog.phone_numbers import PhoneNumberError, to_e164

CONSENT_STATES = ("unknown", "given", "refused")
DELETED_NAME = "(삭제됨)"


class PersonDetailsError(ValueError):
    """A person's detail that cannot be stored; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    phone: str  # E.164
    care_worker: str | None = None  # a dashboard username
    guardian_name: str | None = None
    guardian_phone: str | None = None  # E.164
    notes: str = ""
    consent: str = "unknown"  # CONSENT_STATES
    opted_out: bool = False
    opted_out_at: datetime | None = None
    opt_out_reason: str | None = None
    opt_out_source: str | None = None  # who opted them out (or back in): a username, or "call:<id>"
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class PersonAttempt:
    """One campaign dial of the person's number, whether or not it reached a call."""

    attempt_id: str
    campaign_id: str
    campaign_name: str
    status: str  # agent.store.campaigns ENDED (or still waiting / live)
    at: datetime  # when it was dialled (or scheduled, when never dialled)
    call_id: str | None
    detail: str | None


@dataclass(frozen=True)
class Deletion:
    """What deleting a person removed; the recordings are files the caller deletes."""

    person_id: int
    calls: int
    contacts: int
    recording_paths: list[str]
    kept_opt_out: bool  # the row stays, stripped to the number and its opt-out, so no campaign calls again


def normalise_phone(phone: str) -> str:
    """E.164 as the CSV import writes it; text that is no number is only stripped (it can match nothing)."""
    try:
        return to_e164(phone)
    except PhoneNumberError:
        return (phone or "").strip()


def register(session: Session, phone: str, name: str, **fields: Any) -> int:
    """Find or create the person with this (E.164) phone in the caller's transaction, set ``name`` and every
    field given a value (an empty one leaves what is stored); returns their id. For the store's other
    repositories (the campaign import); everyone else uses ``PeopleStore``."""
    row = session.scalar(select(PersonRow).where(PersonRow.phone == phone))
    if row is None:
        row = PersonRow(phone=phone, name=name, notes="", consent="unknown", opted_out=False)
        session.add(row)
    elif name and row.name != name:
        row.name = name
    for key, value in fields.items():
        if value:
            setattr(row, key, value)
    session.flush()
    return row.id


class PeopleStore:
    def __init__(self, engine: Engine):
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # --- reading -------------------------------------------------------------------------------------------

    def get(self, person_id: int) -> Person | None:
        with self._sessions() as session:
            row = session.get(PersonRow, person_id)
            return _person(row) if row else None

    def by_phone(self, phone: str | None) -> Person | None:
        if not phone:
            return None
        with self._sessions() as session:
            row = session.scalar(select(PersonRow).where(PersonRow.phone == normalise_phone(phone)))
            return _person(row) if row else None

    def search(self, query: str = "", *, first_of: str | None = None, limit: int = 200) -> list[Person]:
        """People whose name or number contains ``query`` (``010-1234`` finds ``+821012…`` too); those whose
        care worker is ``first_of`` first, then by name."""
        select_people = select(PersonRow)
        query = query.strip()
        if query:
            needles = {query}
            digits = "".join(ch for ch in query if ch.isdigit())
            if digits:
                needles.add(digits)
                if digits.startswith("0"):
                    needles.add("82" + digits[1:])  # 010-1234 → +8210-1234
            select_people = select_people.where(or_(
                PersonRow.name.contains(query, autoescape=True),
                *(PersonRow.phone.contains(n, autoescape=True) for n in needles),
            ))  # fmt: skip
        mine = case((PersonRow.care_worker == first_of, 0), else_=1) if first_of else None
        order = [mine, PersonRow.name, PersonRow.id] if mine is not None else [PersonRow.name, PersonRow.id]
        with self._sessions() as session:
            return [_person(r) for r in session.scalars(select_people.order_by(*order).limit(limit))]

    def is_opted_out(self, phone: str) -> bool:
        with self._sessions() as session:
            return bool(session.scalar(
                select(PersonRow.opted_out).where(PersonRow.phone == normalise_phone(phone))
            ))  # fmt: skip

    def care_workers(self) -> set[str]:
        """The usernames a person can be assigned to: the dashboard's enabled accounts."""
        with self._sessions() as session:
            return set(session.scalars(select(User.username).where(User.disabled.is_(False))))

    def calls(self, phone: str, since: datetime | None = None, limit: int = 1000) -> list[CallRecord]:
        """The number's calls, newest first, with their flags and without their turns."""
        query = select(Call).where(Call.phone_number == phone)
        if since is not None:
            query = query.where(Call.started_at >= since)
        with self._sessions() as session:
            rows = session.scalars(
                query.options(selectinload(Call.flags)).order_by(Call.started_at.desc()).limit(limit)
            ).all()
            return [call_record(c, with_turns=False) for c in rows]

    def attempts(self, phone: str, limit: int = 1000) -> list[PersonAttempt]:
        """Every campaign attempt to the number, newest first."""
        with self._sessions() as session:
            rows = session.execute(
                select(CallAttempt, Campaign.name).join(Contact, Contact.id == CallAttempt.contact_id)
                .join(Campaign, Campaign.id == CallAttempt.campaign_id).where(Contact.phone == phone)
                .order_by(func.coalesce(CallAttempt.started_at, CallAttempt.scheduled_for).desc()).limit(limit)
            ).all()  # fmt: skip
        return [
            PersonAttempt(a.id, a.campaign_id, name, a.status, as_aware(a.started_at or a.scheduled_for), a.call_id,
                          a.detail)
            for a, name in rows
        ]  # fmt: skip

    # --- changing ------------------------------------------------------------------------------------------

    def set_opted_out(
        self, phone: str, opted_out: bool, *, actor: str, reason: str, call_id: int | str | None = None
    ) -> Person:
        """Mark the number opted out (no campaign dials it from now on) or back in, with who and why; the
        person is created when unknown. The audit entry commits with the change. ``call_id``: the call in
        which the person asked."""
        phone = to_e164(phone)  # PhoneNumberError (a ValueError): nothing to mark
        for attempt in (1, 2):
            try:
                with self._sessions.begin() as session:
                    row = session.scalar(select(PersonRow).where(PersonRow.phone == phone))
                    if row is None:
                        row = PersonRow(phone=phone, name="", notes="", consent="unknown", opted_out=False)
                        session.add(row)
                    now = utcnow()
                    row.opted_out = opted_out
                    row.opted_out_at = now if opted_out else None
                    row.opt_out_reason = reason
                    row.opt_out_source = f"call:{call_id}" if call_id is not None else actor
                    row.updated_at = now
                    session.flush()
                    record_event(
                        session, actor, "person.opt_out" if opted_out else "person.opt_in", "person", str(row.id),
                        phone=phone, reason=reason, **({"call_id": str(call_id)} if call_id is not None else {}),
                    )  # fmt: skip
                    return _person(row)
            except IntegrityError:  # created by someone else at the same moment: now it is there
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def update_details(
        self, person_id: int, *, actor: str, care_worker: str | None, guardian_name: str | None,
        guardian_phone: str | None, notes: str, consent: str,
    ) -> Person | None:
        """Set what the registry keeps about the person (empty text: none); None: no such person. The care
        worker must be an enabled dashboard account, checked in the same transaction. The audit entry, with
        each changed field's old and new value, commits with the change; nothing changed, nothing audited.
        PersonDetailsError (a ValueError) names the field that is wrong."""
        care_worker = (care_worker or "").strip() or None
        guardian_name = (guardian_name or "").strip() or None
        if consent not in CONSENT_STATES:
            raise PersonDetailsError("consent", f"expected one of {', '.join(CONSENT_STATES)}, got {consent!r}")
        if guardian_name and len(guardian_name) > 100:
            raise PersonDetailsError("guardian_name", "longer than 100 characters")
        try:
            guardian = to_e164(guardian_phone) if (guardian_phone or "").strip() else None
        except PhoneNumberError as exc:
            raise PersonDetailsError("guardian_phone", str(exc)) from exc
        wanted = {"care_worker": care_worker, "guardian_name": guardian_name, "guardian_phone": guardian,
                  "notes": (notes or "").strip(), "consent": consent}  # fmt: skip
        with self._sessions.begin() as session:
            row = session.get(PersonRow, person_id)
            if row is None:
                return None
            if care_worker and care_worker != row.care_worker and not session.scalar(
                select(User.id).where(User.username == care_worker, User.disabled.is_(False))
            ):
                raise PersonDetailsError("care_worker", f"'{care_worker}' is not an enabled dashboard user")
            changed = {k: [getattr(row, k), v] for k, v in wanted.items() if getattr(row, k) != v}
            if changed:
                for key, (_, value) in changed.items():
                    setattr(row, key, value)
                row.updated_at = utcnow()
                session.flush()
                record_event(session, actor, "person.update", "person", str(row.id), changed=changed)
            return _person(row)

    def opt_out_by_callee(self, phone: str, *, said: str, call_id: int | str) -> Person:
        """The callee asked for no more calls during a call (a live call or a simulated one): stored on them,
        ``said`` their words, before the call's record is finished so a dialer hearing of its end sees it."""
        return self.set_opted_out(phone, True, actor="callee", reason=said, call_id=call_id)

    def export(self, person_id: int, *, actor: str) -> dict[str, Any] | None:
        """Everything kept about the person (record, calls with transcripts and flags, campaign attempts), as
        JSON-ready data; the export is audited in the same transaction. None: no such person."""
        with self._sessions.begin() as session:
            row = session.get(PersonRow, person_id)
            if row is None:
                return None
            person = _person(row)
            calls = session.scalars(
                select(Call).where(Call.phone_number == person.phone)
                .options(selectinload(Call.turns), selectinload(Call.flags)).order_by(Call.started_at)
            ).all()  # fmt: skip
            records = [call_record(c) for c in calls]
            record_event(session, actor, "person.export", "person", str(person_id), calls=len(records))
        return {
            "person": _jsonable(person.__dict__),
            "calls": [
                _jsonable({k: v for k, v in c.__dict__.items() if k not in ("turns", "flags", "owner")})
                | {"turns": [_jsonable(t.__dict__) for t in c.turns], "flags": [_jsonable(f.__dict__) for f in c.flags]}
                for c in records
            ],
            "attempts": [_jsonable(a.__dict__) for a in self.attempts(person.phone)],
        }  # fmt: skip

    def delete(self, person_id: int, *, actor: str, reason: str) -> Deletion | None:
        """Delete the person on request: their calls (turns, flags and pending alerts go with them), their
        campaign contacts (with their attempts) and their record. Kept: the audit trail (who did what stays
        accountable; this deletion is in it, without name or number) and, when they had opted out, the number
        with its opt-out (so no campaign calls them again). The recordings' paths are returned for the caller
        to delete the files. None: no such person."""
        with self._sessions.begin() as session:
            row = session.get(PersonRow, person_id)
            if row is None:
                return None
            phone = row.phone
            call_ids = list(session.scalars(select(Call.id).where(Call.phone_number == phone)))
            paths = [p for p in session.scalars(select(Call.recording_path).where(Call.id.in_(call_ids))) if p]
            contact_ids = list(session.scalars(select(Contact.id).where(Contact.phone == phone)))
            if contact_ids:
                session.execute(delete(CallAttempt).where(CallAttempt.contact_id.in_(contact_ids)))
                session.execute(delete(Contact).where(Contact.id.in_(contact_ids)))
            if call_ids:  # children first: the same on every database, whatever its foreign keys cascade
                for table in (Turn, Flag, OutboxAlert):
                    session.execute(delete(table).where(table.call_id.in_(call_ids)))
                session.execute(delete(Call).where(Call.id.in_(call_ids)))
            kept = bool(row.opted_out)
            if kept:
                row.name, row.care_worker, row.guardian_name, row.guardian_phone, row.notes = DELETED_NAME, None, None, None, ""
                row.updated_at = utcnow()
            else:
                session.delete(row)
            record_event(
                session, actor, "person.delete", "person", str(person_id),
                reason=reason, calls=len(call_ids), contacts=len(contact_ids), recordings=len(paths),
                kept_opt_out=kept,
            )  # fmt: skip
        return Deletion(person_id, len(call_ids), len(contact_ids), paths, kept)


def _person(row: PersonRow) -> Person:
    return Person(
        id=row.id, name=row.name, phone=row.phone, care_worker=row.care_worker, guardian_name=row.guardian_name,
        guardian_phone=row.guardian_phone, notes=row.notes or "", consent=row.consent, opted_out=bool(row.opted_out),
        opted_out_at=as_aware(row.opted_out_at), opt_out_reason=row.opt_out_reason, opt_out_source=row.opt_out_source,
        created_at=as_aware(row.created_at), updated_at=as_aware(row.updated_at),
    )  # fmt: skip


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}
