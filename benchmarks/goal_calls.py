"""Whole-call task success with a goal-driven caller: did the call get the caller what they wanted?

Each goal of ``benchmarks/goals/*.yaml`` (a booking to make, cancel or move; a care callee's true state today)
is played as one whole conversation against ``dialog.DialogSession`` by the goal-driven caller
(``telephony.simulator.goal_caller``), which answers whatever the agent asks, checks read-backs and corrects them.
Two ways of passing the caller's words to the dialog:

* ``text``: the caller's words as text (what the dialog makes of perfectly heard speech);
* ``audio``: each caller utterance synthesised in an evaluation voice, sent down the 8 kHz G.711 µ-law phone
  line (``telephony.codec.to_phone`` / ``from_phone``, as the phone simulator and Twilio carry it), padded with
  the line silence the live call's segmenter keeps around a turn (0.8 s before and after), and recognised by
  the live call's recogniser (``asr.make_recognizer("whisper")``, the default engine and options) with the
  hint the live call gives it: the ``Reply.hint`` of the question being answered (``agent.call`` hands it to
  the recogniser unchanged); the dialog hears the hypothesis its question understands (``DialogSession.choose``
  over ``Transcript.hypotheses``, as ``agent.call`` does). Not real time and no pipecat: the same components in
  sequence.

Scored per goal: **task success** (reservation: the outcome, and the booking book holds exactly the booking
meant: day, time, party size, name, phone, and the request if any; a cancellation cancels that booking and
nothing else; a change moves it. Care: the outcome, every expected answer, exactly the expected flags (no
false flag), and no note when the callee had nothing to add), **turns** (caller turns) and **first-pass slot
accuracy** (each answer slot right right after the first time its question was asked).

What was measured on what. The goals were written apart from the dialog's understanding rules (the caller's
phrasings live in ``telephony.simulator.goal_caller`` / ``spoken``). The audio voices are
``asr.recipes.speech.EVALUATION_VOICES``: two Kokoro-82M style blends that the ASR training sampler can never draw
(an explicit exclusion in ``asr/recipes/speech.py``) and the project's own hdts voice ``ko_kumo``; no model of
the project trains on them (``tests/asr/test_evaluation_voices.py``). They are synthetic, accented voices, so
the audio figures are a proxy for real callers, not a claim about them. The agent's side is text (the caller
reads the agent's sentence, not its audio).

    .venv/bin/python benchmarks/goal_calls.py --mode text
    .venv/bin/python benchmarks/goal_calls.py --mode audio --per-kind 20      # a seeded subset, every voice

Synthesised audio is cached per voice and text (µ-law bytes) under ``~/.cache/carecall/goal-calls``, so a rerun
costs only recognition; with ``--journal FILE`` every finished call is appended to FILE and a killed run, started
again with the same arguments, resumes where it stopped. A JSON report (per-goal failures: what was said, what was heard, what was stored) is
written to ``--json`` (default ``var/goal-calls/report-<mode>.json``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # line_turn

from dialog import DialogSession, Scenario, load_scenario  # noqa: E402
from dialog.reservations import Booking as StoredBooking  # noqa: E402
from dialog.reservations import MemoryBookingBook  # noqa: E402
from dialog import vocabulary  # noqa: E402
from telephony.simulator.goal_caller import make_caller  # noqa: E402
from telephony.simulator.goals import CareGoal, Goal, GoalSet, ReservationGoal, load_goals  # noqa: E402

GOALS_DIR = ROOT / "benchmarks" / "goals"
GOAL_FILES = (GOALS_DIR / "reservation_goals.yaml", GOALS_DIR / "care_goals.yaml")
SCENARIOS = {"reservation": "reservation", "care": "care_call"}
CACHE = Path(os.environ.get("CARECALL_CACHE", Path.home() / ".cache" / "carecall")) / "goal-calls"
MAX_TURNS = 30  # a call still going after this many caller turns is a failure (a loop)
LEAD_S = TAIL_S = 0.8  # line silence around a turn, as the live segmenter passes it (1 s buffer, 0.3 s stop + 0.5 s)
RESERVATION_SLOTS = ("intent", "date", "time", "party_size", "name", "phone", "requests")
CARE_SLOTS = ("meal", "sleep", "health", "medication", "mood", "note")

# (caller's words, the recogniser's hint) → what the agent got: the recogniser's hypotheses, best first (text mode:
# the words themselves). As in the live call, the dialog hears the one its question understands (session.choose).
Hear = Callable[[str, str | None], tuple[str, ...]]


@dataclass
class Turn:
    state: str | None
    agent: str
    said: str
    heard: str


@dataclass
class CallResult:
    goal: str
    kind: str
    success: bool
    reasons: list[str]
    turns: int
    first_pass: dict[str, bool]
    outcome: str | None
    answers: dict[str, Any]
    flags: list[str]
    stored: list[str] = field(default_factory=list)
    transcript: list[Turn] = field(default_factory=list)


# --- one call --------------------------------------------------------------------------------------------


def run_call(goal: Goal, goals: GoalSet, scenario: Scenario, hear: Hear, seed: int = 0) -> CallResult:
    """Play ``goal`` as a whole call; ``hear`` turns the caller's words into what the dialog receives."""
    book = MemoryBookingBook()
    if isinstance(goal, ReservationGoal) and goal.intent != "book":
        before = goal.existing or goal.booking
        book.add(StoredBooking(venue_id=scenario.venue.id, phone=goal.phone, name=goal.name, day=before.date,
                               time=before.at, party_size=before.party_size))
    if isinstance(goal, ReservationGoal):
        person = {"name": "", "phone": goal.e164 if goal.caller_id else "", "call_id": goal.id}
    else:
        person = {"name": goal.name, "phone": "+821000000000", "call_id": goal.id}
    session = DialogSession(scenario, person=person, now=goals.now, bookings=book)
    caller = make_caller(goal, goals.now, seed)
    want = expected_slots(goal)
    first_pass: dict[str, bool] = {}
    transcript = []
    reply = session.start()
    while not reply.end and session.turns < MAX_TURNS:
        state = scenario.states.get(reply.state or "")
        slot = state.slot if state else None
        said = caller.respond(reply.text, reply.state, slot)
        hypotheses = hear(said, reply.hint)
        heard = hypotheses[session.choose(hypotheses)]
        transcript.append(Turn(reply.state, reply.text, said, heard))
        reply = session.handle(heard)
        if slot in want and slot not in first_pass:
            first_pass[slot] = slot_right(slot, session.answers.get(slot), want[slot])
    if reply.text:
        transcript.append(Turn(reply.state, reply.text, "", ""))
    reasons = judge(goal, session, book)
    return CallResult(goal.id, "reservation" if isinstance(goal, ReservationGoal) else "care", not reasons, reasons,
                      session.turns, first_pass, session.outcome, session.answers, [f.rule for f in session.flags],
                      [b.describe() + f" [{b.status}] {b.phone} {b.requests!r}" for b in book.bookings.values()],
                      transcript)


