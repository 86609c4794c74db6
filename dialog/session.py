"""One care call: walks the scenario, understands each caller turn, records answers and risk flags."""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from dialog import understanding as nlu
from dialog.booking_flow import DETAIL_SLOTS, BookingFlow
from dialog import history as memory
from dialog.flags import Flag
from dialog.reservations import BookingBook, MemoryBookingBook, Venue
from dialog.responder import ChatResponder
from dialog.scenario import END_PREFIX, EXPECT_VALUES, Scenario, State
from dialog.understanding import Finding, Utterance
from dialog.understanding.booking import normalize_phone
from dialog.vocabulary import SYMPTOMS, UNKNOWN

try:
    from zoneinfo import ZoneInfo

    SEOUL: Any = ZoneInfo("Asia/Seoul")
except Exception:  # no tz database on this machine: Korea has no daylight saving time
    SEOUL = timezone(timedelta(hours=9), "KST")

_PARSERS: dict[str, Callable[[Utterance], Finding | None]] = {
    "identity": nlu.identity,
    "meal": nlu.meal,
    "sleep": nlu.sleep,
    "health": nlu.health,
    "medication": nlu.medication,
    "mood": nlu.mood,
    "injury": nlu.injury,
    "severity": nlu.severity,
    "yes_no": nlu.yes_no_answer,
    "anything_else": nlu.anything_else,
    "none": lambda u: None,
}
# Care answers that may be picked up in passing, when the person answers one question and mentions
# another topic (the scenario's `listen_for` says which); booking details are read by BookingFlow.
_SIDE_FACTS: dict[str, Callable[..., Finding | None]] = {
    "meal": nlu.meal,
    "sleep": nlu.sleep,
    "medication": nlu.medication,
    "mood": nlu.mood,
}
# Answer types checked for self-corrections and for clauses that contradict each other.
_ONE_ANSWER = frozenset({"meal", "sleep", "medication", "mood", "yes_no", "injury", "severity"})
_MAX_ACTIONS_IN_A_ROW = 12  # a scenario whose actions loop into each other is stopped, not spun forever
# Which symptom the agent acknowledges first when several are named at once.
_ACK_PRIORITY = ("breathing", "chest_pain", "fall", "fever", "pain", "dizziness", "cough")
_MAX_ACKS = 2  # acknowledgements before the next question; more makes the reply slow to get to the point
_CONFUSED_AFTER_UNKNOWNS = 3


