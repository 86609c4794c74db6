"""One call: walks the scenario, understands each caller turn, records answers and risk flags.

Everything particular to a kind of call (its questions, what may be said in passing, what a symptom means,
the prompt variables) is in the scenario YAML; how answers of each type are read is in
dialog/expectations.py; the session itself only moves through the states.
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dialog import hearing, safety
from dialog import history as memory
from dialog import understanding as nlu
from dialog.booking_flow import BookingFlow
from dialog.clock import SEOUL
from dialog.expectations import ANSWER_TYPES, GIVEN, Reading, settle
from dialog.flags import Flag
from dialog.phone_numbers import national_digits
from dialog.reservations import BookingBook, MemoryBookingBook, Venue
from dialog.responder import Responder
from dialog.scenario import END_PREFIX, Scenario, State
from dialog.symptom_log import SymptomLog, most_urgent, recall
from dialog.understanding import Finding, SymptomFinding, Utterance
from dialog.vocabulary import BODY_PARTS_KEY, NOTE_KEY, SYMPTOMS_KEY, UNKNOWN
from dialog.wording import UNNAMED, Wording, by_hour, fill

_MAX_ACTIONS_IN_A_ROW = 12  # a scenario whose actions loop into each other is stopped, not spun forever
_MAX_ACKS = 2  # acknowledgements before the next question; more makes the reply slow to get to the point
_READ_BACK_HINT = "네 맞아요 아니요"  # the recogniser's hint while an answer is said back, before the question's own
PERSON_KEY = "0"  # the key that asks for a person (where the scenario has a `handoff`)
KEY_WORDS = {"1": "네", "2": "아니요"}  # keys that answer a yes/no question, heard as these words
OPT_OUT_MARK = "opt_out"  # the mark name (Reply.state) of "앞으로 전화를 드리지 않을까요?": no question of the script


@dataclass(frozen=True)
class Transfer:
    """Put the call through to a person once the reply has played."""

    number: str  # E.164, the on-call number of the campaign or line
    connecting: str = ""  # said by the phone network while the number rings ("" = nothing)


@dataclass(frozen=True)
class Reply:
    text: str  # what the agent says ("" once the call has finished)
    state: str | None  # id of the question now asked (the Twilio mark name); "closing" when ending
    end: bool = False  # hang up after saying it
    hint: str | None = None  # words expected next, for the recogniser's prompt
    transfer: Transfer | None = None  # after saying it, hand the call to this person (instead of hanging up)


@dataclass(frozen=True)
class _OptOutAsked:
    """"앞으로 전화를 드리지 않을까요?" was asked: the caller's words that asked to stop, and the question to ask
    again if they did not mean it."""

    request: str
    question: str


@dataclass(frozen=True)
class _ReadBack:
    """An answer said back because it was heard unsure: the question it answered and where the call goes next."""

    state: str
    target: str | None


class SessionSnapshot:
    """A session's conversation state at one moment (``DialogSession.snapshot``); opaque to callers."""

    def __init__(self, owner: int, state: dict[str, Any]):
        self._owner = owner
        self._state = state