def expected_slots(goal: Goal) -> dict[str, Any]:
    """The value each answer slot should hold, for first-pass accuracy."""
    answers = dict(goal.expect.answers)
    slots = RESERVATION_SLOTS if isinstance(goal, ReservationGoal) else CARE_SLOTS
    if isinstance(goal, CareGoal) and "note" not in answers and goal.expect.outcome == "completed":
        answers["note"] = None  # nothing to add: nothing should be noted
    return {slot: answers[slot] for slot in slots if slot in answers}


def slot_right(slot: str, got: Any, want: Any) -> bool:
    if slot in ("requests", "note") and want not in (None, "nothing"):
        return got not in (None, "nothing", "unknown") and words_kept(str(want), str(got))
    if slot == "note" and want is None:
        return got is None
    return got == want


def words_kept(meant: str, stored: str) -> bool:
    """A free-text answer keeps the caller's meaning if it holds one of the content words meant (창가 in
    "창가 자리로 부탁드려요"); spacing is ignored."""
    compact = re.sub(r"\s+", "", stored)
    return any(w in compact for w in re.findall(r"[가-힣]{2,}", meant))


def judge(goal: Goal, session: DialogSession, book: MemoryBookingBook) -> list[str]:
    """Why the call did not do what the caller wanted (empty: task success)."""
    expect = goal.expect
    reasons = []
    if session.outcome != expect.outcome:
        reasons.append(f"outcome {session.outcome!r}, wanted {expect.outcome!r}")
    flags = {f.rule for f in session.flags}
    if missing := set(expect.flags) - flags:
        reasons.append(f"flags missing: {sorted(missing)}")
    if extra := flags - set(expect.flags):
        reasons.append(f"false flags: {sorted(extra)}")
    if isinstance(goal, ReservationGoal):
        return reasons + judge_booking(goal, book)
    answers = session.answers
    for key, want in expect.answers.items():
        got = answers.get(key)
        if key == "symptoms":
            ok = sorted(got or []) == sorted(want)
        elif key == "note":
            ok = got is not None and words_kept(str(want), str(got))
        else:
            ok = got == want
        if not ok:
            reasons.append(f"{key}: {got!r}, wanted {want!r}")
    if "note" not in expect.answers and answers.get("note"):
        reasons.append(f"note recorded though there was nothing to add: {answers['note']!r}")
    return reasons


