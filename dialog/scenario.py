"""Scenarios as data: a YAML file, validated with pydantic, checked against the shared vocabulary.

A broken file raises :class:`ScenarioError` naming the file, the field path and (from the YAML node
marks) the line, e.g. ``care_call.yaml: line 42: states.meal.prompts: Field required``.
"""

from __future__ import annotations

import re
from pathlib import Path
from functools import lru_cache
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dialog.expectations import ANSWER_TYPES, GIVEN
from dialog.history import MOOD_SCORE
from dialog.labels import DEFAULT as DEFAULT_LABELS
from dialog.labels import Kind, Labels, merged
from dialog.reservations import Venue
from dialog.safety import REQUIRED_ENDINGS
from dialog.vocabulary import ANSWER_KEYS, FLAG_RULES, OPTED_OUT, OUTCOMES, STATE_ID, SYMPTOMS, SYMPTOMS_KEY

SCENARIO_DIR = Path(__file__).parent / "scenarios"
ALIASES = {"care": "care_call", "carecall": "care_call", "booking": "reservation", "reserve": "reservation"}

# Answer types (`expect:`), what each can yield and which may fill an answer key of any name: the registry
# in dialog/expectations.py. Free-valued answers (a date, a name …) use the key "given" in acks and branches.
# What each reservation action can return: the keys of an action state's `branches` (all required).
ACTION_RESULTS: dict[str, frozenset[str]] = {
    "check_availability": frozenset({"available", "full", "closed", "no_time", "past", "too_far", "too_many"}),
    "take_alternative": frozenset({"taken"}),
    "find_booking": frozenset({"found", "not_found"}),
    "route_by_intent": frozenset({"new", "change", "cancel", "no_booking"}),
    "book": frozenset({"booked", "full"}),
    "change_booking": frozenset({"changed", "full"}),
    "cancel_booking": frozenset({"cancelled"}),
}
END_PREFIX = "end:"
# REQUIRED_ENDINGS (dialog/safety.py): the endings the session itself jumps to (silence, safety rules,
# call-back requests).


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
    expect: str = "none"  # the answer type: a key of dialog.expectations.ANSWER_TYPES
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
    # the `symptoms_answer` slot: named a symptom; variables {last_symptoms}, {last_concern}).
    prompts_if_history: Lines = []
    end: bool = False  # the call ends after this prompt (outcome: completed)
    # While this question is asked, the answers taken in passing are these states' (instead of the
    # scenario's `listen_for`): "어느 부분을 바꿔 드릴까요?" listens for a date, a time, a party size, a name.
    listen_for: list[str] | None = None
    # Said back when the answer was heard unsure (the recogniser's runner-up, a repaired near miss): "{time}요,
    # 맞으세요?". The caller says 네, corrects it ("아니요, 일곱 시요") or says 아니요 to be asked again.
    read_back: Lines = []


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
    label: str | None = None  # its short Korean name on the pages ("낙상"); a shared rule has a default


class AnswerLabels(_Model):
    """The Korean names of one answer key and of its values, for the pages ("식사": {"skipped": "거르심"})."""

    label: str | None = None  # a shared answer key has a default
    values: dict[str, str] = {}


class ScenarioLabels(_Model):
    """Names of the answers and outcomes this scenario records (flags are named beside them, `label:`).
    Its own answer keys, values and outcomes need one; the shared vocabulary's have defaults (dialog/labels.py)."""

    answers: dict[str, AnswerLabels] = {}
    outcomes: dict[str, str] = {}


class Disclosure(_Model):
    """Who is calling, said right after the greeting and whenever the caller asks ("누구세요?", "AI예요?"): an
    automated agent, on whose behalf ({organization}: the line's or the server's, else ``organization``), and
    that the call is recorded. Keep ``lines`` short: they come before the first question."""

    organization: str | None = None  # {organization} when neither the line nor the server names one
    lines: Lines = Field(min_length=1)  # after the greeting: "저는 {organization}의 AI 상담원이고, 통화는 녹음돼요."
    answers: Lines = Field(min_length=1)  # to "누구세요?" in any question, before it is asked again


