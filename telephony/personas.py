"""Callee personas for the phone simulator: what an elderly person answers to each question, as data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

PERSONA_DIR = Path(__file__).parent / "personas"


class PersonaError(ValueError):
    """A persona file that cannot be used, with the file and field named."""


class BargeIn(BaseModel):
    """Talk over the agent: during its ``utterance``-th utterance (1 = greeting), ``after_s`` into it."""

    utterance: int = Field(ge=1)
    after_s: float = Field(1.0, ge=0)
    text: str


class Expectation(BaseModel):
    answers: dict[str, Any] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)
    outcome: str | None = None


class Persona(BaseModel):
    name: str
    phone: str
    description: str = ""
    voice: str = "jm_kumo"
    speed: float = Field(1.0, gt=0.3, lt=3.0)
    answers: dict[str, list[str]] = Field(default_factory=dict)
    silent: bool = False
    barge_in: BargeIn | None = None
    hang_up_after: str | None = None
    expect: Expectation = Field(default_factory=Expectation)

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        if not (value.startswith("+") and value[1:].isdigit() and 8 <= len(value) <= 16):
            raise ValueError(f"'{value}' is not an E.164 number like +821012345678")
        return value

    @field_validator("answers", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    def answer_for(self, state: str, attempt: int) -> str | None:
        """The line for a question: the state's own answers, then its parent's (``health.fever`` →
        ``health``), then ``default``; a repeated question (re-prompt) takes the next alternative."""
        for key in (state, state.split(".")[0], "default"):
            options = self.answers.get(key)
            if options:
                return options[min(attempt, len(options) - 1)]
        return None

    def lines(self) -> list[str]:
        """Everything this persona may say (to prepare its voice ahead of the call)."""
        out = [line for options in self.answers.values() for line in options]
        if self.barge_in:
            out.append(self.barge_in.text)
        return out


def load_persona(name_or_path: str | Path) -> Persona:
    """A built-in persona by name (``well``) or a YAML file path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PERSONA_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PERSONA_DIR.glob("*.yaml")))
        raise PersonaError(f"no persona '{name_or_path}' (built-in: {known})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PersonaError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PersonaError(f"{path}: a persona must be a mapping of fields")
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise PersonaError(f"{path}: {problems}") from None


def builtin_personas() -> list[str]:
    return sorted(p.stem for p in PERSONA_DIR.glob("*.yaml"))
