"""Callers' goals, as data: what a goal-driven caller wants from the call and what the agent should record.

A goal file (YAML) has ``kind`` (``reservation`` or ``care``), ``now`` (when the calls take place, ISO with
offset: relative days such as 내일 are said against it) and ``goals``. A reservation goal is the booking the
caller means (or the one to cancel or change); a care goal is the callee's true state today. Both carry
``expect``: the answers, flags and outcome the agent SHOULD record, in the dialog's vocabulary (checked
against it when the loader is given ``dialog.vocabulary``; telephony may not import the dialog).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from telephony.simulator.personas import Expectation, Vocabulary


class GoalError(ValueError):
    """A goal file that cannot be used, with the file and the goal named."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Booking(_Strict):
    """A table: the day, the time (HH:MM) and who comes."""

    date: date
    time: str
    adults: int = Field(ge=1, le=12)
    children: int = Field(0, ge=0, le=6)

    @field_validator("time")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not re.fullmatch(r"\d{2}:\d{2}", value):
            raise ValueError(f"'{value}' is not a time like 19:30")
        return value

    @property
    def party_size(self) -> int:
        return self.adults + self.children

    @property
    def at(self) -> time:
        return time.fromisoformat(self.time)


class ReservationGoal(_Strict):
    """``book``: make ``booking``. ``cancel``: cancel ``booking``, already in the book under ``phone``.
    ``change``: move ``existing`` (in the book) to ``booking``."""

    id: str
    intent: Literal["book", "cancel", "change"]
    name: str = Field(min_length=2)
    phone: str  # the mobile number, digits only (01012345678)
    caller_id: bool = True  # the line shows the number; False: a withheld number, so it must be said
    booking: Booking
    existing: Booking | None = None
    request: str | None = None  # a special request the caller wants noted (창가 자리)
    expect: Expectation

    @field_validator("phone")
    @classmethod
    def _mobile(cls, value: str) -> str:
        if not re.fullmatch(r"01[016789]\d{7,8}", value):
            raise ValueError(f"'{value}' is not a mobile number in digits like 01012345678")
        return value

    @model_validator(mode="after")
    def _existing_for_change(self) -> ReservationGoal:
        if (self.intent == "change") != (self.existing is not None):
            raise ValueError("'existing' is given for a change, and only for a change")
        return self

    @property
    def e164(self) -> str:
        return "+82" + self.phone[1:]


Symptom = Literal["fever", "cough", "breathing", "chest_pain", "pain", "fall", "dizziness"]


class Complaint(_Strict):
    """One thing wrong today: ``severity`` (fever, pain), ``part`` (pain: 무릎, 허리), ``injury`` (after a
    fall), ``still_now`` (breathing or chest trouble at this moment: an emergency)."""

    symptom: Symptom
    part: str | None = None
    severity: Literal["mild", "severe"] = "mild"
    injury: Literal["not_hurt", "hurt"] = "not_hurt"
    still_now: bool = False

    @model_validator(mode="after")
    def _part_for_pain(self) -> Complaint:
        if (self.symptom == "pain") != (self.part is not None):
            raise ValueError("'part' is given for pain, and only for pain")
        return self


class CareState(_Strict):
    """How the callee really is today."""

    meal: Literal["eaten", "skipped"] = "eaten"
    sleep: Literal["good", "poor"] = "good"
    complaints: list[Complaint] = Field(default_factory=list)
    medication: Literal["taken", "missed", "none"] = "taken"
    mood: Literal["good", "so_so", "low"] = "good"
    lonely: bool = False  # says so when asked about their mood
    call_back_at: str | None = None  # busy: asks to be called later when this question comes
    note: str | None = None  # something to pass on, said when asked if there is anything else

    @model_validator(mode="after")
    def _lonely_is_low(self) -> CareState:
        if self.lonely and self.mood != "low":
            raise ValueError("a lonely callee has mood 'low'")
        return self


class CareGoal(_Strict):
    id: str
    name: str = Field(min_length=2)
    state: CareState
    expect: Expectation


Goal = ReservationGoal | CareGoal


class GoalSet(_Strict):
    kind: Literal["reservation", "care"]
    now: datetime
    goals: list[ReservationGoal] | list[CareGoal]
    source: str = ""

    @model_validator(mode="after")
    def _unique_ids(self) -> GoalSet:
        ids = [g.id for g in self.goals]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"goal ids used twice: {', '.join(dupes)}")
        return self


def load_goals(path: str | Path, vocabulary: Vocabulary | None = None) -> GoalSet:
    """A goal file; ``GoalError`` names the file, the goal and the field. With ``vocabulary``
    (``dialog.vocabulary``) every ``expect`` block is checked against the dialog's words too."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise GoalError(f"{path}: {exc}") from None
    if not isinstance(data, dict) or data.get("kind") not in ("reservation", "care"):
        raise GoalError(f"{path}: a goal file is a mapping with kind: reservation | care")
    model = ReservationGoal if data["kind"] == "reservation" else CareGoal
    goals = []
    for i, item in enumerate(data.get("goals") or []):
        try:
            goals.append(model.model_validate(item))
        except ValidationError as exc:
            where = item.get("id", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors())
            raise GoalError(f"{path}: goal {where}: {problems}") from None
        if vocabulary is not None and (problems := goals[-1].expect.problems(vocabulary)):
            raise GoalError(f"{path}: goal {goals[-1].id}: {'; '.join(problems)}")
    try:
        return GoalSet(kind=data["kind"], now=data.get("now"), goals=goals, source=str(path))
    except ValidationError as exc:
        raise GoalError(f"{path}: {'; '.join(e['msg'] for e in exc.errors())}") from None