class OptOut(_Model):
    """"이제 전화하지 마세요" in any question: asked once to confirm; 네 ends the call with ``ending`` (outcome
    opted_out, which the agent stores on the person), 아니요 asks the question again after ``kept``."""

    confirm: Lines = Field(min_length=1)  # "앞으로 전화를 드리지 않을까요?"
    kept: Lines = Field(min_length=1)  # "네, 알겠습니다. 그럼 계속 여쭤볼게요."
    hint: str = "네 아니요 전화하지 마세요 계속 해 주세요"
    ending: str  # an ending whose outcome is opted_out


class SymptomSpec(_Model):
    label: str  # how the agent names it back: "열", "기침"
    flag: str | None = None
    follow_up: str | None = None
    skip_follow_up_if: list[str] = []  # other symptoms whose follow-up already covers this one
    recall: str | None = None  # how the next call recalls it: "열이 나신다고", "{part} 아프시다고" (무릎이)
    severe_flag: str | None = None  # raised when it is said to be bad ("너무 아파요", "많이 다쳤어요")
    acks: Lines = Field(min_length=1)


class Ending(_Model):
    outcome: str
    flag: str | None = None
    lines: Lines = Field(min_length=1)


class Handoff(_Model):
    """Putting the caller through to a person: on request ("상담원 바꿔 주세요", key 0, any state) or when one of
    ``on_flags`` is raised. The number is the campaign's or the line's (not the scenario's): where one is
    set the caller hears ``lines`` and the call is transferred; where none is, they hear ``callback_lines``
    and ``callback_flag`` (critical) asks a person to call back. Either way the call ends here."""

    on_flags: list[str] = []  # flag rules that put the caller through at once (self_harm_risk, emergency)
    lines: Lines = Field(min_length=1)  # told first, by the agent: "담당 선생님께 바로 연결해 드릴게요."
    connecting: Lines = []  # said by the phone network while the number rings (TwiML <Say>)
    callback_lines: Lines = Field(min_length=1)  # no number, or the transfer failed: a person will call back
    callback_flag: str  # raised with callback_lines; defined under flags


