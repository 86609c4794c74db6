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

from dialog.vocabulary import ANSWER_KEYS, ANSWER_VALUES, FLAG_RULES, OUTCOMES, STATE_ID, SYMPTOMS

SCENARIO_DIR = Path(__file__).parent / "scenarios"

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
    "none": frozenset(),
}
Expect = Literal[
    "identity", "meal", "sleep", "health", "medication", "mood", "injury", "severity", "yes_no",
    "anything_else", "none",
]  # fmt: skip
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
    expect: Expect
    prompts: Lines = Field(min_length=1)
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
    prompts_if_history: Lines = []  # used when an earlier call reported symptoms ({last_symptoms})
    end: bool = False  # the call ends after this prompt (outcome: completed)


class Silence(_Model):
    max_consecutive: int = Field(ge=1)
    prompts: Lines = Field(min_length=1)


class Unclear(_Model):
    prompts: Lines = Field(min_length=1)
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
    acks: Lines = Field(min_length=1)


class Ending(_Model):
    outcome: str
    flag: str | None = None
    lines: Lines = Field(min_length=1)


class Scenario(_Model):
    name: str
    start: str
    greetings: Lines = Field(min_length=1)
    max_retries: int = Field(default=2, ge=0)
    silence: Silence
    unclear: Unclear
    flags: dict[str, FlagSpec]
    symptoms: dict[str, SymptomSpec]
    unspecified_follow_up: str | None = None  # asked when "unwell" names no symptom
    endings: dict[str, Ending]
    states: dict[str, State] = Field(min_length=1)
    source: str = ""  # file it was loaded from (set by the loader)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by name ("care_call") or any scenario YAML file by path."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml") and len(path.parts) == 1:
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
    for rule in sc.flags:
        if rule not in FLAG_RULES:
            yield ("flags", rule), f"unknown flag rule {rule!r} (see docs/ARCHITECTURE.md)"
    for name, sym in sc.symptoms.items():
        if name not in SYMPTOMS:
            yield ("symptoms", name), f"unknown symptom {name!r}; expected one of {', '.join(SYMPTOMS)}"
        if sym.flag and sym.flag not in sc.flags:
            yield ("symptoms", name, "flag"), f"flag {sym.flag!r} is not defined under flags"
        if sym.follow_up and sym.follow_up not in sc.states:
            yield ("symptoms", name, "follow_up"), f"unknown state {sym.follow_up!r}"
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
            yield ("states", sid), f"state id {sid!r} is not in the shared vocabulary"
        if st.slot is not None and st.slot not in ANSWER_KEYS:
            yield ("states", sid, "slot"), f"unknown answer key {st.slot!r}"
        if st.next is not None and not target_ok(st.next):
            yield ("states", sid, "next"), f"unknown state or ending {st.next!r}"
        if st.next is None and not st.end and "." not in sid:
            yield ("states", sid, "next"), "a state needs `next` unless it has `end: true` or is a follow-up"
        allowed = EXPECT_VALUES[st.expect]
        for section in ("branches", "acks", "flags"):
            for value in getattr(st, section):
                if value not in allowed:
                    yield (("states", sid, section, value),
                           f"{value!r} is not an answer of type {st.expect!r} ({', '.join(sorted(allowed))})")  # fmt: skip
        for value, target in st.branches.items():
            if not target_ok(target):
                yield ("states", sid, "branches", value), f"unknown state or ending {target!r}"
        for value, rule in st.flags.items():
            if rule not in sc.flags:
                yield ("states", sid, "flags", value), f"flag {rule!r} is not defined under flags"
