"""The language model's HTTP client: any OpenAI-compatible ``POST {base_url}/chat/completions`` endpoint
(a Korean instruction model served with vLLM on the GPU node, for example).

The dialog knows it only as a ``dialog.responder.Responder``; the prompt and the reading of the answer are
the dialog's (``chat_messages``, ``read_suggestion``). Only the wire is here, so the dialog imports no web code.
"""

from __future__ import annotations

import httpx
from loguru import logger

from dialog.responder import Suggestion, chat_messages, read_suggestion


class ChatResponder:
    """A ``Responder`` over an OpenAI-compatible chat endpoint. Thread-safe; share one across calls."""

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

    def suggest(self, purpose: str, question: str, caller_said: str, scripted_lead: str) -> Suggestion | None:
        """A lead-in for the reply to ``caller_said`` (asked: ``question``), or None to keep the script."""
        try:
            response = self._client.post(
                "/chat/completions",
                json={
                    "model": self.model,
                    "messages": chat_messages(purpose, question, caller_said, scripted_lead),
                    "temperature": 0.3,
                    "max_tokens": 160,
                },
            )
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            logger.warning(f"language model unavailable, keeping the script: {type(exc).__name__}: {exc}")
            return None
        return read_suggestion(content)

    def close(self) -> None:
        self._client.close()
