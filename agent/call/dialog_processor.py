"""The dialog manager's seat in the pipeline: where an LLM would sit in a chatbot.

The user aggregator (VAD + turn strategy) pushes an ``LLMContextFrame`` at each end of a caller turn;
this processor reads the caller's new words from the context, asks the ``dialog.DialogSession`` for the
reply, and speaks it. After each prompt it sends a Twilio ``mark`` named after the question being
asked, which Twilio (or the phone simulator) echoes back once the prompt has been played.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from loguru import logger
from pipecat.frames.frames import (
    EndWorkerFrame,
    Frame,
    LLMContextFrame,
    OutputTransportMessageFrame,
    StartFrame,
    TTSSpeakFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

if TYPE_CHECKING:  # the processor only calls the session; no import cost at run time
    from dialog import DialogSession, Reply

ReplyListener = Callable[["Reply", str | None], Awaitable[None]]


class DialogProcessor(FrameProcessor):
    """Drives one call's ``DialogSession`` from caller turns and silences."""

    def __init__(
        self,
        session: DialogSession,
        *,
        stream_sid: str,
        set_hint: Callable[[str | None], None] | None = None,
        on_reply: ReplyListener | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._session = session
        self._stream_sid = stream_sid
        self._set_hint = set_hint
        self._on_reply = on_reply
        self._messages_seen = 0
        self._ending = False
        self.turn_end_times: list[float] = []

    @property
    def session(self) -> DialogSession:
        return self._session

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, StartFrame):
            await self.push_frame(frame, direction)
            await self._speak(self._session.start(), caller_text=None)
        elif isinstance(frame, LLMContextFrame):
            await self._on_caller_turn(frame)
        else:
            await self.push_frame(frame, direction)

    async def on_silence(self) -> None:
        """The caller said nothing for the silence timeout after the agent finished speaking."""
        if self._ending or self._session.finished:
            return
        logger.info("caller silent; re-prompting")
        await self._speak(self._session.handle_silence(), caller_text=None)

    def absorb_unanswered(self, context) -> list[str]:
        """After the pipeline ended: give the dialog caller words it never saw (the caller hung up
        before the turn ended), so their answers are kept. Nothing is spoken. Returns those words."""
        said = self._new_caller_words(context)
        if not said or self._session.finished:
            return []
        self._session.handle(said)
        return [said]

    def _new_caller_words(self, context) -> str:
        messages = context.get_messages()
        new = messages[self._messages_seen :]
        self._messages_seen = len(messages)
        return " ".join(str(m.get("content", "")) for m in new if m.get("role") == "user").strip()

    async def _on_caller_turn(self, frame: LLMContextFrame) -> None:
        said = self._new_caller_words(frame.context)
        if self._ending or self._session.finished:
            return
        # An empty turn (noise, or speech the recogniser could not read) asks for a repeat.
        self.turn_end_times.append(time.monotonic())
        # In a thread: with a language model configured, a turn waits on an HTTP call.
        await self._speak(await asyncio.to_thread(self._session.handle, said), caller_text=said)

    async def _speak(self, reply: Reply, caller_text: str | None) -> None:
        if self._on_reply:
            await self._on_reply(reply, caller_text)
        if self._set_hint:
            self._set_hint(reply.hint)
        if reply.text:
            await self.push_frame(TTSSpeakFrame(reply.text))
        if reply.state:
            # Queued behind the prompt's audio: Twilio echoes it once the prompt has played.
            mark = {"event": "mark", "streamSid": self._stream_sid, "mark": {"name": reply.state}}
            await self.push_frame(OutputTransportMessageFrame(message=mark))
        if reply.end or self._session.finished:
            self._ending = True
            # Downstream, so it waits behind the closing line's audio.
            await self.push_frame(EndWorkerFrame(reason=f"dialog finished: {self._session.outcome}"))

