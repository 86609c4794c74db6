"""Jinja filters: Korean labels and Seoul times for the templates."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment

from dialog.clock import SEOUL

SEVERITY = {"critical": "긴급", "high": "높음", "medium": "보통", "low": "낮음"}
SPEAKER = {"agent": "상담원", "caller": "어르신", "system": "시스템"}
ATTEMPT_STATUS = {
    "not_scheduled": "예정 없음", "scheduled": "예약됨", "queued": "대기", "dialing": "발신 중", "ringing": "연결 중",
    "in_progress": "통화 중", "completed": "통화 완료", "no_answer": "받지 않음", "busy": "통화 중(거절)",
    "failed": "실패", "voicemail": "음성사서함", "canceled": "취소됨", "unknown": "확인 중(발신 여부 불명)",
}  # fmt: skip
OUTCOME = {
    "completed": "완료", "booked": "예약됨", "cancelled": "예약 취소", "changed": "예약 변경", "no_response": "응답 없음",
    "caller_hung_up": "중간에 끊음", "dropped": "연결 끊김", "error": "오류", "max_duration": "시간 초과",
    "interrupted": "중단됨(서버 장애)", "server_stopped": "중단됨(서버 종료)", "input_refused": "차단됨(입력 한도 초과)",
    "transferred": "담당자 연결",
}  # fmt: skip
ACTION = {
    "flag.resolve": "알림 처리", "call.annotate": "메모", "login": "로그인", "login.failed": "로그인 실패",
    "campaign.export": "CSV 내보내기", "user.add": "사용자 추가", "user.disable": "사용자 비활성화",
    "user.enable": "사용자 활성화",
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


def answer(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def install(env: Environment) -> None:
    env.filters.update(
        kst=kst,
        mmss=mmss,
        answer=answer,
        severity=lambda s: SEVERITY.get(s, s),
        speaker=lambda s: SPEAKER.get(s, s),
        attempt_status=lambda s: ATTEMPT_STATUS.get(s, s),
        outcome=lambda s: OUTCOME.get(s, s or "-"),
        action=lambda s: ACTION.get(s, s),
    )