def judge_booking(goal: ReservationGoal, book: MemoryBookingBook) -> list[str]:
    active = [b for b in book.bookings.values() if b.status == "booked"]
    want = goal.booking
    if goal.intent == "cancel":
        return [f"bookings still active: {[b.describe() for b in active]}"] if active else []
    if len(active) != 1:
        return [f"{len(active)} active bookings, wanted 1: {[b.describe() for b in active]}"]
    got = active[0]
    reasons = []
    for label, have, meant in (("date", got.day, want.date), ("time", got.time, want.at),
                               ("party_size", got.party_size, want.party_size), ("name", got.name, goal.name),
                               ("phone", got.phone, goal.phone)):
        if have != meant:
            reasons.append(f"stored {label} {have}, meant {meant}")
    if goal.intent == "book":
        if goal.request and not (got.requests and words_kept(goal.request, got.requests)):
            reasons.append(f"stored request {got.requests!r}, meant {goal.request!r}")
        if not goal.request and got.requests:
            reasons.append(f"request stored though none was made: {got.requests!r}")
    return reasons


# --- hearing through the phone line ------------------------------------------------------------------------


class PhoneLine:
    """Caller words → voice → 8 kHz µ-law line → the live call's recogniser, with the question's hint."""

    def __init__(self, voice_name: str, recognizer: Any, speaker: Any):
        from asr.recipes.speech import EVALUATION_VOICES

        self.voice_name = voice_name
        self.voice = EVALUATION_VOICES[voice_name]
        self.recognizer = recognizer
        self.speaker = speaker
        self.cache_dir = CACHE / voice_name
        self.synth_s = self.asr_s = self.audio_s = 0.0
        self.utterances = self.synthesised = 0

    def line_audio(self, text: str) -> bytes:
        """The µ-law bytes the caller's line carries for ``text`` (cached per voice and text)."""
        from telephony.codec import to_phone

        key = hashlib.sha1(f"{self.voice.label}|{text}".encode()).hexdigest()
        path = self.cache_dir / f"{key}.ulaw"
        if path.is_file():
            return path.read_bytes()
        import numpy as np

        started = time.perf_counter()
        audio, rate = self.speaker.speak(text, self.voice)
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
        payload = to_phone(pcm, rate)
        self.synth_s += time.perf_counter() - started
        self.synthesised += 1
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(payload)
        tmp.replace(path)
        return payload

    def __call__(self, text: str, hint: str | None) -> tuple[str, ...]:
        from line_turn import line_seconds, line_turn

        payload = self.line_audio(text)
        audio = line_turn(payload, self.recognizer.sample_rate, LEAD_S, TAIL_S)
        started = time.perf_counter()
        heard = self.recognizer.transcribe(audio, hint=hint).hypotheses
        self.asr_s += time.perf_counter() - started
        self.audio_s += line_seconds(payload)
        self.utterances += 1
        return heard


