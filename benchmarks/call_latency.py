"""Whole-call latency and memory: the agent's server in its own process, the phone simulator dialing it.

Measures, per persona call: time from the media stream's start to the first greeting audio, voice-to-voice
latency per agent turn (end of the caller's speech → first agent audio on the wire, as the simulator sees
it), and the server process's peak resident memory (sampled from /proc every 100 ms, children included).

    .venv/bin/python benchmarks/call_latency.py --personas well fever_cough fall_low_mood
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.cli.demo import CallerVoice, simulate  # noqa: E402
from telephony.simulator.personas import load_persona  # noqa: E402


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


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 180) -> float:
    import httpx

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError("server did not become healthy")


async def _run_calls(url: str, personas: list[str]) -> list[tuple[str, object]]:
    results = []
    for name in personas:
        persona = load_persona(name)
        voice = CallerVoice(persona)
        voice.load()
        voice.prepare(persona.lines())
        results.append((name, await simulate(url, persona, voice)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--personas", nargs="+", default=["well", "fever_cough", "fall_low_mood"])
    args = parser.parse_args()

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        env = dict(os.environ, CARECALL_PORT=str(port), CARECALL_DATA_DIR=data_dir)
        proc = subprocess.Popen([sys.executable, "-m", "agent.cli", "serve"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        memory = PeakMemory(proc.pid)
        memory.start()
        try:
            startup_s = _wait_healthy(url, proc)
            results = asyncio.run(_run_calls(url, args.personas))
        finally:
            memory.stop.set()
            proc.terminate()
            proc.wait(timeout=30)

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
