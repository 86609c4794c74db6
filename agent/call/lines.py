"""Inbound phone lines: which scenario and which venue answer a number that callers dial.

A restaurant's reservation number and a welfare office's call-back number can point at the same server;
the number Twilio reports as ``To`` picks the line. The file (``CARECALL_LINES_FILE``)::

    lines:
      - number: "02-555-0100"          # E.164 or Korean format
        name: 한빛식당 예약 전화
        scenario: reservation          # built-in name or a scenario file path
        handoff_number: "02-555-0199"  # optional: the person a caller asking for one is put through to
        organization: 한빛식당            # optional: on whose behalf the agent says it calls ({organization})
        disclosure: ["한빛식당 AI 상담원입니다. 통화는 녹음됩니다."]  # optional: replaces the scenario's disclosure lines
        venue:                         # optional: replaces the scenario's own venue
          id: hanbit-jongno
          name: 한빛식당 종로점
          hours: {mon: closed, tue: "11:30-21:30", ...}
          seats: 24
          max_party: 10

A broken file is refused at start-up with the file and the line named, never mid-call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dialog import ScenarioError, load_scenario
from dialog.phone_numbers import PhoneNumberError, to_e164
from dialog.reservations import Venue


class LinesError(ValueError):
    """A lines file that cannot be used; the message names the file and the entry."""


class _LineSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str
    name: str = ""
    scenario: str = Field(min_length=1)
    venue: Venue | None = None
    handoff_number: str | None = None
    organization: str | None = Field(None, min_length=1)
    disclosure: list[str] = []

    @field_validator("number", "handoff_number")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return to_e164(value)
        except PhoneNumberError as exc:
            raise ValueError(str(exc)) from exc


class _LinesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[_LineSpec] = Field(default_factory=list)


@dataclass(frozen=True)
class PhoneLine:
    number: str  # E.164
    name: str
    scenario: str
    venue: Venue | None
    handoff_number: str | None = None  # E.164; None: the server's default (CARECALL_HANDOFF_NUMBER)
    organization: str | None = None  # {organization} in the disclosure; None: the server's (CARECALL_ORGANIZATION)
    disclosure: tuple[str, ...] = ()  # the line's own wording of "an AI agent, recorded"; (): the scenario's


class LineDirectory:
    """Looks up the line a caller dialled; an unknown number has no line (the default scenario answers)."""

    def __init__(self, lines: list[PhoneLine] | None = None):
        self._by_number: dict[str, PhoneLine] = {}
        for line in lines or []:
            if line.number in self._by_number:
                raise LinesError(f"number {line.number} is given to two lines")
            self._by_number[line.number] = line

    def __len__(self) -> int:
        return len(self._by_number)

    def find(self, dialled: str | None) -> PhoneLine | None:
        if not dialled:
            return None
        try:
            return self._by_number.get(to_e164(dialled))
        except PhoneNumberError:
            return None


def load_lines(path: str | Path | None) -> LineDirectory:
    """Read and check a lines file: every scenario must load and every venue must be valid."""
    if path is None:
        return LineDirectory()
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise LinesError(f"{path}: cannot read lines file: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise LinesError(f"{path}: invalid YAML: {exc}") from exc
    try:
        spec = _LinesFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise LinesError(f"{path}: {problems}") from exc
    lines = []
    for index, entry in enumerate(spec.lines):
        try:
            load_scenario(entry.scenario)
        except ScenarioError as exc:
            raise LinesError(f"{path}: lines.{index}.scenario: {exc}") from exc
        lines.append(
            PhoneLine(entry.number, entry.name or entry.number, entry.scenario, entry.venue, entry.handoff_number,
                      entry.organization, tuple(line for line in entry.disclosure if line.strip()))
        )
    try:
        return LineDirectory(lines)
    except LinesError as exc:
        raise LinesError(f"{path}: {exc}") from exc