@dataclass(frozen=True)
class Reply:
    text: str  # what the agent says ("" once the call has finished)
    state: str | None  # id of the question now asked (the Twilio mark name); "closing" when ending
    end: bool = False  # hang up after saying it
    hint: str | None = None  # words expected next, for the recogniser's prompt


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
        responder: ChatResponder | None = None,
    ):
        self.scenario = scenario
        self.person = dict(person or {})
        self.now = now or datetime.now(SEOUL)
        name = str(self.person.get("name") or "").strip()
        self._vars = {
            "name": name or "어르신",
            "meal": _meal_word(self.now),
        }
        self._past = memory.past_calls(history)
        self._last = memory.last_answered(self._past)
        self._vars.update(_recall(self._last, scenario))
        # Same person, same day: same phrasing (reproducible); another day: another phrasing.
        self._rng = random.Random(seed if seed is not None else zlib.crc32(f"{name}|{self.now:%Y-%m-%d}".encode()))
        self._rotation: dict[str, int] = {}
        self._times_asked: dict[str, int] = {}
        self._state: str | None = None
        self._resume: str = scenario.start  # where the script continues after queued follow-ups
        self._queue: list[str] = []
        self._raised_follow_ups: set[str] = set()
        self._answers: dict[str, Any] = {}
        self._evidence: dict[str, str] = {}  # answer key or symptom -> the caller's words
        self._symptoms: list[str] = []
        self._flags: list[Flag] = []
        self._retries = 0
        self._silences = 0
        self._turns = 0
        self._unknowns = 0
        self._finished = False
        self._outcome: str | None = None
        self._actions_in_a_row = 0
        self._responder = responder
        self._lead: list[str] = []  # acknowledgements said before the last question
        self._question = ""  # the last question's own words
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
            if (phone := normalize_phone(str(self.person.get("phone") or ""))) and any(
                st.slot == "phone" and not st.always_ask for st in scenario.states.values()
            ):
                self._answers["phone"] = phone  # the caller's own number, from caller ID

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
        """completed | no_response | wrong_person | callback_requested | emergency (None while talking)."""
        return self._outcome

    @property
    def answers(self) -> dict[str, Any]:
        answers = dict(self._answers)
        if self._symptoms or "health" in answers:
            answers["symptoms"] = list(self._symptoms)
        return answers

    @property
    def flags(self) -> list[Flag]:
        return list(self._flags)

    @property
    def needs_human_now(self) -> bool:
        """A critical flag (self-harm risk, emergency): a person must follow up at once."""
        return any(f.severity == "critical" for f in self._flags)

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
        return self._ask(self.scenario.start, [greeting])

    def ask(self, state_id: str) -> Reply:
        """Begin the conversation at one question instead of the greeting (scenario tests, corpus runs)."""
        if self._state is not None:
            raise RuntimeError("the conversation has already started")
        if state_id not in self.scenario.states:
            raise KeyError(f"unknown state {state_id!r}")
        self._resume = self.scenario.states[state_id].next or self.scenario.start
        return self._ask(state_id, [])

    def handle(self, text: str | None) -> Reply:
        """One caller turn (the recogniser's text; "" when it heard speech but read nothing)."""
        asked = self._question
        reply = self._handle(text)
        if self._responder is None or reply.end or not (text or "").strip():
            return reply
        return self._worded_by_model(reply, asked, text or "")

    def _worded_by_model(self, reply: Reply, asked: str, said: str) -> Reply:
        """Let the language model word the lead-in (the scenario's question stays as written) and add
        its concern, if any, as a flag. Rules have already run: the model cannot remove what they found."""
        suggestion = self._responder.suggest(self.scenario.name, asked, said, " ".join(self._lead))
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
        if u.empty:
            return self._unclear(turn, empty=True)

        # Safety first, on every turn whatever was asked (symptoms named on the way are still recorded).
        if nlu.self_harm(u) or nlu.emergency(u):
            self._take_symptoms(u, turn)
        if found := nlu.self_harm(u):
            return self._end("self_harm", found.evidence, turn)
        if found := nlu.emergency(u):
            return self._end("emergency", found.evidence, turn)
        state = self.scenario.states[self._state]
        if state.expect != "identity" and (found := nlu.call_back(u)):
            return self._end("callback", found.evidence, turn)

        finding = self._parse(state, u)
        if state.expect in _ONE_ANSWER:
            finding, contradicted = _settle(_PARSERS[state.expect], u, finding)
            if contradicted:
                self._take_symptoms(u, turn)
                return self._clarify(turn, u.words())
        new_symptoms = self._take_symptoms(u, turn)
        side_acks = self._take_side_facts(u, turn, state)
        changed = self._take_booking_details(u, state, finding)
        if changed and self.scenario.recheck and state.expect not in ("booking_change", *DETAIL_SLOTS):
            return self._continue(self.scenario.recheck, [], u.words(), turn)  # "아, 8시로 해 주세요"
        if finding is None:
            if side_acks:  # they told us something else: acknowledge it and ask again, no "sorry"
                return self._retry(side_acks)
            if changed and state.slot and state.slot in self._answers:
                return self._continue(state.next, [], u.words(), turn)  # the detail asked came in passing
            return self._unclear(turn, evidence=u.words())
        acks, target = self._apply(state, finding, turn, new_symptoms)
        return self._continue(target, acks + side_acks, finding.evidence, turn)

    def handle_silence(self) -> Reply:
        """The caller said nothing for the silence timeout: check the line, then give up politely."""
        if self._finished:
            return Reply("", self._state, end=True)
        if self._state is None:
            raise RuntimeError("call start() before handle_silence()")
        self._silences += 1
        if self._silences >= self.scenario.silence.max_consecutive:
            return self._end("no_response", "", self._turns)
        return self._ask(self._state, [self._render(self._pick("silence", self.scenario.silence.prompts))])

    # --- understanding a turn -------------------------------------------------------------------------

    def _parse(self, state: State, u: Utterance) -> Finding | None:
        """The answer to the question asked, or None when it is unclear."""
        expect = state.expect
        if self._booking is not None:
            if expect in (*DETAIL_SLOTS, "name", "phone"):
                return self._booking.parse(expect, u, self._answers)
            if expect == "booking_change":
                found = self._booking.details(u, self._answers, with_name=True)
                return Finding("given", " / ".join(f.evidence for f in found.values())) if found else None
            if expect == "intent":
                has_details = bool(self._booking.details(u, self._answers))
                return nlu.intent(u, has_details=has_details)
        if expect == "choice":
            return nlu.choice(u, state.choices)
        return _PARSERS[expect](u)

    def _take_booking_details(self, u: Utterance, asked: State, finding: Finding | None) -> bool:
        """Booking details said in this turn (in answer to anything): store them. True when one of them
        is new or differs from what was understood before."""
        if self._booking is None:
            return False
        listen = [slot for slot in self.scenario.listen_for if slot in DETAIL_SLOTS]
        if asked.expect == "booking_change":
            listen = [*DETAIL_SLOTS, "name"]
        elif not listen:
            return False
        found = self._booking.details(u, self._answers, with_name=asked.expect == "booking_change")
        changed = False
        for slot, detail in found.items():
            if slot not in listen or (slot == asked.slot and finding is not None):
                continue
            if self._answers.get(slot) != detail.value:
                changed = changed or slot in self._answers or slot == asked.slot
                self._answers[slot] = detail.value
        return changed

    def _take_symptoms(self, u: Utterance, turn: int) -> list[nlu.SymptomFinding]:
        """Record symptoms named in this turn (any state), raise their flags, queue their follow-ups."""
        found = [s for s in nlu.find_symptoms(u) if s.symptom not in self._symptoms]
        specs = self.scenario.symptoms
        for s in found:
            self._symptoms.append(s.symptom)
            self._evidence[s.symptom] = s.evidence
            if s.location:
                self._answers.setdefault("body_parts", {})[s.symptom] = s.location
            spec = specs.get(s.symptom)
            if spec and spec.flag:
                self._flag(spec.flag, s.evidence, turn, detail=s.location)
            if s.severe and s.symptom in ("pain", "fall"):
                self._flag("severe_pain", s.evidence, turn, detail=s.location)
        for s in found:
            spec = specs.get(s.symptom)
            if spec and spec.follow_up and not set(spec.skip_follow_up_if) & set(self._symptoms):
                self._raise_follow_up(spec.follow_up)
        if found:
            self._answers["health"] = "unwell"
            self._symptoms.sort(key=SYMPTOMS.index)
        if (lonely := nlu.loneliness(u)) is not None:
            self._flag("loneliness", lonely.evidence, turn)
        if (confused := nlu.confusion(u)) is not None:
            self._flag("confusion", confused.evidence, turn)
        return found

    def _take_side_facts(self, u: Utterance, turn: int, asked: State) -> list[str]:
        """Answers to questions not asked yet ("밥은 먹었는데 잠을 못 잤어"): record them, so the
        question is skipped later, and return their acknowledgements."""
        acks = []
        for slot, parse in _SIDE_FACTS.items():
            if slot not in self.scenario.listen_for or slot == asked.slot or slot in self._answers:
                continue
            finding = parse(u, strict=True)
            state = self.scenario.states.get(slot)
            if finding is None or state is None:
                continue
            self._answers[slot] = finding.value
            if rule := state.flags.get(finding.value):
                self._flag(rule, finding.evidence, turn)
            if lines := state.acks.get(finding.value):
                acks.append(self._render(self._pick(f"ack:{slot}:{finding.value}", lines)))
        return acks

    def _apply(
        self, state: State, finding: Finding, turn: int, new_symptoms: list[nlu.SymptomFinding]
    ) -> tuple[list[str], str | None]:
        """Record the answer to the question asked; return acknowledgements and where to go next."""
        value, acks = finding.value, []
        if state.expect == "anything_else":
            if value == "note":
                self._answers[state.slot or "note"] = finding.evidence
            elif state.slot and state.slot != "note":
                self._answers[state.slot] = value  # "nothing"
        elif state.slot == "health":
            if value == "well" and self._symptoms:
                value = "unwell"  # "괜찮아요" after naming a symptom does not undo it
            self._answers["health"] = value
            if value == "unwell" and not self._symptoms and self.scenario.unspecified_follow_up:
                self._raise_follow_up(self.scenario.unspecified_follow_up)
        elif state.slot:
            self._answers[state.slot] = value
            self._evidence[state.slot] = finding.evidence
        if EXPECT_VALUES[state.expect] == {"given"}:
            value = "given"  # free-valued answers share one key for acks and branches
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

    def _symptom_ack(self, found: list[nlu.SymptomFinding]) -> str:
        first = min(found, key=lambda s: _ACK_PRIORITY.index(s.symptom))
        spec = self.scenario.symptoms.get(first.symptom)
        if spec is None:
            return ""
        return self._render(self._pick(f"symptom:{first.symptom}", spec.acks))

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
            if state.slot and state.slot != "note" and state.slot in self._answers and not state.always_ask:
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
        if state.slot and state.slot != "note" and state.slot not in self._answers:
            self._answers[state.slot] = UNKNOWN
        self._unknowns += 1
        if self._unknowns >= _CONFUSED_AFTER_UNKNOWNS:
            self._flag("confusion", evidence, turn)
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
        """Did the last answered call give a worrying answer to this question (symptoms, for health)?"""
        if self._last is None or not state.slot:
            return False
        if state.slot == "health":
            return bool(self._last.answers.get("symptoms"))
        return self._last.answers.get(state.slot) in state.flags

    def _finish(self, outcome: str, turn: int) -> None:
        """The call is over: apply the rules that compare it with the person's earlier calls."""
        self._finished, self._outcome = True, outcome
        turn = max(turn, 0)
        if outcome == "no_response" and (streak := memory.unanswered_streak(self._past)) >= 2:
            self._flag("repeated_no_answer", "", turn, detail=f"{streak + 1}회 연속")
        trend = memory.mood_trend(self._answers.get("mood"), self._past)
        if trend == "persisting":
            self._flag("low_mood_persisting", self._evidence.get("mood", ""), turn, detail="3회 이상 연속")
        elif trend == "worse":
            self._flag("mood_worse", self._evidence.get("mood", ""), turn)
        for symptom, calls in memory.persisting_symptoms(self._symptoms, self._past).items():
            label = self.scenario.symptoms[symptom].label if symptom in self.scenario.symptoms else symptom
            self._flag("persistent_symptom", self._evidence.get(symptom, ""), turn, detail=f"{label}, {calls}회 연속")

    def _pick(self, key: str, lines: Sequence[str]) -> str:
        """A seeded first choice, then rotation, so a repeated line is phrased differently."""
        if key not in self._rotation:
            self._rotation[key] = self._rng.randrange(len(lines))
        else:
            self._rotation[key] += 1
        return lines[self._rotation[key] % len(lines)]

    def _render(self, line: str) -> str:
        variables = dict(self._vars)
        if self._booking is not None:
            variables.update(self._booking.variables(self._answers))
        text = line.format_map(_Vars(variables))
        return text.replace("어르신 님", "어르신")  # no name known: "어르신", not "어르신 님"


