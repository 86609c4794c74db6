"""What the dialog asks of an optional language model, and how it is asked: the seam and the prompt.

The scenario stays in charge: the model only writes the short lead-in before the scenario's own next
question (an acknowledgement, or a kind word after small talk), and may name a concern from a fixed list,
which is added as a flag. Safety rules run first and their lines are never reworded; a slow, failing or odd
answer from the model falls back to the scripted words. The dialog knows the model only as a
:class:`Responder`; the HTTP client that speaks the OpenAI chat-completions API lives with the agent
(agent/call/language_model.py), so the dialog imports no web code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Protocol

# Concerns the model may raise; each becomes a flag of the same name if the scenario defines it.
CONCERNS = frozenset({"low_mood", "loneliness", "confusion", "self_harm_risk", "emergency", "not_eating", "poor_sleep"})
_MAX_CHARS = 120
_HANGUL = re.compile(r"[가-힣]")

_SYSTEM = (
    "너는 전화 상담원이다. {purpose} 상대의 마지막 말에 대해 한두 문장의 짧고 따뜻한 존댓말 대답만 쓴다. "
    "질문은 하지 마라(다음 질문은 따로 이어진다). 진단, 약 처방, 약속은 하지 마라. "
    'JSON으로만 답하라: {{"say": "대답", "concern": null}}. concern에는 상대의 말에서 걱정되는 점이 있을 때만 '
    "다음 중 하나를 쓴다: " + ", ".join(sorted(CONCERNS)) + "."
)


@dataclass(frozen=True)
class Suggestion:
    say: str
    concern: str | None = None


class Responder(Protocol):
    """What the dialog asks of a language model: a lead-in for its next reply, or None to keep the script."""

    def suggest(self, purpose: str, question: str, caller_said: str, scripted_lead: str) -> Suggestion | None: ...


def chat_messages(purpose: str, question: str, caller_said: str, scripted_lead: str) -> list[dict[str, str]]:
    """The chat-completions messages asking for a lead-in to the reply to ``caller_said`` (asked: ``question``);
    ``purpose`` is the scenario's one-sentence description of the call."""
    return [
        {"role": "system", "content": _SYSTEM.format(purpose=purpose)},
        {
            "role": "user",
            "content": f"상담원이 물은 것: {question}\n상대가 한 말: {caller_said}\n"
            f"대본의 대답(참고): {scripted_lead or '(없음)'}",
        },
    ]


def read_suggestion(content: str) -> Suggestion | None:
    """The model's JSON (or plain text) as a checked suggestion; None when unusable."""
    text = (content or "").strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
        say, concern = str(data.get("say") or "").strip(), data.get("concern")
    except (json.JSONDecodeError, AttributeError):
        say, concern = text, None
    concern = concern if concern in CONCERNS else None
    say = say.replace("?", ".").strip()
    if not say or len(say) > _MAX_CHARS or not _HANGUL.search(say):
        return Suggestion("", concern) if concern else None
    return Suggestion(say, concern)
