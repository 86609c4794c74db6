"""Whole-call latency and memory: the agent's server in its own process, the phone simulator dialing it.

Measures, per persona call: time from the media stream's start to the first greeting audio, voice-to-voice
latency per agent turn (end of the caller's speech → first agent audio on the wire, as the simulator sees
it), and the server process's peak resident memory (sampled from /proc every 100 ms, children included).

    .venv/bin/python benchmarks/call_latency.py --personas well fever_cough fall_low_mood

``--concurrent 1 4`` instead places calls N at a time (max(N, personas) calls a round, personas taken in turn:
with N=1 a round is the default run) and reports p50/p95/max of
voice-to-voice and greeting latency per N and phase: ``cold`` (a fresh server process with an empty clause cache
folder), ``warm`` (the same server, a second round) and ``restarted`` (a fresh process reading the first one's
disk cache). Every server is dialled once it answers ``/ready`` (its scenario's fixed prompts synthesised, as a
load balancer would wait); "start-up" is the time to that. Each server gets its own data and cache folder (``CARECALL_DATA_DIR``, ``CARECALL_CACHE_DIR``); other
``CARECALL_*`` variables pass through (e.g. ``CARECALL_TTS_PREWARM=false CARECALL_TTS_CACHE_MB=0`` for the server
without prompt prewarming and disk cache). The load average is printed with every figure: the box may be shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.cli.demo import persona_voice, simulate  # noqa: E402
from telephony.simulator.personas import load_persona  # noqa: E402
from telephony.simulator.phone import SimulatedCall  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakMemory(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak_kb = max(self.peak_kb, _rss_kb(self.pid))
            time.sleep(0.1)


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 600) -> float:
    """Seconds until the server is ready (``/ready``: its fixed prompts synthesised, as a load balancer waits)."""
    import httpx

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError("server did not become ready")


@dataclass
class Server:
    url: str
    startup_s: float
    memory: PeakMemory


SERVER_LOGS: Path | None = None  # --server-logs: each server's output goes to a file there


@contextlib.contextmanager
def serve(data_dir: str) -> Iterator[Server]:
    """``carecall serve`` in its own process, data and caches under ``data_dir``, until the block exits."""
    port = _free_port()
    log = subprocess.DEVNULL
    if SERVER_LOGS is not None:
        SERVER_LOGS.mkdir(parents=True, exist_ok=True)
        log = open(SERVER_LOGS / f"serve-{port}.log", "wb")  # noqa: SIM115  (the process holds it)
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, CARECALL_PORT=str(port), CARECALL_DATA_DIR=data_dir,
               CARECALL_CACHE_DIR=str(Path(data_dir) / "cache"))
    proc = subprocess.Popen([sys.executable, "-m", "agent.cli", "serve"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    memory = PeakMemory(proc.pid)
    memory.start()
    try:
        yield Server(url, _wait_healthy(url, proc), memory)
    finally:
        memory.stop.set()
        proc.terminate()
        proc.wait(timeout=30)


async def _run_calls(url: str, personas: list[str]) -> list[tuple[str, object]]:
    results = []
    for name in personas:
        persona = load_persona(name)
        voice = persona_voice(persona)
        voice.load()
        voice.prepare(persona.lines())
        results.append((name, await simulate(url, persona, voice)))
    return results


@dataclass
class Round:
    concurrent: int
    phase: str  # cold | warm | restarted
    calls: list[SimulatedCall]
    load: tuple[float, float]  # 1-minute load average at the round's start and end
    startup_s: float | None = None  # server start-up, for the round that follows one


async def concurrent_calls(url: str, personas: list[str], voices: dict[str, object], n: int) -> list[SimulatedCall]:
    """max(n, len(personas)) calls, personas taken in turn, ``n`` of them on the line at any time."""
    chosen = [personas[i % len(personas)] for i in range(max(n, len(personas)))]
    lines = asyncio.Semaphore(n)

    async def call(name: str) -> SimulatedCall:
        async with lines:
            return await simulate(url, load_persona(name), voices[name])

    return list(await asyncio.gather(*(call(name) for name in chosen)))


def _round(server: Server, personas: list[str], voices: dict[str, object], n: int, phase: str,
           startup: bool) -> Round:
    load_before = os.getloadavg()[0]
    calls = asyncio.run(concurrent_calls(server.url, personas, voices, n))
    done = Round(n, phase, calls, (load_before, os.getloadavg()[0]), server.startup_s if startup else None)
    print("round done: " + " | ".join(_row(done)), flush=True)  # kept even if a later round never ends
    return done


def caller_voices(personas: list[str]) -> dict[str, object]:
    """Each persona's voice with its lines already synthesised (before any server runs: not in the timings)."""
    voices = {}
    for name in dict.fromkeys(personas):
        persona = load_persona(name)
        voices[name] = persona_voice(persona)
        voices[name].load()
        voices[name].prepare(persona.lines())
    return voices