class SymptomsAnswer(_Model):
    """The question a symptom answers wherever it is named: ``slot`` takes ``value`` ("health": "unwell")."""

    slot: str
    value: str


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
    symptoms: dict[str, SymptomSpec] = {}  # most urgent first: acknowledged first, recalled next call
    # A symptom named on any turn answers this question too; a later "괜찮아요" does not undo it. The call's
    # `symptoms` are reported with it, and its question's prompts_if_history follow up the last call's.
    symptoms_answer: SymptomsAnswer | None = None
    unspecified_follow_up: str | None = None  # asked when the symptoms_answer value is given but no symptom named
    # States whose answers are taken in passing while another question is asked ("밥은 먹었는데 잠을 못
    # 잤어"): the answer fills the state's slot (which is then not asked), with its flags and acks.
    listen_for: list[str] = []
    # Where to go when the caller changes an answer taken in passing ("아, 8시로 해 주세요"). Without it the
    # first answer stands.
    recheck: str | None = None
    venue: Venue | None = None  # the default venue of a reservation line
    # Prompt variables that follow the time of day (Seoul): variable -> {from hour: word}, e.g.
    # meal: {4: 아침, 10: 점심, 16: 저녁}; before the first hour the last word still holds.
    time_of_day: dict[str, dict[int, str]] = {}
    # Answer key compared with the person's recent calls when the call ends (mood_worse, low_mood_persisting).
    mood_trend: str | None = None
    purpose: str = "전화 상담을 하고 있다."  # for the language model: what this call is, in one Korean sentence
    endings: dict[str, Ending]
    states: dict[str, State] = Field(min_length=1)
    handoff: Handoff | None = None  # putting the caller through to a person (none: asking for one is not understood)
    voice: Voice | None = None  # speaking style of the agent in this scenario (default: the server's)
    disclosure: Disclosure | None = None  # who is calling, said after the greeting and when asked
    opt_out: OptOut | None = None  # "전화하지 마세요" understood in any question (none: not understood)
    labels: ScenarioLabels = ScenarioLabels()  # Korean names of the answers and outcomes, for the pages
    source: str = ""  # file it was loaded from (set by the loader)

    @property
    def names(self) -> Labels:
        """This scenario's Korean names (its own over the defaults), for pages and exports; made on each use (a
        page looks them up once per scenario file: ``labels_for``)."""
        return merged(
            flags={rule: spec.label for rule, spec in self.flags.items() if spec.label},
            answers={key: spec.label for key, spec in self.labels.answers.items() if spec.label},
            values={
                **{key: spec.values for key, spec in self.labels.answers.items()},
                SYMPTOMS_KEY: {name: spec.label for name, spec in self.symptoms.items()},
            },
            outcomes=self.labels.outcomes,
        )

    def label_for(self, kind: Kind, key: str | None, value: Any = None) -> str:
        """The Korean name of a flag rule, answer key, answer value or outcome (``Labels.label_for``)."""
        return self.names.label_for(kind, key, value)


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
        if sym.severe_flag and sym.severe_flag not in sc.flags:
            yield ("symptoms", name, "severe_flag"), f"flag {sym.severe_flag!r} is not defined under flags"
    yield from _check_memory(sc)
    if (handoff := sc.handoff) is not None:
        for index, rule in enumerate(handoff.on_flags):
            if rule not in sc.flags:
                yield ("handoff", "on_flags", index), f"flag {rule!r} is not defined under flags"
        if handoff.callback_flag not in sc.flags:
            yield ("handoff", "callback_flag"), f"flag {handoff.callback_flag!r} is not defined under flags"
        elif sc.flags[handoff.callback_flag].severity != "critical":
            yield ("handoff", "callback_flag"), "a person must call back at once: the flag's severity must be critical"
    yield from _check_listening(sc, ("listen_for",), sc.listen_for)
    if sc.recheck and sc.recheck not in sc.states:
        yield ("recheck",), f"unknown state {sc.recheck!r}"
    if any(st.action for st in sc.states.values()) and sc.venue is None:
        yield ("venue",), "a scenario with reservation actions needs a venue"
    if sc.unspecified_follow_up and sc.unspecified_follow_up not in sc.states:
        yield ("unspecified_follow_up",), f"unknown state {sc.unspecified_follow_up!r}"
    if (opt_out := sc.opt_out) is not None:
        ending = sc.endings.get(opt_out.ending)
        if ending is None:
            yield ("opt_out", "ending"), f"unknown ending {opt_out.ending!r}"
        elif ending.outcome != OPTED_OUT:
            yield ("opt_out", "ending"), f"the ending's outcome must be {OPTED_OUT!r}, not {ending.outcome!r}"
    if (told := sc.disclosure) is not None and not told.organization:
        for section in ("lines", "answers"):
            for index, line in enumerate(getattr(told, section)):
                if "{organization}" in line:
                    yield (("disclosure", section, index),
                           "{organization} needs a default: disclosure.organization")  # fmt: skip
    yield from _check_labels(sc)
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
        kind = ANSWER_TYPES.get(st.expect)
        if kind is None:
            yield ("states", sid, "expect"), f"unknown answer type {st.expect!r} ({', '.join(sorted(ANSWER_TYPES))})"
            continue
        if kind.needs_venue and sc.venue is None:
            yield (("states", sid, "expect"),
                   f"answers of type {st.expect!r} are booking details: the scenario needs a venue")  # fmt: skip
        if st.listen_for is not None:
            yield from _check_listening(sc, ("states", sid, "listen_for"), st.listen_for)
        if st.slot is not None and st.slot not in ANSWER_KEYS:
            if not kind.open_slot:
                yield ("states", sid, "slot"), f"unknown answer key {st.slot!r} (own keys need expect yes_no, choice or anything_else)"
            elif not re.fullmatch(r"[a-z][a-z0-9_]*", st.slot):
                yield ("states", sid, "slot"), f"answer key {st.slot!r} must be lowercase letters, digits and _"
        if st.read_back and not st.slot:
            yield ("states", sid, "read_back"), "a read-back says an answer back: the state needs a `slot`"
        if (st.expect == "choice") != bool(st.choices):
            yield ("states", sid, "choices"), "`choices` go with `expect: choice`, and it needs them"
        if st.next is not None and not target_ok(st.next):
            yield ("states", sid, "next"), f"unknown state or ending {st.next!r}"
        values = answer_values(st)
        all_branched = st.action is not None or (values - {GIVEN} and values <= set(st.branches))
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
    return ANSWER_TYPES[state.expect].values