class _Vars(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _meal_word(now: datetime) -> str:
    if now.tzinfo is not None:
        now = now.astimezone(SEOUL)
    if 4 <= now.hour < 10:
        return "아침"
    if 10 <= now.hour < 16:
        return "점심"
    return "저녁"


def _recall(last: memory.PastCall | None, scenario: Scenario) -> dict[str, str]:
    """Prompt variables about the last answered call: {last_symptoms} ("열, 기침") and {last_concern}
    ("무릎이 아프시다고"), the symptom that call would be followed up on."""
    symptoms = [s for s in (last.answers.get("symptoms") or []) if s in scenario.symptoms] if last else []
    if not symptoms:
        return {"last_symptoms": "", "last_concern": ""}
    labels = ", ".join(scenario.symptoms[s].label for s in symptoms)
    first = min(symptoms, key=lambda s: _ACK_PRIORITY.index(s) if s in _ACK_PRIORITY else len(_ACK_PRIORITY))
    spec = scenario.symptoms[first]
    part = (last.answers.get("body_parts") or {}).get(first)
    concern = (spec.recall or f"{spec.label} 때문에 불편하시다고").format(part=memory.subject(part or "몸"))
    return {"last_symptoms": labels, "last_concern": concern}


def _settle(parse: Callable[[Utterance], Finding | None], u: Utterance, finding: Finding | None) -> tuple[Finding | None, bool]:
    """Apply a self-correction ("네 먹었어요, 아 아니 안 먹었어요": the part after it counts) and detect
    clauses that contradict each other. Returns (finding, contradicted)."""
    tail = nlu.correction_tail(u)
    if tail is not None and (corrected := parse(tail)) is not None:
        return corrected, False
    if finding is None or len(u.clauses) < 2:
        return finding, False
    values = set()
    for span in u.clauses:
        clause = Utterance(u.clause_words(span))
        if nlu.yes_no(clause) is None and (f := parse(clause)) is not None:  # a bare "있어" settles nothing
            values.add(f.value)
    return finding, len(values) > 1
