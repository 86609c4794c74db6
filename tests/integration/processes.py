"""The service's processes as a deployment runs them: each a real ``carecall`` command line in its own process
(own process group), its output in a log file, stopped with SIGTERM and killed only if it will not stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}")


def clean_env(**values: str) -> dict[str, str]:
    """This environment without any CARECALL_ setting of the caller's, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARECALL_")}
    return {**env, **values}


def spawn(name: str, args: list[str], env: dict[str, str], logs: Path) -> Process:
    """``carecall ARGS`` (the installed CLI's module, so it runs from a checkout too) in its own process group."""
    log = logs / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    popen = subprocess.Popen([sys.executable, "-m", "agent.cli", *args], cwd=ROOT, env=env,
                             stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    return Process(name, popen, log)


def wait_ready(url: str, processes: list[Process], timeout_s: float) -> None:
    """Until ``url``/ready answers 200 (a server's models loaded and its prompts synthesised)."""
    deadline = time.monotonic() + timeout_s
    while True:
        for process in processes:
            process.check_alive()
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} not ready within {timeout_s:g} s")
        time.sleep(0.3)


def stop_all(processes: list[Process], grace_s: float = 20.0) -> dict[str, int]:
    """SIGTERM every process still running, wait, then SIGKILL its process group; their exit statuses."""
    for process in processes:
        if process.popen.poll() is None:
            process.popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    codes = {}
    for process in processes:
        try:
            codes[process.name] = process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            codes[process.name] = process.popen.wait()
        try:  # anything the process started and left behind in its group
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return codes
