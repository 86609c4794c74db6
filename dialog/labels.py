"""Korean names for what a call records (flag rules, answer keys and values, outcomes), for the pages people read.

A scenario names its rules beside them (a flag's ``label:``, the ``labels:`` block for answers and outcomes);
the names here are the defaults: the shared vocabulary (dialog/vocabulary.py) and the outcomes the agent itself
gives a call (caller_hung_up …), which no scenario declares. The loader refuses a scenario whose own flag rule,
answer key or answer value has no name, here or in its file; a code nobody named (a call of a scenario since
deleted) is shown as itself, never hidden.

One lookup for every page and export: ``labels_for(call.scenario)`` (dialog/scenario.py) gives the call's
scenario's :class:`Labels`, or these defaults where that scenario cannot be loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from dialog.vocabulary import BODY_PARTS_KEY, SYMPTOMS_KEY, UNKNOWN

Kind = Literal["flag", "answer", "value", "outcome"]

OUTCOMES: Mapping[str, str] = {
    # the dialog's endings (dialog/vocabulary.py OUTCOMES)
    "completed": "완료", "no_response": "응답 없음", "wrong_person": "대상자 아님", "callback_requested": "다시 전화 요청",
    "emergency": "응급 상황", "transferred": "담당자 연결", "opted_out": "수신 거부", "booked": "예약됨",
    "changed": "예약 변경", "cancelled": "예약 취소", "not_changed": "변경 안 함", "no_booking": "예약 없음",
    "not_booked": "예약 안 됨",
    # given by the agent when the dialog did not end the call
    "caller_hung_up": "중간에 끊음", "dropped": "연결 끊김", "error": "오류", "max_duration": "시간 초과",
    "interrupted": "중단됨(서버 장애)", "server_stopped": "중단됨(서버 종료)", "input_refused": "차단됨(입력 한도 초과)",
}  # fmt: skip

FLAGS: Mapping[str, str] = {
    "fever": "발열", "cough": "기침", "breathing_trouble": "호흡 곤란", "chest_pain": "가슴 통증", "fall": "낙상",
    "severe_pain": "심한 통증", "missed_medication": "복약 누락", "not_eating": "식사 거름", "poor_sleep": "수면 부족",
    "low_mood": "기분 저하", "loneliness": "외로움", "self_harm_risk": "자해·자살 위험", "emergency": "응급 상황",
    "confusion": "혼란·인지 저하 의심", "wrong_person": "대상자 아님", "callback_later": "다시 전화 요청",
    "no_answer": "무응답", "person_callback": "담당자 전화 필요", "opted_out": "수신 거부", "repeated_no_answer": "연속 무응답",
    "mood_worse": "기분 악화", "low_mood_persisting": "기분 저하 지속", "persistent_symptom": "증상 지속",
}  # fmt: skip

ANSWERS: Mapping[str, str] = {
    "meal": "식사", "sleep": "수면", "health": "건강", "medication": "복약", "mood": "기분", "note": "전할 말",
    SYMPTOMS_KEY: "증상", BODY_PARTS_KEY: "아픈 부위", "intent": "용건", "date": "날짜", "time": "시간",
    "party_size": "인원", "name": "이름", "phone": "연락처", "requests": "요청 사항", "booking_id": "예약 번호",
}  # fmt: skip

VALUES: Mapping[str, Mapping[str, str]] = {
    "meal": {"eaten": "드심", "skipped": "거르심"},
    "sleep": {"good": "잘 주무심", "poor": "잘 못 주무심"},
    "health": {"well": "괜찮으심", "unwell": "불편하심"},
    "medication": {"taken": "드심", "missed": "안 드심", "none": "드시는 약 없음"},
    "mood": {"good": "좋음", "so_so": "그저 그럼", "low": "가라앉음"},
    "intent": {"new": "새 예약", "change": "예약 변경", "cancel": "예약 취소"},
    SYMPTOMS_KEY: {"fever": "열", "cough": "기침", "breathing": "숨찬 증상", "chest_pain": "가슴 통증", "pain": "통증",
                   "fall": "넘어짐", "dizziness": "어지럼증"},
}  # fmt: skip

# Values any answer key may take: an answer left unclear, a yes/no question's answer.
ANY_VALUE: Mapping[str, str] = {UNKNOWN: "확인 못 함", "yes": "예", "no": "아니요", "nothing": "없음"}


@dataclass(frozen=True)
class Labels:
    """The Korean names of one scenario's codes (its own over the defaults); a code without one is shown as is."""

    flags: Mapping[str, str] = field(default_factory=lambda: FLAGS)
    answers: Mapping[str, str] = field(default_factory=lambda: ANSWERS)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: VALUES)
    outcomes: Mapping[str, str] = field(default_factory=lambda: OUTCOMES)

    def flag(self, rule: str | None) -> str:
        return self.flags.get(rule or "", rule or "")

    def answer(self, key: str | None) -> str:
        return self.answers.get(key or "", key or "")

    def outcome(self, outcome: str | None) -> str:
        """"-" for a call still going (no outcome yet)."""
        return self.outcomes.get(outcome, outcome) if outcome else "-"

    def value(self, key: str, value: Any) -> str:
        """An answer's value as words: a code by its name, a list item by item ("열, 기침"), the body parts
        by symptom ("통증: 무릎"), free words (a note, a date) as they are."""
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(self.value(key, item) for item in value)
        if isinstance(value, dict):
            return ", ".join(f"{self.value(SYMPTOMS_KEY, k)}: {v}" for k, v in value.items())
        text = str(value)
        own = self.values.get(key, {})
        return own.get(text) or ANY_VALUE.get(text) or text

    def label_for(self, kind: Kind, key: str | None, value: Any = None) -> str:
        """One entry point for templates and exports: ``label_for("value", "meal", "skipped")`` → "거르심"."""
        if kind == "flag":
            return self.flag(key)
        if kind == "answer":
            return self.answer(key)
        if kind == "outcome":
            return self.outcome(key)
        if kind == "value":
            return self.value(key or "", value)
        raise ValueError(f"unknown label kind {kind!r} (flag, answer, value, outcome)")

    def has_value(self, key: str, value: str) -> bool:
        return value in self.values.get(key, {}) or value in ANY_VALUE


DEFAULT = Labels()


def merged(flags: Mapping[str, str], answers: Mapping[str, str], values: Mapping[str, Mapping[str, str]],
           outcomes: Mapping[str, str]) -> Labels:
    """A scenario's own names over the defaults (read-only mappings: a Labels is shared by every page)."""
    all_values = {key: dict(names) for key, names in VALUES.items()}
    for key, names in values.items():
        all_values.setdefault(key, {}).update(names)
    return Labels(
        flags=MappingProxyType({**FLAGS, **flags}),
        answers=MappingProxyType({**ANSWERS, **answers}),
        values=MappingProxyType({k: MappingProxyType(v) for k, v in all_values.items()}),
        outcomes=MappingProxyType({**OUTCOMES, **outcomes}),
    )
