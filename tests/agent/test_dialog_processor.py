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
    transfer: None = None


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


# --- keys and handing the call to a person (the real DialogSession, care_call) ---------------------------------

from datetime import datetime  # noqa: E402

from pipecat.audio.dtmf.types import KeypadEntry  # noqa: E402
from pipecat.frames.frames import InputDTMFFrame  # noqa: E402

from dialog import DialogSession, load_scenario  # noqa: E402

ON_CALL = "+821012345678"


def care_session(on_call_number: str | None = ON_CALL) -> DialogSession:
    return DialogSession(load_scenario("care_call"), {"name": "김영수"}, now=datetime(2025, 3, 3, 9, 30), seed=0,
                         on_call_number=on_call_number)  # fmt: skip


def spoken(down) -> list[str]:
    return [f.text for f in down if isinstance(f, TTSSpeakFrame)]


async def test_key_2_answers_a_yes_no_question_and_other_keys_are_ignored():
    session = care_session()
    dialog = DialogProcessor(session, stream_sid="MZ1")
    turns = [LLMContextFrame(context=_context_after(*said)) for said in
             (["네 맞아요"], ["네 맞아요", "네 먹었어요"], ["네 맞아요", "네 먹었어요", "잘 잤어요"],
              ["네 맞아요", "네 먹었어요", "잘 잤어요", "숨이 좀 차요"])]  # fmt: skip
    keys = [InputDTMFFrame(button=KeypadEntry.FIVE), InputDTMFFrame(button=KeypadEntry.TWO)]
    frames = [*turns, SleepFrame(0.1), keys[0], SleepFrame(0.1), keys[1], SleepFrame(0.2)]
    down, _ = await run_test(dialog, frames_to_send=frames, send_end_frame=True)
    said = spoken(down)
    assert session.answers["health"] == "unwell" and session.state == "medication"
    assert "지금은 괜찮으시다니 다행이에요" in said[-1]  # key 2 = 아니요 to "지금도 숨이 차세요?"
    assert len(said) == 6  # greeting, four replies, the key's reply: key 5 said nothing


async def test_key_0_tells_first_then_transfers_once_the_line_has_played():
    session = care_session()
    transfers: list[tuple[str, str]] = []
    dialog = DialogProcessor(session, stream_sid="MZ1", transfer=lambda number, say: transfers.append((number, say)),
                             stream_end_wait_s=0.2)  # fmt: skip

    async def mark_echo():  # Twilio echoes the told-first line's mark once it has played
        import asyncio

        for _ in range(100):
            if dialog._told_first is not None:
                assert not transfers  # not before the caller has heard it
                dialog.mark_played("closing")
                return
            await asyncio.sleep(0.02)

    import asyncio

    echo = asyncio.create_task(mark_echo())
    down, up = await run_test(dialog, frames_to_send=[InputDTMFFrame(button=KeypadEntry.ZERO), SleepFrame(0.5)],
                              send_end_frame=False)  # fmt: skip
    await echo
    assert spoken(down)[-1] == "담당 선생님께 바로 연결해 드릴게요. 잠시만 기다려 주세요."
    assert transfers == [(ON_CALL, "연결 중입니다. 잠시만 기다려 주세요.")]
    assert session.outcome == "transferred" and session.taken_over_by == ON_CALL
    # Twilio ends the stream when it redirects the call; failing that, the agent closes only its side.
    ends = [f.reason for f in down + up if isinstance(f, EndWorkerFrame)]
    assert ends and all(reason == f"call handed to {ON_CALL}" for reason in ends)


async def test_a_failed_transfer_promises_a_call_back_and_ends_the_call():
    session = care_session()

    def refuse(number: str, say: str) -> None:
        raise RuntimeError("Twilio refused the transfer: 404")

    dialog = DialogProcessor(session, stream_sid="MZ1", transfer=refuse, told_first_wait_s=0.05,
                             stream_end_wait_s=0.2)  # fmt: skip
    context = _context_after("상담원 바꿔 주세요")
    down, up = await run_test(dialog, frames_to_send=[LLMContextFrame(context=context), SleepFrame(0.5)],
                              send_end_frame=False)  # fmt: skip
    assert spoken(down)[-2:] == ["담당 선생님께 바로 연결해 드릴게요. 잠시만 기다려 주세요.",
                                 "지금은 바로 연결해 드리기가 어려워요. 담당 선생님이 곧 전화드릴 거예요. 조금만 기다려 주세요."]  # fmt: skip
    assert session.outcome == "callback_requested" and session.taken_over_by is None
    (flag,) = [f for f in session.flags if f.rule == "person_callback"]
    assert "404" in flag.evidence and flag.severity == "critical"
    assert any(isinstance(f, EndWorkerFrame) for f in down + up)
