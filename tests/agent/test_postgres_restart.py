"""PostgreSQL restarted in the middle of a call: a private server (initdb + pg_ctl in a temporary folder) is
stopped the way a crash stops it (``pg_ctl -m immediate``) just before the caller reports a fall, and started
again two turns later. The call is driven through ``CallJournal`` exactly as the live call journals it (each
turn, then the answers and flags as they stand), with the care-call scenario and a scripted caller. The
record must end with every turn, answer and flag, and the alert about the fall raised while the database was
down must be waiting in the outbox."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from loguru import logger

from agent.call.runner import CallJournal
from agent.store import AlertOutbox, AlertRoute, CallStore, migrate, utcnow
from dialog import DialogSession, load_scenario
from dialog.clock import SEOUL
from telephony.simulator.personas import load_persona

NOW = datetime(2025, 3, 3, 10, 0, tzinfo=SEOUL)
DOWN_BEFORE, UP_AFTER = 3, 4  # the caller's answers (0-based) around which the database is away; 3 reports the fall


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    local = Path("/usr/local/bin") / name
    return str(local) if local.exists() else None


class PrivatePostgres:
    """A PostgreSQL server of this test's own on a free port; as root it runs as ``nobody`` (initdb refuses root)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="carecall-pg-"))
        self.data = self.folder / "data"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise RuntimeError("running as root and there is no runuser to start PostgreSQL as 'nobody'")
            shutil.chown(self.folder, "nobody")
            self.as_user = [runuser, "-u", "nobody", "--"]

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed: {(done.stderr or done.stdout)[-1500:]}")

    def init(self, initdb: str) -> None:
        self._run(initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w",
                  "-t", "30", "start")

    def stop(self, mode: str = "immediate") -> None:
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        if self.running():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_postgres():
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("no initdb / pg_ctl to run a private PostgreSQL that can be restarted")
    try:
        server = PrivatePostgres()
    except (OSError, RuntimeError, LookupError) as exc:
        pytest.skip(f"a private PostgreSQL cannot be set up here: {exc}")
    try:
        server.init(initdb)
        server.start()
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as exc:
        server.remove()
        pytest.skip(f"a private PostgreSQL could not be started: {exc}")
    yield server
    server.remove()


async def wait_for(what: str, check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.05)


async def test_a_postgres_restart_mid_call_loses_no_turn_answer_flag_or_alert(private_postgres):
    migrate(private_postgres.url)
    store = CallStore(private_postgres.url)
    caller = load_persona("fall_low_mood")
    call_id = store.start_call(call_sid="CA-restart", phone_number=caller.phone, person_name=caller.name,
                               scenario="care_call")
    messages: list[str] = []
    sink = logger.add(lambda m: messages.append(m.record["message"]), level="WARNING")
    heard: list[str] = []

    async def on_new_flags(rules: list[str]) -> None:
        heard.extend(rules)

    journal = CallJournal(store, call_id, [AlertRoute("webhook", "high")], on_new_flags=on_new_flags)
    session = DialogSession(load_scenario("care_call"), person={"name": caller.name, "phone": caller.phone,
                            "call_id": call_id}, now=NOW, history=[])
    said: list[tuple[str, str]] = []

    def reply_turn(text: str, state: str | None) -> None:  # what the live call's on_reply journals
        journal.add_turn("agent", text, journal.ms(), state=state)
        journal.progress(session.answers, session.flags)
        said.append(("agent", text))

    try:
        reply = session.start()
        reply_turn(reply.text, reply.state)
        asked: Counter[str] = Counter()
        for n in range(40):
            if session.finished:
                break
            if n == DOWN_BEFORE:
                await wait_for("the turns so far are stored", lambda: len(store.get_call(call_id).turns) == len(said))
                private_postgres.stop("immediate")
            state = reply.state or ""
            text = caller.answer_for(state, asked[state])
            asked[state] += 1
            journal.add_turn("caller", text, journal.ms())
            said.append(("caller", text))
            reply = await asyncio.to_thread(session.handle, text)
            reply_turn(reply.text, reply.state)
            if n == UP_AFTER:
                assert {f.rule for f in session.flags} >= {"fall"}
                await wait_for("the journal has met the stopped database",
                               lambda: any(f"for call {call_id}" in m for m in messages))  # a write failed
                private_postgres.start()
        assert session.finished
        await journal.flush()
        await journal.safe(store.finish_call, call_id, outcome=session.outcome, answers=dict(session.answers))
    finally:
        logger.remove(sink)
        if not private_postgres.running():
            private_postgres.start()

    record = store.get_call(call_id)
    assert (record.status, record.outcome) == ("ended", "completed")
    assert [(t.index, t.speaker, t.text) for t in record.turns] == [(i, s, t) for i, (s, t) in enumerate(said)]
    assert record.answers == session.answers
    assert {f.rule for f in record.flags} == {f.rule for f in session.flags} == {"fall", "low_mood", "loneliness"}
    assert sorted(heard) == ["fall", "loneliness", "low_mood"]  # the dashboard heard of each flag once

    # The fall, raised while the database was down, is alerted: its alert waits in the outbox for the worker.
    fall = next(f for f in record.flags if f.rule == "fall")
    outbox = AlertOutbox(store.engine)
    [alert] = outbox.for_call(call_id)
    assert (alert.channel, alert.flag_ids, alert.status) == ("webhook", (fall.id,), "pending")
    [due] = outbox.claim_due(utcnow() + timedelta(seconds=1), lease=timedelta(minutes=1))
    assert due.id == alert.id
    store.engine.dispose()
