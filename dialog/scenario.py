"""Scenarios as data: a YAML file, validated with pydantic, checked against the shared vocabulary.

A broken file raises :class:`ScenarioError` naming the file, the field path and (from the YAML node
marks) the line, e.g. ``care_call.yaml: line 42: states.meal.prompts: Field required``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dialog.reservations import Venue
from dialog.vocabulary import ANSWER_KEYS, ANSWER_VALUES, FLAG_RULES, OUTCOMES, STATE_ID, SYMPTOMS

SCENARIO_DIR = Path(__file__).parent / "scenarios"
ALIASES = {"care": "care_call", "carecall": "care_call", "booking": "reservation", "reserve": "reservation"}

# What each answer type can yield: the keys allowed under a state's `acks`, `branches` and `flags`.
EXPECT_VALUES: dict[str, frozenset[str]] = {
    "identity": frozenset({"confirmed", "wrong_person", "busy"}),
    "meal": ANSWER_VALUES["meal"],
    "sleep": ANSWER_VALUES["sleep"],
    "health": ANSWER_VALUES["health"],
    "medication": ANSWER_VALUES["medication"],
    "mood": ANSWER_VALUES["mood"],
    "injury": frozenset({"severe", "hurt", "not_hurt"}),
    "severity": frozenset({"severe", "mild"}),
    "yes_no": frozenset({"yes", "no"}),
    "anything_else": frozenset({"nothing", "note"}),
    "intent": frozenset({"new", "change", "cancel"}),
    # Free-valued answers (a date, a name …): acknowledgements and branches use the key "given".
    "date": frozenset({"given"}),
    "time": frozenset({"given"}),
    "party_size": frozenset({"given"}),
    "name": frozenset({"given"}),
    "phone": frozenset({"given"}),
    "booking_change": frozenset({"given"}),  # any of date / time / party size / name, to change
    "choice": frozenset(),  # an operator's own answers: the keys of the state's `choices`
    "none": frozenset(),
}
Expect = Literal[
    "identity", "meal", "sleep", "health", "medication", "mood", "injury", "severity", "yes_no",
    "anything_else", "intent", "date", "time", "party_size", "name", "phone", "booking_change", "choice", "none",
]  # fmt: skip
# Answer types whose slot an operator may name freely (a new question needs no Python).
OPEN_SLOT_TYPES = frozenset({"yes_no", "anything_else", "choice"})
# What each reservation action can return: the keys of an action state's `branches` (all required).
ACTION_RESULTS: dict[str, frozenset[str]] = {
    "check_availability": frozenset({"available", "full", "closed", "no_time", "past", "too_far", "too_many"}),
    "take_alternative": frozenset({"taken"}),
    "find_booking": frozenset({"found", "not_found"}),
    "route_by_intent": frozenset({"new", "change", "cancel"}),
    "book": frozenset({"booked", "full"}),
    "change_booking": frozenset({"changed", "full"}),
    "cancel_booking": frozenset({"cancelled"}),
}
# Answers that may be picked up while another question is asked ("밥은 먹었는데 잠을 못 잤어").
ListenFor = Literal["meal", "sleep", "medication", "mood", "date", "time", "party_size"]
END_PREFIX = "end:"
# Endings the session itself jumps to (silence, safety rules, call-back requests).
REQUIRED_ENDINGS = ("no_response", "emergency", "self_harm", "callback")


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. Answer values "yes"/"no" stay strings (YAML 1.1 made them bools)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file, field and line."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Lines = list[str]


class State(_Model):
    expect: Expect = "none"
    prompts: Lines = []  # required unless the state is an action
    action: str | None = None  # a reservation step run on entering the state; `branches` by its result
    always_ask: bool = False  # ask even when its slot is already filled (a second try at a date, a time)
    give_up: str | None = None  # where to go once retries are spent (default: record "unknown", go on)
    # expect: choice — answer value -> words that mean it ("walked": ["산책", "걸었"]); matched without
    # spaces, a negated mention ("산책 안 했어") does not count. "yes"/"no" keys also take 네/아니요.
    choices: dict[str, list[str]] = {}
    hint: str | None = None
    slot: str | None = None  # answers key this state fills
    # State id or "end:<ending>". Follow-up states (health.<x>) may leave it out: after them the call
    # returns to where the script was when the follow-up was raised.
    next: str | None = None
    branches: dict[str, str] = {}  # answer value -> state id or "end:<ending>"
    acks: dict[str, Lines] = {}  # answer value -> short acknowledgements
    flags: dict[str, str] = {}  # answer value -> flag rule
    reprompts: Lines = []  # said before the prompt when the answer was unclear (else unclear.prompts)
    max_retries: int | None = Field(default=None, ge=0)
    prompts_if_flagged: Lines = []  # closing: used when the call raised a medium+ flag
    # Asked instead of `prompts` when the last answered call gave a flagged answer to this question (for
    # health: named symptoms; variables {last_symptoms}, {last_concern}).
    prompts_if_history: Lines = []
    end: bool = False  # the call ends after this prompt (outcome: completed)


class Silence(_Model):
    max_consecutive: int = Field(ge=1)
    prompts: Lines = Field(min_length=1)


class Unclear(_Model):
    prompts: Lines = Field(min_length=1)
    contradiction_prompts: Lines = []  # the answer said both ways ("먹었는데 안 먹었어")
    empty_prompts: Lines = Field(min_length=1)
    give_up: Lines = Field(min_length=1)


class FlagSpec(_Model):
    severity: Literal["low", "medium", "high", "critical"]
    message: str


class SymptomSpec(_Model):
    label: str  # how the agent names it back: "열", "기침"
    flag: str | None = None
    follow_up: str | None = None
    skip_follow_up_if: list[str] = []  # other symptoms whose follow-up already covers this one
    recall: str | None = None  # how the next call recalls it: "열이 나신다고", "{part} 아프시다고" (무릎이)
    acks: Lines = Field(min_length=1)


class Ending(_Model):
    outcome: str
    flag: str | None = None
    lines: Lines = Field(min_length=1)


class Voice(_Model):
    """How the agent speaks this scenario's calls (factors around 1.0; ``tts.prosody``): replaces the server's
    CARECALL_TTS_SPEED/PITCH/ENERGY for them. A care call to an older person can be slower and lower."""
    speed: float = Field(1.0, ge=0.5, le=2.0)
    pitch: float = Field(1.0, ge=0.5, le=2.0)
    energy: float = Field(1.0, ge=0.25, le=4.0)


class Scenario(_Model):
    name: str
    start: str
    greetings: Lines = Field(min_length=1)
    max_retries: int = Field(default=2, ge=0)
    silence: Silence
    unclear: Unclear
    flags: dict[str, FlagSpec]
    symptoms: dict[str, SymptomSpec] = {}
    listen_for: list[ListenFor] = []
    recheck: str | None = None  # where to go when the caller changes a booking detail mid-flow
    venue: Venue | None = None  # the default venue of a reservation line
    unspecified_follow_up: str | None = None  # asked when "unwell" names no symptom
    endings: dict[str, Ending]
    states: dict[str, State] = Field(min_length=1)
    voice: Voice | None = None  # speaking style of the agent in this scenario (default: the server's)
    source: str = ""  # file it was loaded from (set by the loader)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by name ("care_call") or any scenario YAML file by path."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml") and len(path.parts) == 1:
        name_or_path = ALIASES.get(str(name_or_path), str(name_or_path))
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml")))
            raise ScenarioError(f"unknown scenario {name_or_path!r} (built-in: {known})")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario file: {exc.strerror or exc}") from exc
    return parse_scenario(text, source=str(path))


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{source}: {where}invalid YAML: {problem}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario must be a YAML mapping, not {type(data).__name__}")
    try:
        scenario = Scenario.model_validate({**data, "source": source})
    except ValidationError as exc:
        problems = [(err["loc"], err["msg"]) for err in exc.errors()]
        raise ScenarioError(_report(source, node, problems)) from exc
    problems = list(_check_references(scenario))
    if problems:
        raise ScenarioError(_report(source, node, problems))
    return scenario


def _report(source: str, root: yaml.Node | None, problems: list[tuple[tuple[Any, ...], str]]) -> str:
    """One line per problem (at most 10), each "file: line N: field.path: what is wrong"."""
    lines = [_where(source, root, loc) + msg for loc, msg in problems[:10]]
    if len(problems) > 10:
        lines.append(f"{source}: … and {len(problems) - 10} more problems")
    return "\n".join(lines)


def _where(source: str, root: yaml.Node | None, loc: tuple[Any, ...]) -> str:
    line = _line_of(root, loc)
    field = ".".join(str(part) for part in loc)
    return f"{source}: " + (f"line {line}: " if line else "") + (f"{field}: " if field else "")


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The line (1-based) of the deepest YAML node along ``loc``; for a mapping field, its key's line."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _check_references(sc: Scenario):
    """Yield (field path, problem) for everything pydantic cannot see: ids, names and cross-references."""

    def target_ok(target: str) -> bool:
        if target.startswith(END_PREFIX):
            return target[len(END_PREFIX) :] in sc.endings
        return target in sc.states

    if sc.start not in sc.states:
        yield ("start",), f"unknown state {sc.start!r}"
    for rule in sc.flags:  # the shared rules (docs/ARCHITECTURE.md) or an operator's own
        if rule not in FLAG_RULES and not re.fullmatch(r"[a-z][a-z0-9_]*", rule):
            yield ("flags", rule), f"flag rule {rule!r} must be lowercase letters, digits and _"
    for name, sym in sc.symptoms.items():
        if name not in SYMPTOMS:
            yield ("symptoms", name), f"unknown symptom {name!r}; expected one of {', '.join(SYMPTOMS)}"
        if sym.flag and sym.flag not in sc.flags:
            yield ("symptoms", name, "flag"), f"flag {sym.flag!r} is not defined under flags"
        if sym.follow_up and sym.follow_up not in sc.states:
            yield ("symptoms", name, "follow_up"), f"unknown state {sym.follow_up!r}"
    if sc.recheck and sc.recheck not in sc.states:
        yield ("recheck",), f"unknown state {sc.recheck!r}"
    if any(st.action for st in sc.states.values()) and sc.venue is None:
        yield ("venue",), "a scenario with reservation actions needs a venue"
    if sc.unspecified_follow_up and sc.unspecified_follow_up not in sc.states:
        yield ("unspecified_follow_up",), f"unknown state {sc.unspecified_follow_up!r}"
    for name in REQUIRED_ENDINGS:
        if name not in sc.endings:
            yield ("endings",), f"missing ending {name!r} (required: {', '.join(REQUIRED_ENDINGS)})"
    for name, ending in sc.endings.items():
        if ending.outcome not in OUTCOMES:
            yield ("endings", name, "outcome"), f"unknown outcome {ending.outcome!r}"
        if ending.flag and ending.flag not in sc.flags:
            yield ("endings", name, "flag"), f"flag {ending.flag!r} is not defined under flags"
    for sid, st in sc.states.items():
        if not STATE_ID.match(sid):
            yield ("states", sid), f"{sid!r} is not a valid state id (lowercase letters and _, e.g. meal or health.fever)"
        if st.slot is not None and st.slot not in ANSWER_KEYS:
            if st.expect not in OPEN_SLOT_TYPES:
                yield ("states", sid, "slot"), f"unknown answer key {st.slot!r} (own keys need expect yes_no, choice or anything_else)"
            elif not re.fullmatch(r"[a-z][a-z0-9_]*", st.slot):
                yield ("states", sid, "slot"), f"answer key {st.slot!r} must be lowercase letters, digits and _"
        if (st.expect == "choice") != bool(st.choices):
            yield ("states", sid, "choices"), "`choices` go with `expect: choice`, and it needs them"
        if st.next is not None and not target_ok(st.next):
            yield ("states", sid, "next"), f"unknown state or ending {st.next!r}"
        values = answer_values(st)
        all_branched = st.action is not None or (values - {"given"} and values <= set(st.branches))
        if st.next is None and not st.end and "." not in sid and not all_branched:
            yield ("states", sid, "next"), "a state needs `next` unless it has `end: true`, is a follow-up or branches on every answer"
        if st.action is not None:
            yield from _check_action(sid, st)
            for value, target in st.branches.items():
                if not target_ok(target):
                    yield ("states", sid, "branches", value), f"unknown state or ending {target!r}"
            continue
        if not st.prompts:
            yield ("states", sid, "prompts"), "required: a question needs at least one prompt"
        allowed = answer_values(st)
        for section in ("branches", "acks", "flags"):
            for value in getattr(st, section):
                if value not in allowed:
                    yield (("states", sid, section, value),
                           f"{value!r} is not an answer of type {st.expect!r} ({', '.join(sorted(allowed))})")  # fmt: skip
        if st.give_up is not None and not target_ok(st.give_up):
            yield ("states", sid, "give_up"), f"unknown state or ending {st.give_up!r}"
        for value, target in st.branches.items():
            if not target_ok(target):
                yield ("states", sid, "branches", value), f"unknown state or ending {target!r}"
        for value, rule in st.flags.items():
            if rule not in sc.flags:
                yield ("states", sid, "flags", value), f"flag {rule!r} is not defined under flags"


def answer_values(state: State) -> frozenset[str]:
    """What an answer to ``state`` can be: its type's values, or its own `choices`."""
    if state.expect == "choice":
        return frozenset(state.choices)
    return EXPECT_VALUES[state.expect]


def _check_action(sid: str, st: State):
    results = ACTION_RESULTS.get(st.action or "")
    if results is None:
        yield ("states", sid, "action"), f"unknown action {st.action!r} ({', '.join(sorted(ACTION_RESULTS))})"
        return
    if st.prompts or st.expect != "none" or st.slot:
        yield ("states", sid), "an action state has no prompts, expect or slot"
    for section in ("branches", "acks"):
        for value in getattr(st, section):
            if value not in results:
                yield ("states", sid, section, value), f"{value!r} is not a result of {st.action} ({', '.join(sorted(results))})"
    for missing in sorted(results - set(st.branches)):
        yield ("states", sid, "branches"), f"no branch for the result {missing!r} of {st.action}"