# --- runs and the report ------------------------------------------------------------------------------------


def load_all(paths: tuple[Path, ...] = GOAL_FILES) -> list[tuple[GoalSet, Scenario]]:
    return [(goals, load_scenario(SCENARIOS[goals.kind])) for goals in (load_goals(p, vocabulary) for p in paths)]


def choose(sets: list[tuple[GoalSet, Scenario]], per_kind: int | None,
           seed: int) -> list[tuple[Goal, GoalSet, Scenario]]:
    """Every goal, or a seeded subset of ``per_kind`` goals of each kind (the same subset for every voice)."""
    out = []
    for goals, scenario in sets:
        picked = list(goals.goals)
        if per_kind is not None and per_kind < len(picked):
            picked = sorted(random.Random(f"{seed}:{goals.kind}").sample(picked, per_kind), key=picked.index)
        out += [(g, goals, scenario) for g in picked]
    return out


def run(label: str, calls: list[tuple[Goal, GoalSet, Scenario]], hear: Hear, seed: int,
        progress: bool = False, journal: Path | None = None) -> list[CallResult]:
    """Every call in turn. With ``journal`` (JSON lines) each finished call is appended to it, and calls it
    already holds for this run are read back instead of played again: a killed run resumes."""
    done = read_journal(journal, label) if journal is not None else {}
    results = []
    started = time.perf_counter()
    for i, (goal, goals, scenario) in enumerate(calls, 1):
        if goal.id in done:
            results.append(done[goal.id])
        else:
            results.append(run_call(goal, goals, scenario, hear, seed))
            if journal is not None:
                with journal.open("a", encoding="utf-8") as f:
                    f.write(json.dumps({"run": label} | asdict(results[-1]), ensure_ascii=False, default=str) + "\n")
        if progress:
            ok = sum(r.success for r in results)
            print(f"\r  {label}: {i}/{len(calls)} calls, {ok} succeeded, {time.perf_counter() - started:.0f} s",
                  end="", flush=True)
    if progress:
        print()
    return results


def read_journal(journal: Path, label: str) -> dict[str, CallResult]:
    done: dict[str, CallResult] = {}
    if not journal.is_file():
        return done
    for line in journal.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:  # the line a killed run was writing
            continue
        if entry.pop("run") == label:
            entry["transcript"] = [Turn(**t) for t in entry["transcript"]]
            done[entry["goal"]] = CallResult(**entry)
    return done


def summary(results: list[CallResult]) -> dict[str, Any]:
    def part(rs: list[CallResult]) -> dict[str, Any]:
        checks = [ok for r in rs for ok in r.first_pass.values()]
        return {"goals": len(rs), "success": sum(r.success for r in rs),
                "success_rate": round(sum(r.success for r in rs) / len(rs), 4) if rs else None,
                "turns_mean": round(sum(r.turns for r in rs) / len(rs), 2) if rs else None,
                "first_pass": round(sum(checks) / len(checks), 4) if checks else None, "first_pass_checks": len(checks)}

    slots: dict[str, list[bool]] = {}
    for r in results:
        for slot, ok in r.first_pass.items():
            slots.setdefault(slot, []).append(ok)
    return {"all": part(results), "reservation": part([r for r in results if r.kind == "reservation"]),
            "care": part([r for r in results if r.kind == "care"]),
            "first_pass_by_slot": {s: [sum(v), len(v)] for s, v in sorted(slots.items())}}


def print_table(rows: list[tuple[str, dict[str, Any]]]) -> None:
    def pct(x: float | None) -> str:
        return "–" if x is None else f"{100 * x:.1f}%"

    print(f"{'run':<24} {'goals':>5} {'success':>8} {'booking':>8} {'care':>8} {'turns':>6} {'1st-pass':>9}")
    print("-" * 74)
    for name, s in rows:
        a, r, c = s["all"], s["reservation"], s["care"]
        print(f"{name:<24} {a['goals']:>5} {pct(a['success_rate']):>8} {pct(r['success_rate']):>8} "
              f"{pct(c['success_rate']):>8} {a['turns_mean']:>6} {pct(a['first_pass']):>9}")


