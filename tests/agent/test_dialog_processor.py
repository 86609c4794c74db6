"""DialogProcessor: caller turns from the user aggregator become dialog replies, prompts, marks and the end."""

from __future__ import annotations

from dataclasses import dataclass

from pipecat.frames.frames import EndWorkerFrame, LLMContextFrame, OutputTransportMessageFrame, TTSSpeakFrame
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.tests.utils import SleepFrame, run_test

from agent.call.dialog_processor import DialogProcessor


@dataclass
class FakeReply:
    text: str
    state: str
    end: bool = False
    hint: str | None = None


class FakeSession:
    """Asks two questions, then closes; records what it was told."""

    def __init__(self):
        self.heard: list[str] = []
        self.silences = 0
        self.finished = False
        self.outcome = "in_progress"

    def start(self):
        return FakeReply("안녕하세요. 식사는 하셨어요?", "meal", hint="밥 먹었어요")

    def handle(self, text: str):
        self.heard.append(text)
        if len(self.heard) == 1:
            return FakeReply("잠은 잘 주무셨어요?", "sleep", hint="잘 잤어요")
        self.finished, self.outcome = True, "completed"
        return FakeReply("건강하세요.", "closing", end=True)

    def handle_silence(self):
        self.silences += 1
        return FakeReply("여보세요?", "meal")


def _context_after(*user_turns: str) -> LLMContext:
    context = LLMContext()
    for text in user_turns:
        context.add_message({"role": "user", "content": text})
        context.add_message({"role": "assistant", "content": "..."})
    return context


async def test_greeting_turns_marks_hints_and_end():
    session = FakeSession()
    hints: list[str | None] = []
    dialog = DialogProcessor(session, stream_sid="MZ1", set_hint=hints.append)
    context = LLMContext()
    context.add_message({"role": "user", "content": "네 밥 먹었어요"})
    first = LLMContextFrame(context=context)
    down, _ = await run_test(dialog, frames_to_send=[first, SleepFrame(0.05)], send_end_frame=True)
    spoken = [f.text for f in down if isinstance(f, TTSSpeakFrame)]
    assert spoken == ["안녕하세요. 식사는 하셨어요?", "잠은 잘 주무셨어요?"]
    marks = [f.message["mark"]["name"] for f in down if isinstance(f, OutputTransportMessageFrame)]
    assert marks == ["meal", "sleep"]
    assert all(f.message["streamSid"] == "MZ1" for f in down if isinstance(f, OutputTransportMessageFrame))
    assert session.heard == ["네 밥 먹었어요"]
    assert hints == ["밥 먹었어요", "잘 잤어요"]


async def test_only_new_user_messages_reach_the_dialog_and_the_call_ends():
    session = FakeSession()
    dialog = DialogProcessor(session, stream_sid="MZ1")
    first = LLMContext()
    first.add_message({"role": "user", "content": "네"})
    second = LLMContext()
    for message in (
        {"role": "user", "content": "네"},
        {"role": "assistant", "content": "잠은 잘 주무셨어요?"},
        {"role": "user", "content": "잘 잤어요"},
    ):
        second.add_message(message)
    down, up = await run_test(
        dialog,
        frames_to_send=[LLMContextFrame(context=first), LLMContextFrame(context=second), SleepFrame(0.05)],
        send_end_frame=False,
    )
    assert session.heard == ["네", "잘 잤어요"]
    assert any(isinstance(f, EndWorkerFrame) for f in down + up)


async def test_empty_turn_is_passed_on_as_empty_text():
    session = FakeSession()
    dialog = DialogProcessor(session, stream_sid="MZ1")
    context = LLMContext()
    context.add_message({"role": "developer", "content": "The user may have said something"})
    await run_test(dialog, frames_to_send=[LLMContextFrame(context=context)], send_end_frame=True)
    assert session.heard == [""]


def test_words_heard_after_the_last_reply_are_absorbed_without_speaking():
    session = FakeSession()
    dialog = DialogProcessor(session, stream_sid="MZ1")
    context = LLMContext()
    context.add_message({"role": "user", "content": "네 밥 먹었어요"})
    assert dialog.absorb_unanswered(context) == ["네 밥 먹었어요"]
    assert session.heard == ["네 밥 먹었어요"]
    assert dialog.absorb_unanswered(context) == []  # nothing new the second time
