"""Are the simulated callers' lines heard right wherever the turn's audio starts and ends?

The end-to-end call tests play the personas (``telephony/simulator/personas``) through a live server: each line is
synthesised in the persona's voice, sent down the 8 kHz µ-law line in real time, cut into a turn by the VAD and
recognised by Whisper. Where the VAD cuts depends on timing, so the same line reaches Whisper with its onset a
few tens of milliseconds earlier or later from one run to the next, and Whisper base may hear it differently
("그런데 누구세요?" once as "그런데 늙으세요"). A test then fails once in a few runs for hearing, not for the
system under test. This benchmark finds such lines before a test run does.

Each persona line is synthesised once, passed through the phone line (``telephony.codec``), padded with line
silence of several lengths before and after (the onset moved in steps that do not divide Whisper's 10 ms frame
hop), and recognised with the server's recogniser and the question's hint. The dialog then hears it as the live
call does (``DialogSession.choose`` over the hypotheses, then ``handle``, in a fresh session asked that question)
and its reaction (the next question, the outcome, the flags and the answer to the question asked: what the
e2e tests check) is compared with its reaction to the line as text. A line is *robust* when every variant gets the text's reaction.

    .venv/bin/python benchmarks/persona_hearing.py                       # every persona, 12 variants a line
    .venv/bin/python benchmarks/persona_hearing.py --personas opts_out --lines "그런데 누구세요?" "누구세요?"

``--lines`` tries other wordings for the persona's first state in ``answers`` (or ``--state``) before they go
into a persona file.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # line_turn

from agent.cli.demo import persona_voice  # noqa: E402
from agent.settings import Settings  # noqa: E402
from asr import make_recognizer  # noqa: E402
from dialog import DialogSession, Scenario, load_scenario  # noqa: E402
from dialog.clock import SEOUL  # noqa: E402
from line_turn import line_turn  # noqa: E402
from telephony.codec import to_phone  # noqa: E402
from telephony.simulator.personas import Persona, load_persona  # noqa: E402

PERSONAS = ROOT / "telephony" / "simulator" / "personas"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SEOUL)  # a Wednesday morning, within every calling window
LEADS_S = (0.80, 0.837, 0.874, 0.911, 0.948, 0.985)  # line silence before the speech (the VAD keeps ~1 s): 37 ms steps
TAILS_S = (0.5, 0.8)  # and after it (the VAD stop plus padding; the speculative turn is the shorter)


@dataclass
class LineResult:
    persona: str
    state: str
    line: str
    right: int
    variants: int
    misheard: list[str]


def reaction(scenario: Scenario, persona: Persona, state: str, hypotheses: tuple[str, ...]) -> tuple:
    """What the dialog does with these hypotheses when it has just asked ``state`` (a fresh, seeded session)."""
    person = {"name": persona.name, "phone": persona.phone, "call_id": "persona-hearing"}
    session = DialogSession(scenario, person=person, now=NOW, seed=0)
    session.ask(state)
    heard = hypotheses[session.choose(hypotheses)]
    reply = session.handle(heard)
    slot = scenario.states[state].slot
    # What the e2e tests check: where the call goes, its outcome, its flags and the answer to this question (not
    # the wording of the reply, nor details such as which body part).
    return (reply.state, reply.end, session.outcome, sorted(f.rule for f in session.flags),
            session.answers.get(slot) if slot else None), heard


def probe(persona: Persona, state: str, line: str, recognizer, voice, scenario: Scenario,
          leads: tuple[float, ...] = LEADS_S, tails: tuple[float, ...] = TAILS_S) -> LineResult:
    pcm, pcm_rate = voice(line)  # int16, as the phone simulator sends it
    payload = to_phone(np.asarray(pcm, dtype=np.int16), pcm_rate)
    wanted, _ = reaction(scenario, persona, state, (line,))
    hint = scenario.states[state].hint if state in scenario.states else None
    right, misheard = 0, []
    for lead in leads:
        for tail in tails:
            padded = line_turn(payload, recognizer.sample_rate, lead, tail)
            got, heard = reaction(scenario, persona, state, recognizer.transcribe(padded, hint=hint).hypotheses)
            if got == wanted:
                right += 1
            else:
                misheard.append(heard)
    return LineResult(persona.name, state, line, right, len(leads) * len(tails), misheard)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--personas", nargs="*", help="persona file names (default: all)")
    parser.add_argument("--lines", nargs="*", help="try these lines instead of the persona's")
    parser.add_argument("--state", help="the state --lines answer (default: the persona's first)")
    parser.add_argument("--wide", action="store_true", help="36 variants a line: onsets 0.3–1.0 s, 3 tails")
    args = parser.parse_args()
    leads, tails = (tuple(0.3 + 0.061 * i for i in range(12)), (0.3, 0.6, 0.9)) if args.wide else (LEADS_S, TAILS_S)

    names = args.personas or sorted(p.stem for p in PERSONAS.glob("*.yaml"))
    settings = Settings()
    recognizer = make_recognizer(settings.asr_engine, **settings.asr_options())
    recognizer.load()
    started = time.perf_counter()
    results: list[LineResult] = []
    for name in names:
        persona = load_persona(name)
        if not persona.answers:
            continue
        scenario = load_scenario(persona.scenario)
        voice = persona_voice(persona, settings.models_dir)
        voice.load()
        if args.lines:
            state = args.state or next(iter(persona.answers))
            todo = [(state, line) for line in args.lines]
        else:  # every line the persona may say to a question of the scenario ("default" answers any: skipped)
            todo = [(state, line) for state, lines in persona.answers.items() if state in scenario.states
                    for line in lines]
        for state, line in todo:
            try:
                result = probe(persona, state, line, recognizer, voice, scenario, leads, tails)
            except KeyError as missing:  # a booking action asked out of its call: it needs the earlier answers
                print(f"-- {name:16s} {state:18s} skipped (needs the call's earlier answer {missing})", flush=True)
                continue
            results.append(result)
            mark = "ok " if result.right == result.variants else "!! "
            print(f"{mark}{name:16s} {state:18s} {result.right:2d}/{result.variants}  {line}"
                  + (f"   heard: {sorted(set(result.misheard))}" if result.misheard else ""), flush=True)
    weak = [r for r in results if r.right < r.variants]
    print(f"\n{len(results)} lines, {len(weak)} not heard right at every onset; "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
