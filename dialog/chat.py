"""Talk to a scenario in text: typed replies, or a replay file of replies (empty line = silence).

Used by ``carecall chat``; also handy to check a scenario edit by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from dialog.scenario import Scenario
from dialog.session import DialogSession


def run_chat(
    scenario: Scenario,
    input_lines: Iterable[str] | None,
    out: Callable[[str], None],
    *,
    person: dict | None = None,
    now: datetime | None = None,
    seed: int | None = None,
) -> DialogSession:
    """Run one call. ``input_lines`` None reads typed replies from stdin (Ctrl-D hangs up);
    otherwise the lines are replayed and echoed. Prints a summary and returns the session."""
    session = DialogSession(scenario, person=person or {"name": "김영수"}, now=now, seed=seed)
    replay = input_lines is not None
    caller = "손님" if scenario.venue is not None else "어르신"
    lines = iter(input_lines) if replay else _typed()
    reply = session.start()
    out(f"상담원 ({reply.state}): {reply.text}")
    while not session.finished:
        line = next(lines, None)
        if line is None:
            out("(통화 종료: 답변이 더 없습니다)" if replay else "(전화를 끊었습니다)")
            break
        line = line.rstrip("\r\n")
        if replay:
            out(f"{caller}: {line}" if line.strip() else f"{caller}: (침묵)")
        reply = session.handle(line) if line.strip() else session.handle_silence()
        out(f"상담원 ({reply.state}): {reply.text}")
    _summary(session, out)
    return session


def _typed() -> Iterable[str]:
    while True:
        try:
            yield input("어르신> ")
        except EOFError:
            return


def _summary(session: DialogSession, out: Callable[[str], None]) -> None:
    # Plain text only: `out` may be rich's console.print, which would read "[...]" as markup.
    out(f"결과: {session.outcome or 'unfinished'}")
    for key, value in session.answers.items():
        out(f"  {key}: {', '.join(value) if isinstance(value, list) else value}")
    for flag in session.flags:
        out(f"  flag {flag.rule} ({flag.severity}), turn {flag.turn}: {flag.evidence!r}")