def report_entry(results: list[CallResult]) -> dict[str, Any]:
    return {"summary": summary(results),
            "goals": [{"goal": r.goal, "success": r.success, "turns": r.turns, "first_pass": r.first_pass}
                      for r in results],
            "failures": [asdict(r) for r in results if not r.success]}


def save(report: dict[str, Any], args: argparse.Namespace) -> Path:
    path = args.json or ROOT / "var" / "goal-calls" / f"report-{args.mode}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return path


def main() -> None:
    from asr.recipes.speech import EVALUATION_VOICES

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("text", "audio", "both"), default="text")
    parser.add_argument("--voices", nargs="+", default=list(EVALUATION_VOICES), choices=list(EVALUATION_VOICES))
    parser.add_argument("--per-kind", type=int, default=None,
                        help="audio: a seeded subset of N goals of each kind (default: every goal)")
    parser.add_argument("--seed", type=int, default=0, help="the caller's phrasing and the subset")
    parser.add_argument("--threads", type=int, default=None, help="recogniser and synthesiser threads")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--journal", type=Path, default=None,
                        help="audio: append each finished call here and resume from it (same seed and subset)")
    args = parser.parse_args()

    sets = load_all()
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    report: dict[str, Any] = {"when": datetime.now().isoformat(timespec="seconds"), "machine": machine,
                              "command": " ".join(sys.argv), "seed": args.seed, "runs": {}}
    rows = []
    if args.mode in ("text", "both"):
        started = time.perf_counter()
        results = run("text", choose(sets, None, args.seed), lambda said, hint: (said,), args.seed)
        report["runs"]["text"] = report_entry(results) | {"seconds": round(time.perf_counter() - started, 1)}
        rows.append(("text (all goals)", report["runs"]["text"]["summary"]))
        print_table(rows[-1:])
    if args.mode in ("audio", "both"):
        from asr import make_recognizer
        from asr.recipes.speech import Speaker

        recognizer = make_recognizer("whisper", **({"cpu_threads": args.threads} if args.threads else {}))
        recognizer.load()
        speaker = Speaker(threads=args.threads or 2)
        calls = choose(sets, args.per_kind, args.seed)
        text_results = run("text", calls, lambda said, hint: (said,), args.seed)
        report["runs"]["text-subset"] = report_entry(text_results)
        rows.append((f"text (same {len(calls)})", report["runs"]["text-subset"]["summary"]))
        everything: list[CallResult] = []
        for name in args.voices:
            line = PhoneLine(name, recognizer, speaker)
            started = time.perf_counter()
            results = run(name, calls, line, args.seed, progress=True, journal=args.journal)
            everything += results
            report["runs"][name] = report_entry(results) | {
                "seconds": round(time.perf_counter() - started, 1), "utterances": line.utterances,
                "synthesised": line.synthesised, "synth_s": round(line.synth_s, 1), "asr_s": round(line.asr_s, 1),
                "audio_s": round(line.audio_s, 1), "voice": line.voice.label}
            rows.append((f"audio {name}", report["runs"][name]["summary"]))
            save(report, args)  # a killed run keeps the voices it finished
        report["runs"]["audio-all-voices"] = {"summary": summary(everything)}
        rows.append(("audio, all voices", report["runs"]["audio-all-voices"]["summary"]))
        print()
        print_table(rows)
    path = save(report, args)
    for name, run_report in report["runs"].items():
        if "goals" in run_report:
            print(f"\n{name}: first pass by slot " + ", ".join(
                f"{slot} {ok}/{n}" for slot, (ok, n) in run_report["summary"]["first_pass_by_slot"].items()))
    print(f"\nreport: {path}")


if __name__ == "__main__":
    main()
