"""What a state's ``expect:`` type means: how the caller's words are read as the answer to that question.

The registry (:data:`ANSWER_TYPES`) is the one place that ties a name a scenario may write under
``expect:`` to a reader and to the values its answers can take. The loader checks scenarios against it and
the session reads every turn through it, so a new kind of question is one entry here and no session code.
Types that read booking details (a date, a party size) get them from the venue's booking flow, so a
scenario that uses them needs a ``venue``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from dialog import understanding as nlu
from dialog.understanding import Finding, Utterance
from dialog.vocabulary import ANSWER_VALUES

# The single value of free-valued answers (a date, a name): the key their acks, branches and flags use.
GIVEN = "given"
# The booking details a caller may ask to change one at a time (booking_change, booking_confirm values).
BOOKING_DETAILS = ("date", "time", "party_size", "name")


class DetailReader(Protocol):
    """Booking details read against the venue's hours and the call's date (dialog.booking_flow.BookingFlow)."""

    def parse(self, slot: str, u: Utterance, answers: dict[str, Any]) -> Finding | None: ...

    def details(self, u: Utterance, answers: dict[str, Any], *, with_name: bool = False) -> dict[str, Finding]: ...


@dataclass(frozen=True)
class Reading:
    """What a reader may need besides the words: the state's own choices, the answers so far, the venue."""

    choices: Mapping[str, list[str]]
    answers: dict[str, Any]
    booking: DetailReader | None = None  # the venue's booking flow, on a line with a venue

    def booking_flow(self) -> DetailReader:
        """For the types that read booking details (the loader gives their scenarios a venue)."""
        if self.booking is None:
            raise RuntimeError("this answer type reads booking details: the scenario needs a venue")
        return self.booking


Reader = Callable[[Utterance, Reading], Finding | None]


@dataclass(frozen=True)
class AnswerType:
    values: frozenset[str]  # what an answer can be: the keys allowed under a state's acks, branches, flags
    read: Reader  # the answer to the question asked, or None when it is unclear
    # The answer said while another question was asked (a scenario's `listen_for`); None: never taken in
    # passing. Stricter than `read` where a bare "네" would mean nothing out of context.
    in_passing: Reader | None = None
    # One answer a turn: a self-correction counts its last words, clauses that disagree are asked again.
    single: bool = False
    open_slot: bool = False  # a state of this type may fill an answer key of any name (an operator's own question)
    needs_venue: bool = False  # reads booking details: the scenario needs a `venue`
    # "Call me later" is one of its own answers ('busy'): the every-turn call-back rule stands aside.
    reads_call_back: bool = False
    from_caller_id: bool = False  # the caller's number (caller ID) fills its slot before the question is asked
    words_value: str | None = None  # the value meaning "the caller's own words are the answer": the slot keeps them
    # The answer an unclear reply counts as once its retries are spent ("nothing more" for free text: a
    # garbled scrap is never stored as the caller's words, nor left "unknown").
    unclear_means: str | None = None
    # Its answers are yes / no: a caller may press 1 (yes) or 2 (no) instead of saying it.
    keypad: bool = False


def _plain(parse: Callable[[Utterance], Finding | None]) -> Reader:
    return lambda u, _reading: parse(u)


def _strict(parse: Callable[..., Finding | None]) -> Reader:
    return lambda u, _reading: parse(u, strict=True)


def _detail(kind: str) -> Reader:
    return lambda u, reading: reading.booking_flow().parse(kind, u, reading.answers)


def _intent(u: Utterance, reading: Reading) -> Finding | None:
    return nlu.intent(u, has_details=bool(reading.booking_flow().details(u, reading.answers)))


def _booking_change(u: Utterance, reading: Reading) -> Finding | None:
    """The new details (GIVEN), or which one to change when it is named without its value ("시간이요")."""
    found = reading.booking_flow().details(u, reading.answers, with_name=True)
    if found:
        return Finding(GIVEN, " / ".join(f.evidence for f in found.values()))
    return nlu.detail_named(u)


