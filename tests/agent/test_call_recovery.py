"""What the server's start-up does with calls a killed process left open, how it tells a dead process from a
live one, and the recording a killed process leaves behind."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import wave
from datetime import timedelta
from types import SimpleNamespace

from agent.app import recover_abandoned_calls
from agent.call.ownership import owner_alive, this_process
from agent.call.recording import CallRecording, repair_wav
from agent.settings import Settings
from agent.store import AlertOutbox, AlertRoute, CallStore, migrate

FALL = SimpleNamespace(rule="fall", severity="high", evidence="넘어졌어요", turn=3, message="넘어졌다고 함")


def _dead_process() -> str:
    """The owner token of a process that has exited."""
    code = "from agent.call.ownership import this_process; print(this_process())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def _cut_recording(path, seconds: float = 1.0) -> None:
    """A recording as a killed writer may leave it: a second of stereo audio on disk, the header still saying
    0 bytes (cut between a block and its header), and half a frame at the end."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:  # the header as written before the first block
        wav.setnchannels(2), wav.setsampwidth(2), wav.setframerate(8000)
    with open(path, "ab") as f:
        f.write(b"\x01\x00\x02\x00" * int(8000 * seconds) + b"\x07")


def test_ownership_tells_this_process_a_dead_one_and_another_hosts():
    assert owner_alive(this_process())
    assert not owner_alive(_dead_process())
    assert owner_alive("another-host:1:2")  # cannot be checked from here: left to the age limit
    host = socket.gethostname()
    assert not owner_alive(f"{host}:1:not-the-start-of-pid-1")  # a reused pid is not the same process


def test_a_recording_is_playable_while_written_and_repaired_when_cut(tmp_path):
    live = CallRecording(tmp_path / "live.wav")
    asyncio.run(live.processor._call_event_handler("on_audio_data", b"\x00\x01" * 16000, 8000, 2))
    with wave.open(str(live.path)) as wav:  # still open for writing: the header on disk is already right
        assert wav.getnframes() == 8000
    live.close()

    cut = tmp_path / "cut.wav"
    _cut_recording(cut)
    assert repair_wav(cut)
    with wave.open(str(cut)) as wav:
        assert (wav.getnchannels(), wav.getnframes()) == (2, 8000)
    assert repair_wav(cut)  # idempotent
    (tmp_path / "junk.wav").write_bytes(b"not a wav at all")
    assert not repair_wav(tmp_path / "junk.wav")


def test_start_up_closes_a_dead_process_calls_as_interrupted_and_alerts_on_their_flags(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "var")
    migrate(settings.resolved_database_url)
    store = CallStore(settings.resolved_database_url)
    routes = [AlertRoute("webhook", "high")]
    dead = _dead_process()

    cut = settings.recordings_dir / "cut.wav"
    crashed = store.start_call(person_name="이정희", recording_path=str(cut), owner=dead)
    _cut_recording(cut)
    store.add_turn(crashed, "caller", "어제 넘어졌어요", 1000, 2000)
    store.journal(crashed, answers={"health": "unwell"}, flags=[FALL])
    no_audio = store.start_call(recording_path=str(settings.recordings_dir / "never-written.wav"), owner=dead)
    running = store.start_call(owner=this_process())

    started = store.get_call(running).started_at  # "now": the last call's start, never the wall clock
    recovered = recover_abandoned_calls(settings, store, routes, now=started)
    assert sorted(recovered) == sorted([crashed, no_audio])
    record = store.get_call(crashed)
    assert (record.status, record.outcome) == ("ended", "interrupted")
    assert record.answers == {"health": "unwell"} and [f.rule for f in record.flags] == ["fall"]
    with wave.open(record.recording_path) as wav:
        assert wav.getnframes() == 8000
    assert store.get_call(no_audio).recording_path is None  # no link to a file that was never written
    assert store.get_call(running).status == "in_progress"  # this process's own call goes on
    assert [a.channel for a in AlertOutbox(store.engine).for_call(crashed)] == ["webhook"]

    much_later = started + timedelta(seconds=settings.max_call_s + 3600)
    assert recover_abandoned_calls(settings, store, routes, now=much_later) == [running]  # too old to be live
