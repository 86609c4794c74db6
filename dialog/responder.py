"""An optional language model that words the agent's replies and answers small talk.

It speaks the OpenAI chat-completions HTTP API (``POST {base_url}/chat/completions``), so any compatible
server works: a Korean instruction model served with vLLM on the GPU node, for example. The scenario stays
in charge: the model only writes the short lead-in before the scenario's own next question (an
acknowledgement, or a kind word after small talk), and may name a concern from a fixed list, which is added
as a flag. Safety rules run first and their lines are never reworded; a slow, failing or odd answer from
the model falls back to the scripted words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import httpx
from loguru import logger

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
_PURPOSES = {
    "care_call": "혼자 사시는 어르신께 안부 전화를 드리고 있다.",
    "reservation": "식당 예약 전화를 받고 있다.",
}


@dataclass(frozen=True)
class Suggestion:
    say: str
    concern: str | None = None


class ChatResponder:
    """Client of an OpenAI-compatible chat endpoint. Thread-safe; share one across calls."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 2.5,
        transport: httpx.BaseTransport | None = None,
    ):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.model = model
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s, transport=transport
        )

    def suggest(self, scenario: str, question: str, caller_said: str, scripted_lead: str) -> Suggestion | None:
        """A lead-in for the reply to ``caller_said`` (asked: ``question``), or None to keep the script."""
        messages = [
            {"role": "system", "content": _SYSTEM.format(purpose=_PURPOSES.get(scenario, "전화 상담을 하고 있다."))},
            {
                "role": "user",
                "content": f"상담원이 물은 것: {question}\n상대가 한 말: {caller_said}\n"
                f"대본의 대답(참고): {scripted_lead or '(없음)'}",
            },
        ]
        try:
            response = self._client.post(
                "/chat/completions",
                json={"model": self.model, "messages": messages, "temperature": 0.3, "max_tokens": 160},
            )
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            logger.warning(f"language model unavailable, keeping the script: {type(exc).__name__}: {exc}")
            return None
        return _read(content)

    def close(self) -> None:
        self._client.close()


def _read(content: str) -> Suggestion | None:
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
