"""The real ``carecall serve`` process killed mid-call, then started again: nothing of the call is lost.

A caller who reports a fall raises a flag mid-call; its alert reaches a local webhook receiver while the
call still runs. The server is then killed with SIGKILL (no chance to finish anything) and started again:
the call has its transcript, answers, flags and a playable recording, it is closed ``interrupted`` and waits
in the operators' queue. A graceful stop (SIGTERM) mid-call drains (the server takes no new calls and lets the
call run until the drain's deadline) and then records the call it cuts apart from a caller hanging up.
Everything waits on conditions (the database, the receiver), never on fixed sleeps.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest
import yaml

from agent.cli.demo import persona_voice, simulate
from agent.dashboard.notify import verify
from agent.store import CallRecord, CallStore
from telephony.simulator.personas import PERSONA_DIR, load_persona

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_c2VjcmV0LWZvci10aGUtdGVzdA=="


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(condition: Callable[[], object], what: str, timeout: float = 60.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class _Receiver(BaseHTTPRequestHandler):
    alerts: list[tuple[bytes, dict[str, str]]]

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).alerts.append((body, dict(self.headers)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list]]:
    handler = type("Receiver", (_Receiver,), {"alerts": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/secret-path?token=t0ken", handler.alerts
    server.shutdown()


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log: Path


@pytest.fixture
def serve(tmp_path, receiver) -> Iterator[Callable[[], Server]]:
    """Start ``carecall serve`` (as many times as asked) on one data folder and port; every process is ended."""
    port, procs = _free_port(), []
    env = dict(os.environ, CARECALL_PORT=str(port), CARECALL_DATA_DIR=str(tmp_path / "var"),
               CARECALL_TTS_PREWARM="false", CARECALL_WEBHOOK_URL=receiver[0], CARECALL_WEBHOOK_SECRET=SECRET,
               CARECALL_WEBHOOK_MIN_SEVERITY="high", CARECALL_DRAIN_TIMEOUT_S="2")  # fmt: skip
    for own in ("CARECALL_REDIS_URL", "CARECALL_DATABASE_URL", "CARECALL_PUBLIC_URL", "CARECALL_SMTP_HOST"):
        env.pop(own, None)
    env["CARECALL_HOST"] = "127.0.0.1"

    def start() -> Server:
        log_path = tmp_path / f"serve-{len(procs)}.log"
        log = open(log_path, "wb")  # noqa: SIM115  (the process holds it)
        proc = subprocess.Popen([sys.executable, "-m", "agent.cli", "serve"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)  # fmt: skip
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            assert proc.poll() is None, (tmp_path / f"serve-{len(procs) - 1}.log").read_text(errors="replace")
            try:
                return httpx.get(f"{url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        _wait_for(healthy, "the server to start", timeout=120)
        return Server(url, proc, log_path)

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def _log_tail(server: Server, lines: int = 40) -> str:
    return "\n".join(server.log.read_text(errors="replace").splitlines()[-lines:])


def _store(tmp_path: Path) -> CallStore:
    return CallStore(f"sqlite:///{tmp_path / 'var' / 'carecall.db'}")


def _the_call(store: CallStore) -> CallRecord | None:
    calls = store.list_calls(limit=1)
    return calls[0] if calls else None


def _prepared_caller(name: str | Path):
    persona = load_persona(name)
    voice = persona_voice(persona)
    voice.load()
    voice.prepare(persona.lines())
    return persona, voice


async def _during_call(server: Server, persona, voice, condition: Callable[[], object], what: str,
                       then: Callable[[], None]) -> None:
    """Dial the server, wait (off the loop) until ``condition`` holds while the call runs, then do ``then``
    to the server with the caller still on the line."""
    call = asyncio.create_task(simulate(server.url, persona, voice))

    def met() -> object:
        if call.done():
            ended = call.result()
            heard = "\n".join(f"  {state}: {text}" for state, text in ended.answered)
            raise AssertionError(f"the call ended before {what}; the caller said:\n{heard}\n"
                                 f"the server's log ends:\n{_log_tail(server)}")
        return condition()

    try:
        await asyncio.to_thread(_wait_for, met, what, 120.0)
        await asyncio.to_thread(then)
    finally:
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)


def _fall_caller(tmp_path: Path) -> Path:
    """``fall_low_mood``, telling of the fall again when asked where it hurts. This test is about the crash, not
    hearing (issue 11's): through the line Whisper heard "어제 넘어져서 무릎을 다쳤어요." as "어제놈 어두웠어 무릎을
    다쳤어요" in two of five fresh-clone runs; the agent then asks where it hurts (``health.pain``), and a fall
    told there is flagged too, so a second hearing of the fall decides instead of the call ending unflagged."""
    data = yaml.safe_load((PERSONA_DIR / "fall_low_mood.yaml").read_text(encoding="utf-8"))
    data["answers"]["health.pain"] = ["넘어져서 무릎을 다쳤어요.", "무릎이 아파요."]
    path = tmp_path / "fall_caller.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def test_a_server_killed_mid_call_keeps_the_call_and_its_alert(tmp_path, serve, receiver):
    _, alerts = receiver
    started = asyncio.get_running_loop().run_in_executor(None, serve)  # the caller's voice meanwhile
    persona, voice = await asyncio.to_thread(_prepared_caller, _fall_caller(tmp_path))  # tells of the fall at 'health'

    server = await started
    store = _store(tmp_path)

    def fall_flagged_and_alerted():
        record = _the_call(store)
        fell = record is not None and any(f.rule == "fall" for f in record.flags)
        return fell and any("fall" in body.decode() for body, _ in alerts)

    def kill() -> None:
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(timeout=10)

    await _during_call(server, persona, voice, fall_flagged_and_alerted, "the fall's flag and its alert", kill)

    (body, headers), = [a for a in alerts if b"fall" in a[0]]
    alert = json.loads(body)
    assert verify(body, SECRET, headers)  # signed, and sent just now: within the replay window
    assert alert["status"] == "in_progress" and [f["rule"] for f in alert["flags"]] == ["fall"]  # during the call
    before = _the_call(store)
    assert before.status == "in_progress"  # killed: nothing was closed

    serve()  # start-up recovers what the killed process left open
    record = store.get_call(before.id)
    assert (record.status, record.outcome) == ("ended", "interrupted")
    assert "fall" in {f.rule for f in record.flags}
    assert record.answers.get("health") == "unwell" and "fall" in record.answers.get("symptoms", [])
    speakers = [t.speaker for t in record.turns]
    assert speakers[0] == "agent" and speakers.count("caller") >= 4
    assert any("넘어" in t.text for t in record.turns if t.speaker == "caller")
    assert before.id in [c.id for c in store.flagged()]  # waiting for an operator
    with wave.open(record.recording_path) as wav:  # playable although the writer was killed
        assert wav.getnchannels() == 2 and wav.getnframes() >= wav.getframerate()  # a second and more
    assert len([a for a in alerts if b"fall" in a[0]]) == 1  # alerted once, not again at recovery


async def test_a_graceful_stop_mid_call_is_not_a_caller_hanging_up(tmp_path, serve):
    started = asyncio.get_running_loop().run_in_executor(None, serve)
    persona, voice = await asyncio.to_thread(_prepared_caller, "well")
    server = await started
    store = _store(tmp_path)

    def caller_answered():
        record = _the_call(store)
        return record is not None and any(t.speaker == "caller" for t in record.turns)

    def stop() -> None:
        server.proc.send_signal(signal.SIGTERM)
        _wait_for(lambda: httpx.get(f"{server.url}/ready", timeout=2).json().get("reason") == "draining",
                  "the server to drain", timeout=10)  # fmt: skip
        assert _the_call(store).status == "in_progress"  # the call goes on meanwhile
        server.proc.wait(timeout=30)  # CARECALL_DRAIN_TIMEOUT_S=2: then the call is cut

    await _during_call(server, persona, voice, caller_answered, "the caller's first answer", stop)
    record = _the_call(store)
    assert (record.status, record.outcome) == ("ended", "server_stopped"), record.outcome_detail
    assert server.proc.returncode == 0  # a drained stop is a clean exit
