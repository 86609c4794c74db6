"""The people pages: the list (the care worker's own people first), one person's record, calls, the last eight
weeks of their answers and flags, missed-call streaks, how each flag was handled; opting out, exporting and
deleting on request."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from loguru import logger
from markupsafe import Markup

from agent.dashboard.charts import Category, weekly_stacked_bars
from agent.recordings import RecordingShelf, RecordingStorageError
from agent.store import CallRecord, FlagRecord, PeopleStore, Person
from agent.store.people import CONSENT_STATES, Deletion, PersonAttempt, PersonDetailsError
from dialog.labels import DEFAULT, Labels
from dialog.vocabulary import SYMPTOMS_KEY

WEEKS = 8
# The care call's answers charted week by week (dialog/scenarios/care_call.yaml), symptoms last.
CHARTED_ANSWERS = ("meal", "sleep", "mood", "medication", "health", SYMPTOMS_KEY)
GOOD_VALUES = frozenset({"eaten", "good", "well", "taken"})
BAD_VALUES = frozenset({"skipped", "poor", "unwell", "missed", "low"})
SEVERITIES = ("critical", "high", "medium", "low")
# Not answered by the person: the phone rang out or an answering machine took it, or the call connected and
# nobody spoke. Other undialled or failed attempts (busy, network failure, opted out) neither lengthen a streak
# nor end it; an answered call ends it.
MISSED_ATTEMPTS = frozenset({"no_answer", "voicemail"})
MISSED_OUTCOMES = frozenset({"no_response", "no_answer"})
NEUTRAL_ATTEMPTS = frozenset({"busy", "failed", "canceled", "unknown", "opted_out"})


@dataclass(frozen=True)
class TimelineEntry:
    """A call, or a campaign dial that reached no call."""

    at: datetime
    call: CallRecord | None = None
    attempt: PersonAttempt | None = None

    @property
    def missed(self) -> bool:
        if self.call is not None:
            return self.call.outcome in MISSED_OUTCOMES
        return self.attempt is not None and self.attempt.status in MISSED_ATTEMPTS

    @property
    def neutral(self) -> bool:
        return self.call is None and self.attempt is not None and self.attempt.status in NEUTRAL_ATTEMPTS


@dataclass(frozen=True)
class Streak:
    start: datetime
    end: datetime
    length: int


@dataclass(frozen=True)
class HandledFlag:
    call_id: str
    call_at: datetime
    flag: FlagRecord


@dataclass
class PersonPage:
    person: Person
    timeline: list[TimelineEntry]
    charts: list[tuple[str, str, Markup]]  # (answer key, its Korean name, the chart)
    flag_chart: Markup
    streaks: list[Streak]  # of two or more, newest first
    current_streak: int  # missed in a row up to now
    flags: list[HandledFlag] = field(default_factory=list)  # newest first


class PeopleDesk:
    """The people registry for the dashboard (synchronous; routes run in a thread pool)."""

    def __init__(self, store: PeopleStore, tz: tzinfo, labels: Labels = DEFAULT):
        self._store = store
        self._tz = tz
        self.labels = labels

    def list(self, query: str, username: str) -> list[Person]:
        return self._store.search(query, first_of=username)

    def get(self, person_id: int) -> Person | None:
        return self._store.get(person_id)

    def by_phone(self, phone: str | None) -> Person | None:
        return self._store.by_phone(phone)

    def page(self, person_id: int, now: datetime) -> PersonPage | None:
        person = self._store.get(person_id)
        if person is None:
            return None
        calls = self._store.calls(person.phone)
        attempts = self._store.attempts(person.phone)
        timeline = _timeline(calls, attempts)
        weeks = week_starts(now, self._tz)
        since = datetime.combine(weeks[0], time(0), self._tz)
        recent = [c for c in calls if c.started_at >= since]
        streaks, current = missed_streaks(timeline)
        return PersonPage(
            person=person,
            timeline=timeline,
            charts=[(key, self.labels.answer(key), self._answer_chart(key, weeks, recent)) for key in CHARTED_ANSWERS],
            flag_chart=self._flag_chart(weeks, recent),
            streaks=streaks,
            current_streak=current,
            flags=sorted(
                (HandledFlag(c.id, c.started_at, f) for c in calls for f in c.flags),
                key=lambda h: (h.flag.created_at, h.flag.id), reverse=True,
            ),
        )  # fmt: skip

    def set_opted_out(self, person_id: int, opted_out: bool, actor: str, reason: str) -> Person:
        """KeyError: no such person; ValueError: no reason given."""
        person = self._store.get(person_id)
        if person is None:
            raise KeyError(person_id)
        if not reason.strip():
            raise ValueError("사유를 적어 주세요.")
        return self._store.set_opted_out(person.phone, opted_out, actor=actor, reason=reason.strip())

    def care_workers(self) -> list[str]:
        """The accounts a person can be assigned to (enabled dashboard users), for the form's choices."""
        return sorted(self._store.care_workers())

    def update_details(self, person_id: int, actor: str, *, care_worker: str, guardian_name: str,
                       guardian_phone: str, notes: str, consent: str) -> Person:
        """KeyError: no such person; ValueError: a field the registry cannot take (in Korean, for the page)."""
        try:
            person = self._store.update_details(
                person_id, actor=actor, care_worker=care_worker, guardian_name=guardian_name,
                guardian_phone=guardian_phone, notes=notes, consent=consent,
            )  # fmt: skip
        except PersonDetailsError as exc:
            raise ValueError(_DETAIL_ERRORS.get(exc.field, str(exc))) from exc
        if person is None:
            raise KeyError(person_id)
        return person

    def export(self, person_id: int, actor: str) -> bytes | None:
        data = self._store.export(person_id, actor=actor)
        return None if data is None else json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")

    def delete(self, person_id: int, actor: str, reason: str, shelf: RecordingShelf) -> tuple[Deletion, int] | None:
        """Delete the person's data (``PeopleStore.delete``), then their recordings from whichever storage
        holds them. Returns the deletion and how many recordings could not be deleted (logged by reference,
        to be removed by hand: the storage was unreachable)."""
        if not reason.strip():
            raise ValueError("삭제 사유를 적어 주세요.")
        deletion = self._store.delete(person_id, actor=actor, reason=reason.strip())
        if deletion is None:
            return None
        failed = 0
        for reference in deletion.recording_paths:
            try:
                found = shelf.find(reference)
                if found is not None:
                    found[0].delete(reference)
            except RecordingStorageError as exc:
                failed += 1
                logger.error(f"person {person_id} deleted, but not their recording {reference}: {exc}")
        return deletion, failed

    # --- charts ----------------------------------------------------------------------------------------

    def _answer_chart(self, key: str, weeks: list[date], calls: list[CallRecord]) -> Markup:
        per_week: list[Counter[str]] = [Counter() for _ in weeks]
        for call in calls:
            value = call.answers.get(key)
            if value is None or value == "":
                continue
            index = self._week_index(call.started_at, weeks)
            for item in value if isinstance(value, list) else [value]:
                per_week[index][str(item)] += 1
        values = sorted({v for c in per_week for v in c}, key=_value_order)
        categories = [
            Category(v, self.labels.value(key, v), [c[v] for c in per_week], _tone(v)) for v in values
        ]  # fmt: skip
        return weekly_stacked_bars(_week_labels(weeks), categories, chart=key, title=f"{self.labels.answer(key)} (주별)")

    def _flag_chart(self, weeks: list[date], calls: list[CallRecord]) -> Markup:
        per_week: list[Counter[str]] = [Counter() for _ in weeks]
        for call in calls:
            for flag in call.flags:
                per_week[self._week_index(call.started_at, weeks)][flag.severity] += 1
        present = [s for s in SEVERITIES if any(c[s] for c in per_week)]
        categories = [Category(s, _SEVERITY_NAMES.get(s, s), [c[s] for c in per_week], s) for s in present]
        return weekly_stacked_bars(_week_labels(weeks), categories, chart="flags", title="주별 알림", data_name="chart")

    def _week_index(self, at: datetime, weeks: list[date]) -> int:
        day = at.astimezone(self._tz).date()
        return min(max((day - weeks[0]).days // 7, 0), len(weeks) - 1)


_DETAIL_ERRORS = {
    "care_worker": "담당자는 사용 중인 대시보드 계정이어야 합니다.",
    "guardian_phone": "보호자 전화번호를 확인해 주세요 (예: 010-1234-5678).",
    "guardian_name": "보호자 이름은 100자까지 적을 수 있습니다.",
    "consent": f"개인정보 동의는 {', '.join(CONSENT_STATES)} 중 하나여야 합니다.",
}
_SEVERITY_NAMES = {"critical": "긴급", "high": "높음", "medium": "보통", "low": "낮음"}


def week_starts(now: datetime, tz: tzinfo, weeks: int = WEEKS) -> list[date]:
    """The Mondays of the last ``weeks`` weeks (in ``tz``), this week's last."""
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def missed_streaks(timeline: list[TimelineEntry]) -> tuple[list[Streak], int]:
    """Runs of calls the person did not answer, two or more in a row (newest first), and the run up to now.
    ``timeline`` is newest first."""
    runs: list[Streak] = []
    run: list[TimelineEntry] = []
    for entry in reversed(timeline):  # oldest first
        if entry.neutral:
            continue
        if entry.missed:
            run.append(entry)
            continue
        if len(run) >= 2:
            runs.append(Streak(run[0].at, run[-1].at, len(run)))
        run = []
    current = len(run)
    if current >= 2:
        runs.append(Streak(run[0].at, run[-1].at, current))
    return list(reversed(runs)), current


def _timeline(calls: Iterable[CallRecord], attempts: Iterable[PersonAttempt]) -> list[TimelineEntry]:
    """Newest first: every call, and the campaign dials that ended without one."""
    entries = [TimelineEntry(c.started_at, call=c) for c in calls]
    entries += [TimelineEntry(a.at, attempt=a) for a in attempts if a.call_id is None and a.status not in
                ("scheduled", "queued", "dialing", "ringing", "in_progress")]  # fmt: skip
    return sorted(entries, key=lambda e: e.at, reverse=True)


def _week_labels(weeks: list[date]) -> list[str]:
    return [f"{w.month}/{w.day}" for w in weeks]


def _tone(value: str) -> str | None:
    return "good" if value in GOOD_VALUES else "bad" if value in BAD_VALUES else None


def _value_order(value: str) -> tuple[int, str]:
    return (0 if value in GOOD_VALUES else 2 if value in BAD_VALUES else 1, value)



def export_filename(person: Person, now: datetime) -> str:
    return f"person-{person.id}-{now:%Y%m%d}.json"

