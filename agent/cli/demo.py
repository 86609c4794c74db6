"""``carecall demo``: the agent's server and a phone simulator in one process, one Korean call, live.

The simulator reaches the server exactly as Twilio would: it fetches TwiML from ``POST /twiml`` with
Twilio's form fields, then opens the ``<Stream>`` websocket it names and speaks the Media Streams protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from pathlib import Path
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import uvicorn
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from agent.app import create_app
from agent.call.events import CallEvent, new_call_sid
from agent.call.engines import Engines
from agent.settings import Settings
from agent.store import CallRecord, CallStore, migrate
from dialog import vocabulary
from telephony.simulator.personas import Persona, load_persona
from telephony.simulator.phone import PhoneSimulator, SimulatedCall, dial
from telephony.simulator.voice import CallerVoice

AGENT_NUMBER = "+8215881234"  # the care centre's line in the simulation


def persona_voice(persona: Persona, models_dir: Path | None = None) -> CallerVoice:
    """The persona's voice: a Kokoro synthesiser (not loaded yet) behind the simulator's line cache; its model is
    assembled under ``models_dir`` (the ``models_dir`` setting; None: ~/.cache/carecall/models)."""
    from tts import make_synthesizer

    return CallerVoice(make_synthesizer("kokoro", voice=persona.voice, speed=persona.speed, models_dir=models_dir))


@dataclass
class DemoResult:
    call: SimulatedCall | None = None
    record: CallRecord | None = None
    events: list[CallEvent] = field(default_factory=list)
    startup_s: dict[str, float] = field(default_factory=dict)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


async def run_demo(settings: Settings, persona_name: str, console: Console) -> DemoResult:
    """Start the server, place one simulated call, print it live, then print its summary."""
    result = DemoResult()
    persona = load_persona(persona_name, vocabulary=vocabulary)  # its expect block in the dialog's terms
    if not settings.port:
        settings = settings.model_copy(update={"port": _free_port(settings.host)})

    with console.status("Starting…") as status:

        def done(what: str, seconds: float) -> None:
            result.startup_s[what] = seconds
            console.print(f"  [green]✓[/] {what} [dim]{seconds:.1f}s[/]")

        def run_step(what: str, fn) -> Any:
            status.update(f"{what}…")
            started = time.perf_counter()
            out = fn()
            done(what, time.perf_counter() - started)
            return out

        run_step("database schema", lambda: migrate(settings.resolved_database_url))
        status.update("loading the agent's speech models…")
        engines = await asyncio.to_thread(Engines.load, settings, done)
        voice = persona_voice(persona, settings.models_dir)
        await asyncio.to_thread(run_step, f"the caller's voice ({persona.voice})", voice.load)
        await asyncio.to_thread(run_step, "the caller's lines", lambda: voice.prepare(persona.lines()))

    store = CallStore(settings.resolved_database_url)
    ended = asyncio.Event()
    call_id: dict[str, str] = {}

    async def on_call_event(event: CallEvent) -> None:
        result.events.append(event)
        if event.kind == "started":
            call_id["id"] = event.call_id
            console.rule(f"[bold]Call {event.call_id[:8]} · {persona.name} ({persona.phone})")
        elif event.kind == "agent":
            console.print(f"[bold cyan]상담원[/]  {event.text}  [dim]({event.state})[/]")
        elif event.kind == "caller":
            console.print(f"[bold yellow]어르신[/]  [dim]heard as:[/] {event.text or '[dim](nothing)[/]'}")
        elif event.kind == "ended":
            ended.set()

    def on_sim_event(kind: str, data: dict[str, Any]) -> None:
        if kind == "caller_speech":
            console.print(f"[yellow]   ☎ says:[/] {data.get('text', '')}")
        elif kind == "agent_audio" and data.get("latency_s") is not None:
            console.print(f"[dim]   ↳ first agent audio {data['latency_s']:.2f}s after the caller stopped[/]")
        elif kind == "clear" and data.get("interrupted"):
            console.print("[magenta]   ✂ barge-in: agent audio cleared[/]")

    app = create_app(settings, engines, store, listener=on_call_event)
    async with serve_in_background(app, settings):
        result.call = await simulate(settings.base_url, persona, voice, on_sim_event)
        try:
            await asyncio.wait_for(ended.wait(), timeout=30)
        except TimeoutError:
            console.print("[red]The agent did not finish the call record in 30 s.")

    if "id" in call_id:
        result.record = await asyncio.to_thread(store.get_call, call_id["id"])
    print_summary(console, result, settings.resolved_database_url)
    return result


@contextlib.asynccontextmanager
async def serve_in_background(app, settings: Settings) -> AsyncIterator[uvicorn.Server]:
    """Run the app with uvicorn on this event loop until the block exits; its start-up (recovery of calls a
    dead process left open, the alert delivery worker) and shutdown run as under ``carecall serve``."""
    server = uvicorn.Server(
        uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                await task  # raises the bind error
                raise RuntimeError("the server stopped before it started")
            await asyncio.sleep(0.05)
        yield server
    finally:
        server.should_exit = True
        await task


async def simulate(base_url: str, persona: Persona, voice, on_event=None) -> SimulatedCall:
    """Dial like Twilio: fetch TwiML from the agent, then stream the call over its websocket."""
    call_sid = new_call_sid()
    ws_url, parameters = await dial(
        base_url,
        call_sid=call_sid,
        from_number=persona.phone,
        to_number=persona.dials or AGENT_NUMBER,
        extra_query={"name": persona.name, "scenario": persona.scenario},
        direction="inbound" if persona.dials else "outbound-api",
    )
    simulator = PhoneSimulator(
        ws_url, persona, voice, stream_parameters=parameters, call_sid=call_sid, on_event=on_event
    )
    return await simulator.run()


async def simulate_call(base_url: str, persona_name: str, console: Console) -> SimulatedCall:
    """``carecall call``: the simulator alone, against a server that is already running."""
    persona = load_persona(persona_name, vocabulary=vocabulary)  # its expect block in the dialog's terms
    voice = persona_voice(persona)
    with console.status("Preparing the caller's voice…"):
        await asyncio.to_thread(voice.load)
        await asyncio.to_thread(voice.prepare, persona.lines())
    call = await simulate(base_url.rstrip("/"), persona, voice)
    _print_wire_stats(console, call)
    return call


def _print_wire_stats(console: Console, call: SimulatedCall) -> None:
    lat = [x for x in call.latencies_s if x is not None]
    table = Table("measured on the wire (simulator side)", "value", show_header=True)
    if call.greeting_latency_s is not None:
        table.add_row("call start → first greeting audio", f"{call.greeting_latency_s:.2f} s")
    if lat:
        table.add_row("voice-to-voice, median", f"{float(np.median(lat)):.2f} s")
        table.add_row("voice-to-voice, worst", f"{max(lat):.2f} s")
        table.add_row("agent turns measured", str(len(lat)))
    table.add_row("barge-ins (agent audio cleared)", str(call.barge_ins))
    table.add_row("agent hung up", "yes" if call.server_hung_up else "no")
    console.print(table)


def print_summary(console: Console, result: DemoResult, database_url: str) -> None:
    record = result.record
    if record is None:
        console.print("[red]No call record was written.")
        return
    answers = Table("question", "answer", title="Answers the agent extracted")
    for key, value in (record.answers or {}).items():
        if value in ([], "", None):  # e.g. no symptoms named
            continue
        answers.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
    console.print(answers)
    if record.flags:
        flags = Table("flag", "severity", "evidence (caller's words)", "turn", title="Flags raised")
        for flag in record.flags:
            flags.add_row(flag.rule, flag.severity, flag.evidence, str(flag.turn_index))
        console.print(flags)
    else:
        console.print("[green]No flags raised.")
    if result.call is not None:
        _print_wire_stats(console, result.call)
    console.print(
        Panel.fit(
            f"outcome: [bold]{record.outcome}[/] {record.outcome_detail or ''}\n"
            f"call record: {record.id} in {database_url}\n"
            f"recording (left caller, right agent): {record.recording_path}",
            title="Call stored",
        )
    )