def _by_concurrency(personas: list[str], counts: list[int], phases: list[str]) -> list[Round]:
    """Per N: a fresh server with empty caches (cold, then warm), then a fresh process on the same disk cache."""
    voices = caller_voices(personas)
    rounds = []
    for n in counts:
        with tempfile.TemporaryDirectory() as data_dir:
            with serve(data_dir) as server:
                rounds.append(_round(server, personas, voices, n, "cold", startup=True))
                if "warm" in phases:
                    rounds.append(_round(server, personas, voices, n, "warm", startup=False))
            if "restarted" in phases:
                with serve(data_dir) as server:
                    rounds.append(_round(server, personas, voices, n, "restarted", startup=True))
    return rounds


def _stats(values: list[float]) -> str:
    if not values:
        return "-"
    p50, p95 = np.percentile(values, [50, 95])
    return f"{p50:.2f} / {p95:.2f} / {max(values):.2f}"


def _row(r: Round) -> list[str]:
    v2v = [x for call in r.calls for x in call.latencies_s if x is not None]
    greet = [call.greeting_latency_s for call in r.calls if call.greeting_latency_s is not None]
    ok = sum(1 for call in r.calls if call.completed)
    return [str(r.concurrent), r.phase, f"{ok}/{len(r.calls)}", str(len(v2v)), _stats(v2v), _stats(greet),
            f"{r.load[0]:.2f}→{r.load[1]:.2f}", f"{r.startup_s:.1f}" if r.startup_s is not None else ""]


def _print_rounds(rounds: list[Round]) -> None:
    table = Table("N", "phase", "calls ok", "turns", "v2v p50 / p95 / max (s)", "greeting p50 / p95 / max (s)",
                  "load 1-min (start→end)", "start-up (s)",
                  title="Concurrent simulated calls against `carecall serve` (wire-side timings)")
    for r in rounds:
        table.add_row(*_row(r))
    console = Console(width=160)
    console.print(table)
    console.print(f"{os.cpu_count()} CPUs; CARECALL_ overrides: "
                    + (", ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("CARECALL_"))
                       or "none"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--personas", nargs="+", default=["well", "fever_cough", "fall_low_mood"])
    parser.add_argument("--concurrent", nargs="+", type=int, metavar="N",
                        help="place N calls at once, for each N given: cold, warm and restarted rounds")
    parser.add_argument("--phases", nargs="+", choices=["cold", "warm", "restarted"],
                        default=["cold", "warm", "restarted"], help="with --concurrent: the rounds to run (cold always)")
    parser.add_argument("--server-logs", type=Path, metavar="DIR",
                        help="write each server's log there (its per-turn latency breakdown says where a slow turn waited)")
    args = parser.parse_args()
    global SERVER_LOGS
    SERVER_LOGS = args.server_logs
    if args.concurrent:
        _print_rounds(_by_concurrency(args.personas, args.concurrent, args.phases))
        return

    with tempfile.TemporaryDirectory() as data_dir, serve(data_dir) as server:
        startup_s, memory = server.startup_s, server.memory
        results = asyncio.run(_run_calls(server.url, args.personas))

    table = Table("persona", "greeting (s)", "turns", "v2v median (s)", "v2v worst (s)", "clears",
                  title="Simulated calls against `carecall serve` (wire-side timings)")
    all_latencies: list[float] = []
    for name, call in results:
        lat = [x for x in call.latencies_s if x is not None]
        all_latencies += lat
        table.add_row(name, f"{call.greeting_latency_s:.2f}", str(len(lat)),
                      f"{statistics.median(lat):.2f}" if lat else "-", f"{max(lat):.2f}" if lat else "-",
                      str(call.clear_count))
    if all_latencies:
        table.add_row("all", "", str(len(all_latencies)), f"{statistics.median(all_latencies):.2f}",
                      f"{max(all_latencies):.2f}", "")
    console = Console()
    console.print(table)
    console.print(f"server start-up to healthy (models loaded and warmed): {startup_s:.1f} s")
    console.print(f"server peak RSS: {memory.peak_kb / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
