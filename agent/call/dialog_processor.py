"""The dialog manager's seat in the pipeline: where an LLM would sit in a chatbot.

The user aggregator (VAD + turn strategy) pushes an ``LLMContextFrame`` at each end of a caller turn;
this processor reads the caller's new words from the context, asks the ``dialog.DialogSession`` for the
reply, and speaks it. After each prompt it sends a Twilio ``mark`` named after the question being
asked, which Twilio (or the phone simulator) echoes back once the prompt has been played.

One turn across a pause: an elderly caller may pause long enough for the turn to end ("괜찮아요." … "건강해요.")
and go on just as the reply starts. Speaking again interrupts the reply (pipecat's barge-in; Twilio gets
``clear``); if that happens while the reply is still to come or playing, before it has played ``merge_window_s``,
the caller was still answering, not answering the reply: the dialog goes back to before the last turn
(``DialogSession.snapshot/restore``) and hears both parts as one turn, so it advances once.

Keys (``InputDTMFFrame``, from Twilio ``dtmf`` messages) go to ``DialogSession.press``: 0 asks for a person,
1 / 2 answer a yes/no question. A reply that hands the call to a person (``Reply.transfer``) is said first;
once its mark comes back (the caller has heard it) the call is transferred (``transfer``) instead of ended;
if that fails, the caller is told a person will call back and the call ends as usual.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loguru import logger
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    EndWorkerFrame,
    Frame,
    InputDTMFFrame,
    LLMContextFrame,
    OutputTransportMessageFrame,
    StartFrame,
    TTSSpeakFrame,
    UserStartedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

if TYPE_CHECKING:  # the processor only calls the session; no import cost at run time
    from dialog import DialogSession, Reply
    from dialog.session import SessionSnapshot

ReplyListener = Callable[["Reply", str | None], Awaitable[None]]
# Hands the call to a number, saying these words while it rings; blocking (run in a thread), raises on failure
# (agent.call.handoff.CallHandoff.transfer).
Transferrer = Callable[[str, str], None]

# A reply that has not started playing this long after the turn (synthesis failed) no longer holds the turn open.
_UNPLAYED_REPLY_S = 10.0
# The told-first line's mark should come back once it has played; without it (audio lost) transfer anyway.
_TOLD_FIRST_WAIT_S = 20.0
# After the transfer Twilio ends the media stream; if it has not within this, the agent closes its side.
_STREAM_END_WAIT_S = 10.0


@dataclass
class _Answered:
    """The last caller turn, kept open until its reply has played long enough to be what the caller answers."""

    words: str  # all the turn's words (earlier parts of a turn heard across a pause included)
    before: SessionSnapshot  # the dialog before the turn
    hint: str | None  # the recogniser hint the caller was answering under
    ended_at: float  # monotonic
    playing_since: float | None = None  # when the reply began to play (BotStartedSpeakingFrame)
    played_out: bool = False  # the caller heard all of it (BotStoppedSpeakingFrame): what they say next answers it


class DialogProcessor(FrameProcessor):
    """Drives one call's ``DialogSession`` from caller turns and silences."""

    def __init__(
        self,
        session: DialogSession,
        *,
        stream_sid: str,
        set_hint: Callable[[str | None], None] | None = None,
        on_reply: ReplyListener | None = None,
        merge_window_s: float = 0.0,
        transfer: Transferrer | None = None,
        told_first_wait_s: float = _TOLD_FIRST_WAIT_S,
        stream_end_wait_s: float = _STREAM_END_WAIT_S,
        **kwargs,
    ):
        """``merge_window_s``: how long into its reply a caller who goes on talking is still continuing the
        turn (0: every turn stands). ``transfer``: how the call is handed to a person (none: a reply that
        would hand it over gets the call-back instead)."""
        super().__init__(**kwargs)
        self._session = session
        self._stream_sid = stream_sid
        self._set_hint = set_hint
        self._on_reply = on_reply
        self._merge_window_s = merge_window_s
        self._messages_seen = 0
        self._ending = False
        self._hint: str | None = None
        self._answered: _Answered | None = None
        self._continuing = False  # the caller resumed into the last turn's reply: the next turn is its rest
        self._handling: asyncio.Future[Reply] | None = None  # the session's work on the last turn
        self.turn_end_times: list[float] = []
        self.merged_turns = 0  # turns heard together with the one before (logs, tests)
        self._transfer = transfer
        self._told_first_wait_s = told_first_wait_s
        self._stream_end_wait_s = stream_end_wait_s
        self._told_first: asyncio.Event | None = None  # set when the told-first line's mark comes back
        self._handing_over: asyncio.Task | None = None

    @property
    def session(self) -> DialogSession:
        return self._session

    @property
    def ending(self) -> bool:
        """The call's last line (a goodbye, or the line before a handoff) has been given to the TTS."""
        return self._ending

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, StartFrame):
            await self.push_frame(frame, direction)
            await self._speak(self._session.start(), caller_text=None)
        elif isinstance(frame, LLMContextFrame):
            await self._on_caller_turn(frame)
        elif isinstance(frame, InputDTMFFrame):
            # A system frame: handled in its own task, so caller audio keeps flowing meanwhile.
            self.create_task(self._on_key(str(frame.button.value)), f"key-{frame.button.value}")
            await self.push_frame(frame, direction)
        else:
            if isinstance(frame, BotStartedSpeakingFrame):
                self._reply_playing()
            elif isinstance(frame, BotStoppedSpeakingFrame):
                self._reply_played()
            elif isinstance(frame, UserStartedSpeakingFrame):
                self._caller_started()
            await self.push_frame(frame, direction)

    def mark_played(self, name: str) -> None:
        """Twilio echoed a mark: the prompt before it has played to the end (the serializer's ``on_mark``)."""
        if self._told_first is not None and name == "closing":
            self._told_first.set()

    async def _on_key(self, key: str) -> None:
        """A key the caller pressed: the session says what it means now (nothing, for most keys)."""
        await self._settled()
        if self._ending or self._session.finished:
            return
        self._answered, self._continuing = None, False  # a key stands on its own
        self._handling = asyncio.get_running_loop().run_in_executor(None, self._session.press, key)
        reply = await asyncio.shield(self._handling)
        if reply is None:
            logger.info(f"key {key} means nothing at {self._session.state!r}; ignored")
            return
        logger.info(f"caller pressed {key}")
        await self._speak(reply, caller_text=f"[{key}번 버튼]")

    async def on_silence(self) -> None:
        """The caller said nothing for the silence timeout after the agent finished speaking."""
        if self._ending or self._session.finished:
            return
        await self._settled()
        self._answered, self._continuing = None, False  # the reply was heard out: the last turn stands
        logger.info("caller silent; re-prompting")
        await self._speak(self._session.handle_silence(), caller_text=None)

    def _reply_playing(self) -> None:
        if self._answered is not None and self._answered.playing_since is None:
            self._answered.playing_since = time.monotonic()

    def _reply_played(self) -> None:
        # A barge-in stops the reply too, but the caller's turn has started by then (_caller_started ran first).
        if self._answered is not None and self._answered.playing_since is not None:
            self._answered.played_out = True

    def _caller_started(self) -> None:
        """The caller starts a turn: the rest of the last one if its reply has not really been heard yet."""
        answered, now = self._answered, time.monotonic()
        if answered is None:
            return
        if answered.played_out:
            continuing = False
        elif answered.playing_since is None:
            continuing = now - answered.ended_at <= _UNPLAYED_REPLY_S
        else:
            continuing = now - answered.playing_since <= self._merge_window_s
        if not continuing:
            self._answered = None
            return
        self._continuing = True
        logger.info(f"caller goes on after {answered.words!r}: the reply stops, one turn")
        if self._set_hint:  # their words answer the question before, not the one in the reply
            self._set_hint(answered.hint)

    def absorb_unanswered(self, context) -> list[str]:
        """After the pipeline ended: give the dialog caller words it never saw (the caller hung up
        before the turn ended), so their answers are kept. Nothing is spoken. Returns those words."""
        said = self._new_caller_words(context)
        answered = self._answered if self._continuing else None
        if answered is not None and said and self._handling is not None and self._handling.done():
            self._session.restore(answered.before)  # the rest of the last turn: heard with it
            self._session.handle(f"{answered.words} {said}")
            return [said]
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
        await self._settled()  # first: from here to the session's work on this turn nothing waits
        said = self._new_caller_words(frame.context)
        continuing, self._continuing = self._continuing, False
        if self._ending or self._session.finished:
            return
        words, answered = said, self._answered if continuing else None
        if answered is not None:
            self._session.restore(answered.before)
            words = f"{answered.words} {said}".strip()
            self.merged_turns += 1
            logger.info(f"one caller turn across a pause: {words!r}")
        self._answered = None
        if self._merge_window_s > 0:
            self._answered = _Answered(words, self._session.snapshot(), self._hint, time.monotonic())
        # An empty turn (noise, or speech the recogniser could not read) asks for a repeat.
        self.turn_end_times.append(time.monotonic())
        # In a thread: with a language model configured, a turn waits on an HTTP call. Shielded: a caller who
        # goes on talking interrupts this task, and the next turn waits for the session to be done (_settled).
        self._handling = asyncio.get_running_loop().run_in_executor(None, self._session.handle, words)
        reply = await asyncio.shield(self._handling)
        if reply.end or self._session.finished:
            self._answered = None  # an ending (or a booking written) is not taken back
        await self._speak(reply, caller_text=said)

    async def _settled(self) -> None:
        """Wait until the session has finished the last turn (its task may have been interrupted)."""
        if self._handling is not None and not self._handling.done():
            await asyncio.wait([self._handling])  # its failure, if any, was the interrupted turn's

    async def _speak(self, reply: Reply, caller_text: str | None) -> None:
        if self._on_reply:
            await self._on_reply(reply, caller_text)
        self._hint = reply.hint
        if self._set_hint:
            self._set_hint(reply.hint)
        if reply.text:
            await self.push_frame(TTSSpeakFrame(reply.text))
        if reply.state:
            # Queued behind the prompt's audio: Twilio echoes it once the prompt has played.
            mark = {"event": "mark", "streamSid": self._stream_sid, "mark": {"name": reply.state}}
            await self.push_frame(OutputTransportMessageFrame(message=mark))
        if reply.transfer is not None:
            self._ending = True
            self._told_first = asyncio.Event()
            self._handing_over = self.create_task(self._hand_over(reply.transfer.number, reply.transfer.connecting))
        elif reply.end or self._session.finished:
            self._ending = True
            # Downstream, so it waits behind the closing line's audio.
            await self.push_frame(EndWorkerFrame(reason=f"dialog finished: {self._session.outcome}"))

    async def _hand_over(self, number: str, connecting: str) -> None:
        """Once the told-first line has played, hand the call to ``number``; if that fails, the caller
        hears the call-back line and the call ends as usual."""
        assert self._told_first is not None
        try:
            await asyncio.wait_for(self._told_first.wait(), self._told_first_wait_s)
        except TimeoutError:
            logger.warning("the told-first line's mark did not come back; transferring anyway")
        try:
            if self._transfer is None:
                raise RuntimeError("this call cannot be transferred (no Twilio call to update)")
            await asyncio.to_thread(self._transfer, number, connecting)
        except Exception as exc:
            logger.error(f"transfer to {number} failed: {exc}")
            await self._speak(self._session.handoff_failed(f"연결 실패: {exc}"), caller_text=None)
            return
        # Twilio now ends the media stream; if it does not, close this side (the call itself stays up).
        await asyncio.sleep(self._stream_end_wait_s)
        await self.push_frame(EndWorkerFrame(reason=f"call handed to {number}"))