def _booking_confirm(u: Utterance, _reading: Reading) -> Finding | None:
    """Yes / no to a read-back, or the one detail to change ("시간만 바꿔 주세요", "아니요, 인원이요")."""
    return nlu.detail_named(u) or nlu.yes_no_answer(u)


def _choice(u: Utterance, reading: Reading) -> Finding | None:
    return nlu.choice(u, dict(reading.choices))


def _topic(values: frozenset[str], parse: Callable[..., Finding | None]) -> AnswerType:
    """A question with its own topic word (밥, 잠, 약, 기분): also heard in passing when that word is said."""
    return AnswerType(values, _plain(parse), in_passing=_strict(parse), single=True)


def _detail_type(kind: str, *, in_passing: bool = True, from_caller_id: bool = False) -> AnswerType:
    """A booking detail, a free value ("2026-12-03", "4") read against the venue."""
    return AnswerType(frozenset({GIVEN}), _detail(kind), in_passing=_detail(kind) if in_passing else None,
                      needs_venue=True, from_caller_id=from_caller_id)  # fmt: skip


ANSWER_TYPES: dict[str, AnswerType] = {
    "identity": AnswerType(
        frozenset({"confirmed", "wrong_person", "busy"}), _plain(nlu.identity), reads_call_back=True
    ),
    "meal": _topic(ANSWER_VALUES["meal"], nlu.meal),
    "sleep": _topic(ANSWER_VALUES["sleep"], nlu.sleep),
    "health": AnswerType(ANSWER_VALUES["health"], _plain(nlu.health)),
    "medication": _topic(ANSWER_VALUES["medication"], nlu.medication),
    "mood": _topic(ANSWER_VALUES["mood"], nlu.mood),
    "injury": AnswerType(frozenset({"severe", "hurt", "not_hurt"}), _plain(nlu.injury), single=True),
    "severity": AnswerType(frozenset({"severe", "mild"}), _plain(nlu.severity), single=True),
    "yes_no": AnswerType(
        frozenset({"yes", "no"}), _plain(nlu.yes_no_answer), single=True, open_slot=True, keypad=True
    ),
    "anything_else": AnswerType(
        frozenset({"nothing", "note"}), _plain(nlu.anything_else), open_slot=True, words_value="note",
        unclear_means="nothing",
    ),
    "choice": AnswerType(frozenset(), _choice, open_slot=True),  # values: the keys of the state's `choices`
    "intent": AnswerType(frozenset({"new", "change", "cancel"}), _intent, needs_venue=True),
    "date": _detail_type("date"),
    "time": _detail_type("time"),
    "party_size": _detail_type("party_size"),
    "name": _detail_type("name"),
    "phone": _detail_type("phone", in_passing=False, from_caller_id=True),
    # Any detail, to change; or the name of the one to change, so the question can ask for just that.
    "booking_change": AnswerType(frozenset({GIVEN, *BOOKING_DETAILS}), _booking_change, needs_venue=True),
    "booking_confirm": AnswerType(
        frozenset({"yes", "no", *BOOKING_DETAILS}), _booking_confirm, single=True, keypad=True
    ),
    "none": AnswerType(frozenset(), lambda u, reading: None),
}


def settle(
    read: Callable[[Utterance], Finding | None], u: Utterance, finding: Finding | None
) -> tuple[Finding | None, bool]:
    """For a single-answer type: apply a self-correction ("네 먹었어요, 아 아니 안 먹었어요": the part after
    it counts) and detect clauses that contradict each other. Returns (finding, contradicted)."""
    tail = nlu.correction_tail(u)
    if tail is not None and (corrected := read(tail)) is not None:
        return corrected, False
    if finding is None or len(u.clauses) < 2:
        return finding, False
    values = set()
    for span in u.clauses:
        clause = Utterance(u.clause_words(span))
        if nlu.yes_no(clause) is None and (f := read(clause)) is not None:  # a bare "있어" settles nothing
            values.add(f.value)
    return finding, len(values) > 1
