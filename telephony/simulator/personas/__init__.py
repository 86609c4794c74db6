"""Callee personas for the phone simulator: what an elderly person says to each question, as data.

A persona is a YAML file here (``well.yaml``) or anywhere (a path). ``answers`` is keyed by the dialog
state ids of docs/ARCHITECTURE.md (the ``mark`` names the agent sends after each prompt); ``expect`` is
what the agent should extract from the call, in the shared vocabulary, so a test can check it.

The loader checks a persona's structure. The vocabulary itself is the dialog's (``dialog.vocabulary``), which
telephony may not import: whoever may import both passes it to ``load_persona(..., vocabulary=...)`` to check
the ``expect`` block's answer keys, values and flag rules too (the demo does; so does a test over every
built-in persona).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PERSONA_DIR = Path(__file__).parent

# Dialog state ids: the care call's (identity, meal, …, health.fever, closing); other scenarios name theirs
# in the same form.
_STATE_KEY = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)?$")
_STATE_EXAMPLES = "identity, meal, health.<x>, closing, default"


class Vocabulary(Protocol):
    """The dialog's answer vocabulary, as ``load_persona`` checks an ``expect`` block against it
    (``dialog.vocabulary`` is one: the agent and the tests pass that module)."""

    def answer_problems(self, answers: Mapping[str, object]) -> list[str]: ...

    def flag_problems(self, rules: Iterable[str]) -> list[str]: ...


class PersonaError(ValueError):
    """A persona file that cannot be used, with the file and field named."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BargeIn(_Strict):
    """Talk over the agent ``after_s`` into one of its prompts.

    ``state``: the prompt for that question. The simulator learns a prompt's state only from the mark
    after it, so it predicts: the first prompt asks the first state in ``answers``, and after the callee
    answers X the next prompt asks the state following X in ``answers`` order. ``utterance``: the N-th
    agent utterance (1 = the greeting), exact. Give one of the two.
    """

    state: str | None = None
    utterance: int | None = Field(None, ge=1)
    after_s: float = Field(1.0, ge=0)
    text: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_target(self) -> BargeIn:
        if (self.state is None) == (self.utterance is None):
            raise ValueError("give exactly one of 'state' or 'utterance'")
        return self


class Expectation(_Strict):
    """What the agent should make of the call, in the dialog's vocabulary (checked against it only when the
    loader is given the vocabulary)."""

    outcome: str | None = None
    answers: dict[str, Any] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)  # rules that must be raised
    no_flags: list[str] = Field(default_factory=list)  # rules that must not be raised

    def problems(self, vocabulary: Vocabulary) -> list[str]:
        """Every answer key, value and flag rule not in ``vocabulary``, as ``field: message``."""
        return ([f"expect.answers: {p}" for p in vocabulary.answer_problems(self.answers)]
                + [f"expect.flags: {p}" for p in vocabulary.flag_problems(self.flags)]
                + [f"expect.no_flags: {p}" for p in vocabulary.flag_problems(self.no_flags)])


class Persona(_Strict):
    name: str = Field(min_length=1)
    phone: str
    description: str = ""
    scenario: str = "care_call"  # which scenario the agent should run for this caller
    # A caller who rings an inbound line dials its number (E.164); the agent's lines file may map that number
    # to a scenario and a venue. Without it the agent places the call (outbound) and ``scenario`` is sent along.
    dials: str | None = None
    voice: str = "jm_kumo"
    speed: float = Field(1.0, gt=0.3, lt=3.0)
    answers: dict[str, list[str]] = Field(default_factory=dict)
    silent: bool = False
    barge_in: BargeIn | None = None
    hang_up_after: str | None = None
    dtmf: dict[str, str] = Field(default_factory=dict)  # state → digits pressed when it is asked
    expect: Expectation = Field(default_factory=Expectation)

    @field_validator("phone", "dials")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.fullmatch(r"\+[1-9]\d{7,14}", value):
            raise ValueError(f"'{value}' is not an E.164 number like +821012345678")
        return value

    @field_validator("answers", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("answers")
    @classmethod
    def _states(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for key, options in value.items():
            if not _STATE_KEY.match(key):
                raise ValueError(f"'{key}' is not a dialog state id (e.g. {_STATE_EXAMPLES})")
            if not options or not all(isinstance(o, str) and o.strip() for o in options):
                raise ValueError(f"'{key}' needs at least one non-empty line")
        return value

    @field_validator("dtmf")
    @classmethod
    def _digits(cls, value: dict[str, str]) -> dict[str, str]:
        for state, digits in value.items():
            if not digits or any(d not in "0123456789*#ABCD" for d in digits):
                raise ValueError(f"dtmf for '{state}': '{digits}' is not a string of DTMF digits")
        return value

    def answer_for(self, state: str, attempt: int = 0) -> str | None:
        """The line for a question: the state's own answers, then its parent's (``health.fever`` →
        ``health``), then ``default``; a repeated question (re-prompt) takes the next alternative."""
        for key in (state, state.split(".")[0], "default"):
            options = self.answers.get(key)
            if options:
                return options[min(attempt, len(options) - 1)]
        return None

    def next_state(self, after: str | None) -> str | None:
        """The main question expected after ``after`` (``None``: the first), in ``answers`` order."""
        main = [k for k in self.answers if "." not in k and k != "default"]
        if after is None:
            return main[0] if main else None
        after = after.split(".")[0]
        if after in main and main.index(after) + 1 < len(main):
            return main[main.index(after) + 1]
        return None

    def lines(self) -> list[str]:
        """Everything this persona may say (to prepare its voice before the call)."""
        out = [line for options in self.answers.values() for line in options]
        if self.barge_in:
            out.append(self.barge_in.text)
        return list(dict.fromkeys(out))


def load_persona(name_or_path: str | Path, vocabulary: Vocabulary | None = None) -> Persona:
    """A built-in persona by name (``well``) or a YAML file path; ``PersonaError`` names file and field.
    With ``vocabulary`` (``dialog.vocabulary``) the ``expect`` block is checked against it as well."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PERSONA_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise PersonaError(f"no persona '{name_or_path}' (built-in: {', '.join(builtin_personas())})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PersonaError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PersonaError(f"{path}: a persona must be a mapping of fields")
    try:
        persona = Persona.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise PersonaError(f"{path}: {problems}") from None
    if vocabulary is not None and (problems := persona.expect.problems(vocabulary)):
        raise PersonaError(f"{path}: {'; '.join(problems)}")
    return persona


def builtin_personas() -> list[str]:
    return sorted(p.stem for p in PERSONA_DIR.glob("*.yaml"))