class DialogSession:
    """The dialog manager for one call. Not thread-safe; one instance per call."""

    def __init__(
        self,
        scenario: Scenario,
        person: dict | None = None,
        now: datetime | None = None,
        history: list | None = None,
        *,
        seed: int | None = None,
        bookings: BookingBook | None = None,
        venue: Venue | None = None,
        responder: Responder | None = None,
        on_call_number: str | None = None,
        organization: str | None = None,
        disclosure: Sequence[str] | None = None,
    ):
        """``on_call_number``: where the scenario's `handoff` puts the caller through (the campaign's or the
        line's on-call number); without one, a caller who needs a person is promised a call back.
        ``organization``: on whose behalf the call is made ({organization} in the scenario's `disclosure`;
        the line's or the server's, else the scenario's own); ``disclosure``: the line's own wording of the
        sentence said after the greeting, instead of the scenario's."""
        self.scenario = scenario
        self.person = dict(person or {})
        self.now = now or datetime.now(SEOUL)
        name = str(self.person.get("name") or "").strip()
        local = self.now.astimezone(SEOUL) if self.now.tzinfo is not None else self.now
        self._vars = {"name": name or UNNAMED, **by_hour(scenario.time_of_day, local.hour)}
        told = scenario.disclosure
        if org := (organization or "").strip() or (told.organization if told else ""):
            self._vars["organization"] = org
        self._disclosure = [line for line in disclosure or [] if line.strip()] or (list(told.lines) if told else [])
        self._opt_out_asked: _OptOutAsked | None = None  # the stop asked to be confirmed
        self._opt_out_request: str | None = None  # the caller's words, once the stop is confirmed
        self._own_words = False  # this reply says who we are or asks about stopping: not the model's to word
        self._past = memory.past_calls(history)
        self._last = memory.last_answered(self._past)
        self._vars.update(recall(self._last.answers if self._last else None, scenario.symptoms))
        # Same person, same day: same phrasing (reproducible); another day: another phrasing.
        self._wording = Wording(seed if seed is not None else zlib.crc32(f"{name}|{self.now:%Y-%m-%d}".encode()))
        self._times_asked: dict[str, int] = {}
        self._state: str | None = None
        self._resume: str = scenario.start  # where the script continues after queued follow-ups
        self._queue: list[str] = []
        self._raised_follow_ups: set[str] = set()
        self._answers: dict[str, Any] = {}
        self._evidence: dict[str, str] = {}  # answer key -> the caller's words
        self._symptoms = SymptomLog()
        self._flags: list[Flag] = []
        self._retries = 0
        self._silences = 0
        self._turns = 0
        self._unknowns = 0  # questions left unclear after every retry
        self._finished = False
        self._outcome: str | None = None
        self._actions_in_a_row = 0
        self._responder = responder
        self._on_call_number = on_call_number or None
        self._handed_off = False  # the handoff has happened (a transfer, or a call-back promised)
        self._taken_over_by: str | None = None  # the number the call was handed to
        self._lead: list[str] = []  # acknowledgements said before the last question
        self._question = ""  # the last question's own words
        self._unsure_text: str | None = None  # a runner-up hypothesis chosen for the next turn (choose())
        self._read_back: _ReadBack | None = None  # an answer said back, waiting for 네 or a correction
        self._read_back_done: set[str] = set()  # questions whose answer was said back once already
        venue = venue or scenario.venue
        self._booking: BookingFlow | None = None
        if venue is not None:
            self._booking = BookingFlow(
                venue,
                bookings if bookings is not None else MemoryBookingBook(),
                now=self.now.astimezone(SEOUL).replace(tzinfo=None) if self.now.tzinfo else self.now,
                caller_number=self.person.get("phone"),
                call_id=self.person.get("call_id"),
            )
        if number := national_digits(str(self.person.get("phone") or "")):
            for st in scenario.states.values():  # the caller's own number, from caller ID
                if st.slot and not st.always_ask and ANSWER_TYPES[st.expect].from_caller_id:
                    self._answers[st.slot] = number

    # --- public state ---------------------------------------------------------------------------------

    @property
    def state(self) -> str | None:
        """Id of the question being asked now (None before start())."""
        return self._state

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def outcome(self) -> str | None:
        """completed | no_response | wrong_person | callback_requested | emergency | transferred | the
        scenario's own endings' outcomes (None while talking)."""
        return self._outcome

    @property
    def answers(self) -> dict[str, Any]:
        answers = dict(self._answers)
        declared = self.scenario.symptoms_answer
        if self._symptoms.names or (declared and declared.slot in answers):
            answers[SYMPTOMS_KEY] = list(self._symptoms.names)
        return answers

    @property
    def flags(self) -> list[Flag]:
        return list(self._flags)

    @property
    def needs_human_now(self) -> bool:
        """A critical flag (self-harm risk, emergency): a person must follow up at once."""
        return any(f.severity == "critical" for f in self._flags)

    @property
    def taken_over_by(self) -> str | None:
        """The number the call was put through to (outcome ``transferred``), else None."""
        return self._taken_over_by

    @property
    def opt_out_request(self) -> str | None:
        """The caller's words asking for no more calls, once confirmed (outcome ``opted_out``), else None."""
        return self._opt_out_request

    @property
    def turns(self) -> int:
        """Caller turns handled so far."""
        return self._turns

    # --- conversation ---------------------------------------------------------------------------------

    def start(self) -> Reply:
        """Greeting and the first question."""
        if self._state is not None:
            raise RuntimeError("start() was already called")
        greeting = self._render(self._pick("greetings", self.scenario.greetings))
        lead = [greeting]
        if self._disclosure:  # an automated call, on whose behalf, recorded: before anything is asked
            lead.append(self._render(self._pick("disclosure", self._disclosure)))
        return self._ask(self.scenario.start, lead)

    def ask(self, state_id: str) -> Reply:
        """Begin the conversation at one question instead of the greeting (scenario tests, corpus runs)."""
        if self._state is not None:
            raise RuntimeError("the conversation has already started")
        if state_id not in self.scenario.states:
            raise KeyError(f"unknown state {state_id!r}")
        self._resume = self.scenario.states[state_id].next or self.scenario.start
        return self._ask(state_id, [])

    def choose(self, hypotheses: Sequence[str]) -> int:
        """Which of the recogniser's hypotheses for the caller's next turn to hear: the first that the question
        now asked understands, else the top one (``dialog.hearing.choose``). Call it just before ``handle``
        with the text chosen; an answer heard from a runner-up is unsure, and said back if its question has
        a ``read_back``."""
        self._unsure_text = None
        if self._finished or self._state is None or len(hypotheses) < 2:
            return 0
        state = self.scenario.states[self._state]
        if self._opt_out_asked is not None:  # "앞으로 전화를 드리지 않을까요?" is answered 네 or 아니요
            state = state.model_copy(update={"expect": "yes_no", "choices": {}})
        elif self.scenario.opt_out is not None and nlu.wants_no_calls(Utterance(hypotheses[0])):
            return 0  # a stop the recogniser heard best is heard (it is confirmed before anything is stored)
        expect = (state.expect, "yes_no") if self._read_back is not None else state.expect
        also = nlu.asks_who if self.scenario.disclosure is not None else None  # "누구세요?" in any question
        index = hearing.choose(hypotheses, expect, self._reading(state), also)
        self._unsure_text = hypotheses[index].strip() if index else None
        return index

    def handle(self, text: str | None) -> Reply:
        """One caller turn (the recogniser's text; "" when it heard speech but read nothing)."""
        asked = self._question
        self._own_words = False
        reply = self._handle(text)
        if self._responder is not None and not reply.end and (text or "").strip() and not self._own_words:
            reply = self._worded_by_model(reply, asked, text or "")
        return self._hand_off_if_flagged(reply)

    def press(self, key: str) -> Reply | None:
        """A key the caller pressed: 0 asks for a person (where the scenario has a `handoff`); 1 / 2 answer
        a yes/no question (an answer type with `keypad`, or an answer said back) as 네 / 아니요. None: the key
        means nothing now, nothing is said."""
        if self._finished or self._state is None:
            return None
        if key == PERSON_KEY and self.scenario.handoff is not None:
            turn = self._turns
            self._turns += 1
            return self._hand_off(f"{PERSON_KEY}번 버튼", turn)
        words = KEY_WORDS.get(key)
        state = self.scenario.states[self._state]
        if words is None or (self._read_back is None and not ANSWER_TYPES[state.expect].keypad):
            return None
        self._unsure_text = None  # a key is never misheard
        return self.handle(words)

    def handoff_failed(self, reason: str) -> Reply:
        """The transfer could not be made (the phone network refused it): the caller is told a person will
        call back, and the scenario's critical call-back flag asks for it."""
        handoff = self.scenario.handoff
        if handoff is None or self._taken_over_by is None:
            raise RuntimeError("handoff_failed() without a transfer under way")
        self._taken_over_by = None
        self._flag(handoff.callback_flag, reason, max(self._turns - 1, 0))
        self._outcome = "callback_requested"
        return Reply(self._render(self._pick("handoff:callback", handoff.callback_lines)), "closing", end=True)

    def _hand_off_if_flagged(self, reply: Reply) -> Reply:
        """A flag the scenario's `handoff` names (self-harm risk, emergency) puts the caller through at once,
        where there is an on-call number. Without one the call goes as the scenario has it: that flag (its
        safety ending's words said) is itself what asks a person to follow up at once."""
        handoff = self.scenario.handoff
        if handoff is None or self._handed_off or not self._on_call_number:
            return reply
        raised = next((f for f in self._flags if f.rule in handoff.on_flags), None)
        if raised is None:
            return reply
        return self._hand_off(raised.evidence, raised.turn)

    def _hand_off(self, evidence: str, turn: int) -> Reply:
        """End the dialog by handing the caller to a person: to the on-call number if there is one (told
        first), else with a call back promised and the scenario's critical call-back flag raised."""
        handoff = self.scenario.handoff
        assert handoff is not None
        self._handed_off = True
        self._state = "closing"
        if self._on_call_number:
            self._taken_over_by = self._on_call_number
            if self._finished:  # a safety ending reached this turn: the transfer replaces its words
                self._outcome = "transferred"
            else:
                self._finish("transferred", turn)
            connecting = ""
            if handoff.connecting:
                connecting = self._render(self._pick("handoff:connecting", handoff.connecting))
            text = self._render(self._pick("handoff", handoff.lines))
            return Reply(text, "closing", end=True, transfer=Transfer(self._on_call_number, connecting))
        self._flag(handoff.callback_flag, evidence, turn)
        self._finish("callback_requested", turn)
        return Reply(self._render(self._pick("handoff:callback", handoff.callback_lines)), "closing", end=True)

    def _worded_by_model(self, reply: Reply, asked: str, said: str) -> Reply:
        """Let the language model word the lead-in (the scenario's question stays as written) and add
        its concern, if any, as a flag. Rules have already run: the model cannot remove what they found."""
        suggestion = self._responder.suggest(self.scenario.purpose, asked, said, " ".join(self._lead))
        if suggestion is None:
            return reply
        if suggestion.concern:
            self._flag(suggestion.concern, said, self._turns - 1, detail="언어 모델 판단")
        if not suggestion.say:
            return reply
        return Reply(f"{suggestion.say} {self._question}", reply.state, reply.end, reply.hint)

    def _handle(self, text: str | None) -> Reply:
        if self._finished:
            return Reply("", self._state, end=True)
        if self._state is None:
            raise RuntimeError("call start() before handle()")
        turn = self._turns
        self._turns += 1
        self._silences = 0
        u = Utterance(text)
        runner_up, self._unsure_text = self._unsure_text, None
        unsure = u.repaired or (runner_up is not None and (text or "").strip() == runner_up)
        if u.empty:
            return self._unclear(turn, empty=True)

        # Safety first, on every turn whatever was asked (symptoms named on the way are still recorded).
        if alarm := safety.alarm(u):
            self._take_symptoms(u, turn)
            self._keep_answer(u)  # "우울해서 죽고 싶어요" still answers the mood question (history rules)
            ending, found = alarm
            return self._end(ending, found.evidence, turn)
        if self.scenario.handoff is not None and (wants := nlu.asks_for_person(u)):
            self._take_symptoms(u, turn)
            return self._hand_off(wants.evidence, turn)
        if self._opt_out_asked is not None:
            return self._hear_opt_out(u, turn)
        if self.scenario.opt_out is not None and (stop := nlu.wants_no_calls(u)):
            self._take_symptoms(u, turn)
            return self._confirm_opt_out(stop.evidence)
        if self.scenario.disclosure is not None and nlu.asks_who(u):
            self._take_symptoms(u, turn)
            return self._say_who()
        state = self.scenario.states[self._state]
        kind = ANSWER_TYPES[state.expect]
        if not kind.reads_call_back and (found := safety.call_back(u)):
            return self._end(safety.CALL_BACK, found.evidence, turn)
        if self._read_back is not None:
            return self._hear_read_back(u, turn)

        reading = self._reading(state)
        finding = kind.read(u, reading)
        if kind.single:
            finding, contradicted = settle(lambda part: kind.read(part, reading), u, finding)
            if contradicted:
                self._take_symptoms(u, turn)
                return self._clarify(turn, u.words())
        new_symptoms = self._take_symptoms(u, turn)
        side_acks, changed = self._take_in_passing(u, turn, state)
        if changed and self.scenario.recheck and not self._asks_about_listened(state):
            return self._continue(self.scenario.recheck, [], u.words(), turn)  # "아, 8시로 해 주세요"
        if finding is None:
            if side_acks:  # they told us something else: acknowledge it and ask again, no "sorry"
                return self._retry(side_acks)
            if changed and state.slot and state.slot in self._answers:
                return self._continue(state.next, [], u.words(), turn)  # the detail asked came in passing
            return self._unclear(turn, evidence=u.words())
        acks, target = self._apply(state, finding, turn, new_symptoms)
        if (unsure or finding.guessed) and state.read_back and self._state not in self._read_back_done:
            return self._say_back(state, target, acks + side_acks)
        return self._continue(target, acks + side_acks, finding.evidence, turn)

    def _say_who(self) -> Reply:
        """"누구세요?", "AI예요?": who is calling, then the question asked (or said back) once more, as it was."""
        assert self.scenario.disclosure is not None
        answer = self._render(self._pick("disclosure:answer", self.scenario.disclosure.answers))
        self._lead, self._own_words = [answer], True
        hint = self.scenario.states[self._state].hint if self._read_back is None else _READ_BACK_HINT
        return Reply(f"{answer} {self._question}", self._state, hint=hint)

    def _confirm_opt_out(self, request: str) -> Reply:
        """"이제 전화하지 마세요": asked once whether to stop calling, before anything is stored."""
        opt_out = self.scenario.opt_out
        assert opt_out is not None
        self._opt_out_asked = _OptOutAsked(request, self._question)
        self._lead, self._own_words = [], True
        self._question = self._render(self._pick("opt_out:confirm", opt_out.confirm))
        return Reply(self._question, OPT_OUT_MARK, hint=opt_out.hint)

    def _hear_opt_out(self, u: Utterance, turn: int) -> Reply:
        """The answer to "앞으로 전화를 드리지 않을까요?": 네 (or the stop said again) ends the call with the
        scenario's opt-out ending; anything else goes back to the question asked, with no stop stored."""
        asked, self._opt_out_asked = self._opt_out_asked, None
        opt_out = self.scenario.opt_out
        assert asked is not None and opt_out is not None
        self._take_symptoms(u, turn)
        answer = nlu.yes_no(u)
        if nlu.wants_no_calls(u) or (answer is not None and answer.value == "yes"):
            self._opt_out_request = asked.request
            return self._end(opt_out.ending, asked.request, turn)
        kept = self._render(self._pick("opt_out:kept", opt_out.kept))
        self._lead, self._question, self._own_words = [kept], asked.question, True
        hint = self.scenario.states[self._state].hint if self._read_back is None else _READ_BACK_HINT
        return Reply(f"{kept} {asked.question}", self._state, hint=hint)

    def _say_back(self, state: State, target: str | None, acks: list[str]) -> Reply:
        """Say back an answer heard unsure ("저녁 6시요, 맞으세요?") before going on to ``target``."""
        self._read_back = _ReadBack(self._state, target)
        self._read_back_done.add(self._state)
        self._lead = [line for line in acks[:_MAX_ACKS] if line]
        self._question = self._render(self._pick(f"read_back:{self._state}", state.read_back))
        hint = f"{_READ_BACK_HINT} {state.hint}" if state.hint else _READ_BACK_HINT
        return Reply(" ".join([*self._lead, self._question]), self._state, hint=hint)

    def _hear_read_back(self, u: Utterance, turn: int) -> Reply:
        """The caller's reply to a read-back: the answer said again or corrected ("아니요, 일곱 시요") is taken
        as heard now; 네 goes on; a bare 아니요 asks the question again; anything else keeps the answer (a
        booking is read back whole before it is made)."""
        pending, self._read_back = self._read_back, None
        state = self.scenario.states[pending.state]
        kind, reading = ANSWER_TYPES[state.expect], self._reading(state)
        answer = nlu.yes_no(u)
        finding = kind.read(u, reading)
        if finding is None and answer is not None and (rest := nlu.after_yes_no(u)) is not None:
            finding = kind.read(rest, reading)
        new_symptoms = self._take_symptoms(u, turn)
        side_acks, _ = self._take_in_passing(u, turn, state)
        if finding is not None and finding.value != self._answers.get(state.slot or ""):
            acks, target = self._apply(state, finding, turn, new_symptoms)
            return self._continue(target, acks + side_acks, finding.evidence, turn)
        if finding is None and answer is not None and answer.value == "no":
            self._answers.pop(state.slot or "", None)
            self._evidence.pop(state.slot or "", None)
            lead = self._pick(f"reprompt:{self._state}", state.reprompts or self.scenario.unclear.prompts)
            return self._retry([self._render(lead)])
        return self._continue(pending.target, side_acks, u.words(), turn)

    def handle_silence(self) -> Reply:
        """The caller said nothing for the silence timeout: check the line, then give up politely."""
        if self._finished:
            return Reply("", self._state, end=True)
        if self._state is None:
            raise RuntimeError("call start() before handle_silence()")
        self._silences += 1
        if self._opt_out_asked is not None:  # no answer to "앞으로 전화를 드리지 않을까요?": nothing is stored
            self._question, self._opt_out_asked = self._opt_out_asked.question, None
        if self._silences >= self.scenario.silence.max_consecutive:
            return self._end(safety.NO_RESPONSE, "", self._turns)
        return self._ask(self._state, [self._render(self._pick("silence", self.scenario.silence.prompts))])

    def snapshot(self) -> SessionSnapshot:
        """The conversation as it stands, to go back to with ``restore``: a caller turn that turns out to
        have been cut in two by a pause is taken back and heard again whole. What the session only refers
        to (scenario, past calls, booking book and venue, language model) is shared, not copied."""
        return SessionSnapshot(id(self), copy.deepcopy(vars(self), self._shared()))

    def restore(self, snapshot: SessionSnapshot) -> None:
        """Go back to ``snapshot`` (taken from this session; it stays valid for another restore). A booking
        already written to the book stays written: every action that writes one ends the call, so take
        back only turns whose reply did not end it."""
        if snapshot._owner != id(self):
            raise ValueError("the snapshot was taken from another session")
        state = copy.deepcopy(snapshot._state, self._shared())
        vars(self).clear()
        vars(self).update(state)

    def _shared(self) -> dict[int, Any]:
        """deepcopy's memo that makes copies refer to the same collaborators as this session."""
        booking = self._booking
        shared = (self.scenario, self._responder, self._past, self._last,
                  booking.book if booking else None, booking.venue if booking else None)
        return {id(obj): obj for obj in shared if obj is not None}

    # --- understanding a turn -------------------------------------------------------------------------

    def _reading(self, state: State, answers: dict[str, Any] | None = None) -> Reading:
        """What the readers of ``state``'s answer type may use besides the words."""
        return Reading(state.choices, self._answers if answers is None else answers, self._booking)

    def _listening(self, asked: State) -> list[str]:
        """The states whose answers may come in passing while ``asked`` is asked."""
        return self.scenario.listen_for if asked.listen_for is None else asked.listen_for

    def _asks_about_listened(self, asked: State) -> bool:
        """Is the question asked itself about the answers listened for (a date asked again, "어느 부분을
        바꿔 드릴까요?")? Then a changed one is its answer, not a change of mind to recheck."""
        listened = {self.scenario.states[sid].expect for sid in self.scenario.listen_for}
        return asked.listen_for is not None or asked.expect in listened

    def _take_in_passing(self, u: Utterance, turn: int, asked: State) -> tuple[list[str], bool]:
        """Answers to other questions said in this turn ("밥은 먹었는데 잠을 못 잤어", "내일 저녁 4명이요"):
        record them, so those questions are skipped, with their flags. Returns their acknowledgements, and
        whether one of them changed an answer given before (only a scenario with `recheck` takes changes;
        otherwise the first answer stands)."""
        takes_changes = self.scenario.recheck is not None
        heard: dict[str, Any] = {}  # this turn's answers so far: "7시" is read against the date just said
        acks, changed = [], False
        for sid in self._listening(asked):
            state = self.scenario.states[sid]
            slot, kind = state.slot or "", ANSWER_TYPES[state.expect]
            if kind.in_passing is None or (not takes_changes and (slot == asked.slot or slot in self._answers)):
                continue
            finding = kind.in_passing(u, self._reading(state, {**self._answers, **heard}))
            if finding is None:
                continue
            heard[slot] = finding.value
            if slot == asked.slot or self._answers.get(slot) == finding.value:
                continue  # the question asked records its own answer
            changed = changed or slot in self._answers
            self._answers[slot] = finding.value
            value = GIVEN if kind.values == {GIVEN} else finding.value
            if rule := state.flags.get(value):
                self._flag(rule, finding.evidence, turn)
            if lines := state.acks.get(value):
                acks.append(self._render(self._pick(f"ack:{sid}:{value}", lines)))
        return acks, changed

    def _take_symptoms(self, u: Utterance, turn: int) -> list[SymptomFinding]:
        """Record symptoms named in this turn (any state), raise their flags, queue their follow-ups; then
        the every-turn risk flags (loneliness, confusion)."""
        found = self._symptoms.hear(u)
        specs = self.scenario.symptoms
        for s in found:
            if s.location:
                self._answers.setdefault(BODY_PARTS_KEY, {})[s.symptom] = s.location
            spec = specs.get(s.symptom)
            if spec and spec.flag:
                self._flag(spec.flag, s.evidence, turn, detail=s.location)
            if spec and spec.severe_flag and s.severe:
                self._flag(spec.severe_flag, s.evidence, turn, detail=s.location)
        for s in found:
            spec = specs.get(s.symptom)
            if spec and spec.follow_up and not set(spec.skip_follow_up_if) & set(self._symptoms.names):
                self._raise_follow_up(spec.follow_up)
        if found and (declared := self.scenario.symptoms_answer):
            self._answers[declared.slot] = declared.value
        for rule, detect in safety.RISKS:
            if (risk := detect(u)) is not None:
                self._flag(rule, risk.evidence, turn)
        return found

    def _apply(
        self, state: State, finding: Finding, turn: int, new_symptoms: list[SymptomFinding]
    ) -> tuple[list[str], str | None]:
        """Record the answer to the question asked; return acknowledgements and where to go next."""
        acks = []
        kind, declared = ANSWER_TYPES[state.expect], self.scenario.symptoms_answer
        value = self._record(state, finding)
        if declared and state.slot == declared.slot and value == declared.value and not self._symptoms.names:
            if self.scenario.unspecified_follow_up:
                self._raise_follow_up(self.scenario.unspecified_follow_up)
        if kind.values == {GIVEN}:
            value = GIVEN  # free-valued answers share one key for acks and branches
        if rule := state.flags.get(value):
            self._flag(rule, finding.evidence, turn)
        if new_symptoms:
            acks.append(self._symptom_ack(new_symptoms))
        elif lines := state.acks.get(value):
            acks.append(self._render(self._pick(f"ack:{self._state}:{value}", lines)))
        target = state.branches.get(value)
        if target is None and "." not in (self._state or ""):
            target = state.next
        return acks, target

    def _record(self, state: State, finding: Finding) -> str:
        """Store the answer to ``state`` in its slot; returns the answer's value."""
        value, kind, declared = finding.value, ANSWER_TYPES[state.expect], self.scenario.symptoms_answer
        if kind.words_value is not None:  # free text: the caller's own words, or "nothing"
            slot = state.slot or NOTE_KEY
            if value == kind.words_value:
                self._answers[slot] = finding.evidence
            elif slot != NOTE_KEY:
                self._answers[slot] = value
        elif declared and state.slot == declared.slot:
            if self._symptoms.names:
                value = declared.value  # "괜찮아요" after naming a symptom does not undo it
            self._answers[declared.slot] = value
        elif state.slot:
            self._answers[state.slot] = value
            self._evidence[state.slot] = finding.evidence
        return value

    def _keep_answer(self, u: Utterance) -> None:
        """A turn that ends the call at once (a safety rule) still answers the question asked: store the
        answer, so the rules that compare calls (low_mood_persisting) see it. Its own flags, acks and
        branches are left out: the ending and its critical flag stand alone."""
        state = self.scenario.states[self._state]
        kind = ANSWER_TYPES[state.expect]
        reading = self._reading(state)
        finding = kind.read(u, reading)
        if kind.single:
            finding, contradicted = settle(lambda part: kind.read(part, reading), u, finding)
            finding = None if contradicted else finding
        if finding is not None:
            self._record(state, finding)

    def _symptom_ack(self, found: list[SymptomFinding]) -> str:
        """The acknowledgement of the most urgent of the symptoms just named (the scenario lists them so)."""
        first = most_urgent((s.symptom for s in found), self.scenario.symptoms)
        spec = self.scenario.symptoms.get(first or "")
        if spec is None:
            return ""
        return self._render(self._pick(f"symptom:{first}", spec.acks))

    def _raise_follow_up(self, state_id: str) -> None:
        if state_id not in self._raised_follow_ups:
            self._raised_follow_ups.add(state_id)
            self._queue.append(state_id)

    def _flag(self, rule: str, evidence: str, turn: int, detail: str | None = None) -> None:
        """Raise a flag once per call (the first evidence is kept)."""
        if any(f.rule == rule for f in self._flags):
            return
        spec = self.scenario.flags.get(rule)
        if spec is None:  # a scenario without this rule does not raise it
            return
        message = f"{spec.message} ({detail})" if detail else spec.message
        self._flags.append(Flag(rule, spec.severity, evidence, turn, message))

    # --- moving on ------------------------------------------------------------------------------------

    def _continue(self, target: str | None, acks: list[str], evidence: str, turn: int) -> Reply:
        """Go to ``target`` (or back to the script), asking queued follow-ups first and skipping
        questions already answered in passing."""
        if target and target.startswith(END_PREFIX):
            return self._end(target[len(END_PREFIX) :], evidence, turn)
        if target:
            self._resume = target
        for _ in range(len(self.scenario.states) + 1):
            if self._queue:
                return self._ask(self._queue.pop(0), acks)
            nxt = self._resume
            if nxt.startswith(END_PREFIX):
                return self._end(nxt[len(END_PREFIX) :], evidence, turn)
            state = self.scenario.states[nxt]
            if state.slot and state.slot != NOTE_KEY and state.slot in self._answers and not state.always_ask:
                self._resume = state.branches.get(self._answers[state.slot]) or state.next or nxt
                if self._resume == nxt:
                    break
                continue
            break
        return self._ask(self._resume, acks)

    def _unclear(self, turn: int, *, empty: bool = False, evidence: str = "") -> Reply:
        """Ask again with a short apology; after the retry limit record 'unknown' and move on."""
        state = self.scenario.states[self._state]
        limit = self.scenario.max_retries if state.max_retries is None else state.max_retries
        if self._retries < limit:
            if empty:
                lead = self._pick("empty", self.scenario.unclear.empty_prompts)
            else:
                lead = self._pick(f"reprompt:{self._state}", state.reprompts or self.scenario.unclear.prompts)
            return self._retry([self._render(lead)])
        if state.give_up is not None:
            return self._continue(state.give_up, [], evidence, turn)
        if (meaning := ANSWER_TYPES[state.expect].unclear_means) is not None:  # "nothing more", not a scrap
            acks, target = self._apply(state, Finding(meaning, ""), turn, [])
            return self._continue(target, acks, evidence, turn)
        if state.slot and state.slot != NOTE_KEY and state.slot not in self._answers:
            self._answers[state.slot] = UNKNOWN
        self._unknowns += 1
        if self._unknowns >= safety.CONFUSED_AFTER_UNKNOWNS:
            self._flag(safety.CONFUSION, evidence, turn)
        give_up = self._render(self._pick("give_up", self.scenario.unclear.give_up))
        target = None if "." in self._state else state.next
        return self._continue(target, [give_up], evidence, turn)

    def _clarify(self, turn: int, evidence: str) -> Reply:
        """The caller said both yes and no ("먹었는데 안 먹었어"): say so and ask once more."""
        if self._retries >= self.scenario.max_retries:
            return self._unclear(turn, evidence=evidence)
        lines = self.scenario.unclear.contradiction_prompts or self.scenario.unclear.prompts
        return self._retry([self._render(self._pick("contradiction", lines))])

    def _retry(self, lead: list[str]) -> Reply:
        self._retries += 1
        return self._ask(self._state, lead)

    def _ask(self, state_id: str, lead: Sequence[str]) -> Reply:
        if state_id != self._state:
            self._retries = 0
        self._state = state_id
        state = self.scenario.states[state_id]
        if state.action is not None:
            return self._act(state_id, state, lead)
        self._actions_in_a_row = 0
        self._lead = [line for line in lead[:_MAX_ACKS] if line]
        self._question = self._prompt(state_id, state)
        text = " ".join([*self._lead, self._question])
        if state.end:
            self._finish("completed", self._turns - 1)
            return Reply(text, state_id, end=True)
        return Reply(text, state_id, end=False, hint=state.hint)

    def _act(self, state_id: str, state: State, lead: Sequence[str]) -> Reply:
        """Run a reservation action and go on by its result, saying its acknowledgement if any."""
        self._actions_in_a_row += 1
        if self._booking is None or self._actions_in_a_row > _MAX_ACTIONS_IN_A_ROW:
            raise RuntimeError(f"{self.scenario.source}: action state {state_id!r} cannot run (no venue, or a loop)")
        result = self._booking.run(state.action, self._answers)
        acks = list(lead)
        if lines := state.acks.get(result):
            acks.append(self._render(self._pick(f"ack:{state_id}:{result}", lines)))
        target = state.branches[result]
        if target.startswith(END_PREFIX):
            return self._end(target[len(END_PREFIX) :], "", self._turns - 1)
        self._resume = target
        return self._continue(target, acks, "", self._turns - 1)

    def _end(self, ending_name: str, evidence: str, turn: int) -> Reply:
        """End the call with one of the scenario's endings (no acknowledgements: the ending stands alone)."""
        ending = self.scenario.endings[ending_name]
        if ending.flag:
            self._flag(ending.flag, evidence, turn)
        self._finish(ending.outcome, turn)
        self._state = "closing"
        return Reply(self._render(self._pick(f"end:{ending_name}", ending.lines)), "closing", end=True)

    # --- wording --------------------------------------------------------------------------------------

    def _prompt(self, state_id: str, state: State) -> str:
        asked = self._times_asked.get(state_id, 0)
        self._times_asked[state_id] = asked + 1
        lines, key = state.prompts, f"prompt:{state_id}"
        if state.prompts_if_flagged and any(f.rank >= 1 for f in self._flags):
            lines, key = state.prompts_if_flagged, f"prompt:{state_id}:flagged"
        elif state.prompts_if_history and asked == 0 and self._raised_last_time(state):
            lines, key = state.prompts_if_history, f"prompt:{state_id}:history"
        return self._render(self._pick(key, lines))

    def _raised_last_time(self, state: State) -> bool:
        """Did the last answered call give a worrying answer to this question (for the question symptoms
        answer: did it name any)?"""
        if self._last is None or not state.slot:
            return False
        declared = self.scenario.symptoms_answer
        if declared and state.slot == declared.slot:
            return bool(self._last.answers.get(SYMPTOMS_KEY))
        return self._last.answers.get(state.slot) in state.flags

    def _finish(self, outcome: str, turn: int) -> None:
        """The call is over: apply the rules that compare it with the person's earlier calls."""
        self._finished, self._outcome = True, outcome
        turn = max(turn, 0)
        specs = self.scenario.symptoms
        found = memory.patterns(
            outcome, self._answers, self._symptoms.names, self._past, mood_key=self.scenario.mood_trend,
            label=lambda symptom: specs[symptom].label if symptom in specs else symptom,
        )  # fmt: skip
        evidence = {**self._evidence, **self._symptoms.evidence}
        for pattern in found:
            self._flag(pattern.rule, evidence.get(pattern.about or "", ""), turn, detail=pattern.detail)

    def _pick(self, key: str, lines: Sequence[str]) -> str:
        return self._wording.pick(key, lines)

    def _render(self, line: str) -> str:
        variables = dict(self._vars)
        if self._booking is not None:
            variables.update(self._booking.variables(self._answers))
        return fill(line, variables)