def _check_listening(sc: Scenario, where: tuple[str, ...], state_ids: list[str]):
    """`listen_for` names states whose answers can be heard in passing: each must exist, fill an answer
    key and be of a type that has an in-passing reader."""
    for index, sid in enumerate(state_ids):
        st = sc.states.get(sid)
        if st is None:
            yield (*where, index), f"unknown state {sid!r}"
        elif not st.slot:
            yield (*where, index), f"state {sid!r} fills no answer key (`slot`)"
        elif st.expect in ANSWER_TYPES and ANSWER_TYPES[st.expect].in_passing is None:
            heard = ", ".join(sorted(name for name, t in ANSWER_TYPES.items() if t.in_passing))
            yield (*where, index), f"answers of type {st.expect!r} cannot be taken in passing ({heard} can)"


def _check_memory(sc: Scenario):
    """The scenario-level keys that name an answer key: a state must fill it, with answers that fit."""
    filling = {}
    for st in sc.states.values():
        if st.slot and st.expect in ANSWER_TYPES:
            filling.setdefault(st.slot, set()).update(answer_values(st))
    if (sa := sc.symptoms_answer) is not None:
        if sa.slot not in filling:
            yield ("symptoms_answer", "slot"), f"no state fills the answer key {sa.slot!r}"
        elif sa.value not in filling[sa.slot]:
            allowed = ", ".join(sorted(filling[sa.slot]))
            yield ("symptoms_answer", "value"), f"{sa.value!r} is not an answer to {sa.slot!r} ({allowed})"
    if sc.unspecified_follow_up and sc.symptoms_answer is None:
        yield ("unspecified_follow_up",), "it follows up the `symptoms_answer` value: declare `symptoms_answer`"
    if sc.mood_trend is not None and not filling.get(sc.mood_trend, set()) & set(MOOD_SCORE):
        yield ("mood_trend",), f"no state fills the answer key {sc.mood_trend!r} with a mood ({', '.join(MOOD_SCORE)})"
    for variable, words in sc.time_of_day.items():
        if not words:
            yield ("time_of_day", variable), "needs at least one {hour: word}"
        for hour in words:
            if not 0 <= hour <= 23:
                yield ("time_of_day", variable, hour), f"hour {hour} is not 0-23"


def _check_labels(sc: Scenario):
    """Everything the scenario records has a Korean name for the pages: its flag rules, answer keys and the
    values its questions can record, and its outcomes. The shared vocabulary's are built in (dialog/labels.py);
    the scenario's own need one in the file: refused without, not shown as a code."""
    names = sc.names
    for rule, spec in sc.flags.items():
        if rule not in names.flags:
            yield ("flags", rule), f"flag rule {rule!r} needs a Korean `label:` (its name on the dashboard)"
        elif spec.label is not None and not spec.label.strip():
            yield ("flags", rule, "label"), "the label is empty"
    for sid, st in sc.states.items():
        kind = ANSWER_TYPES.get(st.expect)
        if not st.slot or kind is None:
            continue
        if st.slot not in names.answers:
            yield (("states", sid, "slot"),
                   f"answer key {st.slot!r} needs a Korean name: labels.answers.{st.slot}.label")  # fmt: skip
        if kind.values == {GIVEN}:
            continue  # free values (a date, a name): shown as recorded
        for value in sorted(answer_values(st) - {GIVEN, kind.words_value}):
            if not names.has_value(st.slot, value):
                yield (("states", sid, "slot"),
                       f"the value {value!r} of {st.slot!r} needs a Korean name: labels.answers.{st.slot}.values.{value}")  # fmt: skip
    for outcome, label in sc.labels.outcomes.items():
        if outcome not in OUTCOMES and outcome not in DEFAULT_LABELS.outcomes:
            yield ("labels", "outcomes", outcome), f"unknown outcome {outcome!r}"
        elif not label.strip():
            yield ("labels", "outcomes", outcome), "the label is empty"


def labels_for(scenario: str | Path | None) -> Labels:
    """The Korean names for a call of ``scenario`` (a built-in name or a file path, as a call record keeps it):
    that scenario's own, or the defaults where it cannot be loaded (a file since removed or broken). Read once
    per version of the file."""
    if not scenario:
        return DEFAULT_LABELS
    path = Path(scenario)
    if path.suffix not in (".yaml", ".yml") and len(path.parts) == 1:
        path = SCENARIO_DIR / f"{ALIASES.get(str(scenario), str(scenario))}.yaml"
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return DEFAULT_LABELS
    return _labels_at(str(path), mtime)


@lru_cache(maxsize=64)
def _labels_at(path: str, mtime: int) -> Labels:
    try:
        return load_scenario(path).names
    except ScenarioError:
        return DEFAULT_LABELS


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
