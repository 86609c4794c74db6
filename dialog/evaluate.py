"""Score the dialog's understanding on a corpus of caller utterances with their expected answers and flags.

A corpus is a YAML file: ``scenario``, ``now`` (the call's date and time, ISO with offset), an optional
``caller`` number, and ``cases``, each ``{ask: <state id>, say: <words>, expect: {answer: value},
flags: [rule, …], outcome: <outcome>}``. Each case starts a fresh session at the question ``ask``, hands
it ``say`` as one caller turn and compares what the session recorded. Used by the tests and by
``benchmarks/dialog_accuracy.py``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from dialog.scenario import load_scenario
from dialog.session import DialogSession


@dataclass(frozen=True)
class Case:
    ask: str
    say: str
    expect: dict[str, Any]
    flags: frozenset[str]
    outcome: str | None = None
    line: int = 0


@dataclass
class Corpus:
    scenario: str
    now: datetime
    caller: str | None
    cases: list[Case]
    source: str = ""


@dataclass
class CaseResult:
    case: Case
    checks: dict[str, bool] = field(default_factory=dict)  # answer key / "flags" / "outcome" -> right?
    answers: dict[str, Any] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    outcome: str | None = None

    @property
    def passed(self) -> bool:
        return all(self.checks.values())

    def explain(self) -> str:
        wrong = [k for k, ok in self.checks.items() if not ok]
        return (f"line {self.case.line}: {self.case.ask} <- {self.case.say!r}: wrong {', '.join(wrong)}; "
                f"got answers={self.answers} flags={self.flags} outcome={self.outcome}")  # fmt: skip


def load_corpus(path: str | Path) -> Corpus:
    text = Path(path).read_text(encoding="utf-8")
    node = yaml.compose(text)
    data = yaml.safe_load(text)
    lines = [item.start_mark.line + 1 for k, v in node.value if k.value == "cases" for item in v.value]
    cases = [
        Case(
            ask=str(c["ask"]),
            say=str(c["say"]),
            expect={k: _plain(v) for k, v in (c.get("expect") or {}).items()},
            flags=frozenset(c.get("flags") or ()),
            outcome=c.get("outcome"),
            line=line,
        )
        for c, line in zip(data["cases"], lines, strict=True)
    ]
    now = datetime.fromisoformat(str(data["now"]))
    return Corpus(str(data["scenario"]), now, data.get("caller"), cases, str(path))


def _plain(value: Any) -> Any:
    """YAML reads 2026-11-26 as a date and 01012345678 as a number; answers are strings."""
    if isinstance(value, (list, dict)):
        return value
    return str(value)


def evaluate(corpus: Corpus) -> list[CaseResult]:
    scenario = load_scenario(corpus.scenario)
    results = []
    for case in corpus.cases:
        session = DialogSession(scenario, person={"name": "김영수", "phone": corpus.caller}, now=corpus.now, seed=0)
        session.ask(case.ask)
        session.handle(case.say)
        result = CaseResult(case, answers=session.answers, flags=[f.rule for f in session.flags], outcome=session.outcome)
        for key, want in case.expect.items():
            got = result.answers.get(key)
            if isinstance(want, list):
                result.checks[key] = sorted(got or []) == sorted(want)
            else:
                result.checks[key] = got == want
        result.checks["flags"] = set(result.flags) == set(case.flags)
        if case.outcome is not None:
            result.checks["outcome"] = result.outcome == case.outcome
        results.append(result)
    return results


def accuracy_by_key(results: list[CaseResult]) -> dict[str, tuple[int, int]]:
    """(right, total) for every answer key, "flags" and "outcome" checked over the results."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for result in results:
        for key, ok in result.checks.items():
            tally[key][0] += ok
            tally[key][1] += 1
    return {key: (right, total) for key, (right, total) in sorted(tally.items())}
