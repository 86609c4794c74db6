"""What a scenario can make the agent say, listed ahead of any call, so its audio can be made ahead too.

A line is spoken sentence by sentence, and the synthesiser caches audio per sentence (a long one per clause).
So the unit here is the sentence: a line without ``{variables}`` is known before any call; a templated line
still has sentences without variables ("안녕하세요."), and the rest become known once the call's variables are
("{name} 님 맞으세요?" when the callee's name is). Lists come in the order a call needs them: greetings and the
first question; then the sentences that can open a reply (acknowledgements, re-prompts), since the caller waits
for a reply's first sentence only (the rest is made while it plays); then everything else in script order.
Pure functions of the scenario's public fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from string import Formatter

from dialog.scenario import END_PREFIX, Scenario, State

_SENTENCE_END = re.compile(r"(?<=[.?!…])\s+")


def opening_texts(scenario: Scenario, known: Mapping[str, str] | None = None) -> list[str]:
    """The first sentence of each greeting (a call's first words) that needs no variable, or only ``known`` ones
    (a venue's name): what must be ready before a call is answered."""
    return _texts([_first_sentence(line) for line in scenario.greetings], known or {}, personal=False)


def fixed_texts(scenario: Scenario, known: Mapping[str, str] | None = None) -> list[str]:
    """Every sentence the scenario can say that needs no variable, or only ``known`` ones: greetings and the
    first question, then the first sentences of replies, then the rest."""
    start = scenario.states[scenario.start]
    told = scenario.disclosure.lines if scenario.disclosure else []  # said between the greeting and the question
    lines = [*scenario.greetings, *told, *start.prompts, *(_first_sentence(line) for line in _reply_openers(scenario))]
    return _texts([*lines, *_lines(scenario)], known or {}, personal=False)


def personal_texts(scenario: Scenario, variables: Mapping[str, str]) -> list[str]:
    """The sentences that need at least one of ``variables`` and nothing else, filled in (the callee's name in
    "{name} 님 맞으세요?"): the first question and its acknowledgements come first."""
    return _texts(_lines(scenario), variables, personal=True)


def _texts(lines: Iterator[str] | list[str], variables: Mapping[str, str], *, personal: bool) -> list[str]:
    out: dict[str, None] = {}  # insertion-ordered set
    for line in lines:
        for sentence in _SENTENCE_END.split(line.strip()):
            names = {name for _, name, _, _ in Formatter().parse(sentence) if name is not None}
            if not names <= set(variables) or (personal and not names):
                continue
            text = sentence.format_map(variables) if names else sentence
            if text.strip():
                out.setdefault(text.strip())
    return list(out)


def _first_sentence(line: str) -> str:
    return _SENTENCE_END.split(line.strip(), maxsplit=1)[0]


def _reply_openers(scenario: Scenario) -> Iterator[str]:
    """Lines a reply to the caller can start with, in the order a call is likely to need them."""
    for sid in _script_order(scenario):
        state = scenario.states[sid]
        for acks in state.acks.values():
            yield from acks
        yield from state.reprompts
        if sid == scenario.start:
            yield from scenario.silence.prompts
            yield from scenario.unclear.prompts
            yield from scenario.unclear.empty_prompts
            yield from scenario.unclear.contradiction_prompts
            yield from scenario.unclear.give_up
    for symptom in scenario.symptoms.values():
        yield from symptom.acks
    if scenario.disclosure is not None:  # "누구세요?"
        yield from scenario.disclosure.answers
    if scenario.opt_out is not None:  # "전화하지 마세요"
        yield from scenario.opt_out.confirm
        yield from scenario.opt_out.kept


def _lines(scenario: Scenario) -> Iterator[str]:
    """Every line of the scenario, in the order a call is likely to need it."""
    yield from scenario.greetings
    if scenario.disclosure is not None:
        yield from scenario.disclosure.lines
    order = _script_order(scenario)
    first = scenario.states[scenario.start]
    yield from _state_lines(first)
    yield from scenario.silence.prompts
    yield from scenario.unclear.prompts
    yield from scenario.unclear.empty_prompts
    yield from scenario.unclear.contradiction_prompts
    yield from scenario.unclear.give_up
    for sid in order[1:]:
        yield from _state_lines(scenario.states[sid])
    for symptom in scenario.symptoms.values():
        yield from symptom.acks
    for ending in scenario.endings.values():
        yield from ending.lines
    if scenario.handoff is not None:
        yield from scenario.handoff.lines
        yield from scenario.handoff.callback_lines
    if scenario.disclosure is not None:
        yield from scenario.disclosure.answers
    if scenario.opt_out is not None:
        yield from scenario.opt_out.confirm
        yield from scenario.opt_out.kept


def _state_lines(state: State) -> Iterator[str]:
    yield from state.prompts
    for acks in state.acks.values():
        yield from acks
    yield from state.reprompts
    yield from state.prompts_if_history
    yield from state.prompts_if_flagged


def _script_order(scenario: Scenario) -> list[str]:
    """State ids breadth-first from the start state along next/branches/give_up; unreached states
    (follow-ups raised by symptoms) after them in file order."""
    order, queue = [scenario.start], [scenario.start]
    while queue:
        state = scenario.states[queue.pop(0)]
        for target in (state.next, *state.branches.values(), state.give_up):
            if target and not target.startswith(END_PREFIX) and target in scenario.states and target not in order:
                order.append(target)
                queue.append(target)
    return order + [sid for sid in scenario.states if sid not in order]
