"""Jinja filters: Korean labels and Seoul times for the templates."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment

from dialog.clock import SEOUL
from dialog.labels import OUTCOMES
from dialog.scenario import labels_for

SEVERITY = {"critical": "긴급", "high": "높음", "medium": "보통", "low": "낮음"}
SPEAKER = {"agent": "상담원", "caller": "어르신", "system": "시스템"}
ATTEMPT_STATUS = {
    "not_scheduled": "예정 없음", "scheduled": "예약됨", "queued": "대기", "dialing": "발신 중", "ringing": "연결 중",
    "in_progress": "통화 중", "completed": "통화 완료", "no_answer": "받지 않음", "busy": "통화 중(거절)",
    "failed": "실패", "voicemail": "음성사서함", "canceled": "취소됨", "unknown": "확인 중(발신 여부 불명)",
    "opted_out": "수신 거부(발신 안 함)",
}  # fmt: skip
OUTCOME = OUTCOMES  # the outcomes' Korean names live with the dialog (dialog/labels.py); a scenario may rename
ACTION = {
    "flag.resolve": "알림 처리", "call.annotate": "메모", "login": "로그인", "login.failed": "로그인 실패",
    "campaign.export": "CSV 내보내기", "user.add": "사용자 추가", "user.disable": "사용자 비활성화",
    "user.enable": "사용자 활성화",
    "person.opt_out": "수신 거부", "person.opt_in": "수신 재개", "person.export": "대상자 정보 내려받기",
    "person.delete": "대상자 정보 삭제",
    "campaign.pause": "캠페인 일시 정지", "campaign.resume": "캠페인 재개", "campaign.import": "대상자 가져오기",
    "report.pdf": "보고서 PDF", "retention.delete": "보존 기간 만료 삭제",
}  # fmt: skip


def kst(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(SEOUL).strftime(fmt)


def mmss(ms: int | None) -> str:
    if ms is None:
        return ""
    seconds = max(0, int(ms)) // 1000
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


# The names of what a call recorded are its scenario's (an operator's scenario names its own rules and answers):
# every filter below takes the call's ``scenario`` (a call record's ``scenario``; None: the built-in names).
# {{ call.outcome|outcome(call.scenario) }}, {{ f.rule|flag_label(call.scenario) }},
# {{ key|answer_key(call.scenario) }}, {{ value|answer(key, call.scenario) }}.


def outcome(value: str | None, scenario: str | None = None) -> str:
    return labels_for(scenario).outcome(value)


def flag_label(rule: str | None, scenario: str | None = None) -> str:
    return labels_for(scenario).flag(rule)


def answer_key(key: str | None, scenario: str | None = None) -> str:
    return labels_for(scenario).answer(key)


def answer(value, key: str | None = None, scenario: str | None = None) -> str:
    """An answer's value in words: a code by its Korean name ("거르심"), a list item by item, free words as said."""
    return labels_for(scenario).value(key or "", value)


def install(env: Environment) -> None:
    env.filters.update(
        kst=kst,
        mmss=mmss,
        answer=answer,
        answer_key=answer_key,
        flag_label=flag_label,
        severity=lambda s: SEVERITY.get(s, s),
        speaker=lambda s: SPEAKER.get(s, s),
        attempt_status=lambda s: ATTEMPT_STATUS.get(s, s),
        outcome=outcome,
        action=lambda s: ACTION.get(s, s),
    )
