"""Retention: recordings and transcripts past their periods are deleted (audited), calls with flags nobody has
handled keep both until handled, and nothing outside the recordings folder is ever touched."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from agent.recordings import LocalFolderStorage, RecordingShelf, RecordingStorageError
from agent.retention import RetentionPolicy, RetentionWorker, apply_retention
from agent.store import AuditLog, CallStore, migrate
from agent.store.retention import RetentionStore

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    yield from _store(f"sqlite:///{tmp_path / 'carecall.db'}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request, tmp_path):
    """SQLite and PostgreSQL: the conditional updates and correlated subqueries of the store, on both."""
    url = f"sqlite:///{tmp_path / 'carecall.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    yield from _store(url)


def _store(url: str):
    migrate(url)
    calls = CallStore(url)
    yield calls
    calls.engine.dispose()


def seed(store: CallStore, folder: Path, days_ago: float, *, flag: bool = False, recording: Path | None = None) -> str:
    """An ended call ``days_ago`` before NOW with two turns, answers and a recording file."""
    call_id = store.start_call(phone_number="+821012345678", person_name="김영수", scenario="care_call")
    store.add_turn(call_id, "agent", "식사는 하셨어요?", 0, 1000)
    store.add_turn(call_id, "caller", "어제 넘어졌어요.", 1200, 2500)
    if flag:
        store.add_flags(call_id, [SimpleNamespace(rule="fall", severity="high", evidence="넘어졌어요", turn=1, message=None)])
    path = recording or folder / f"{call_id}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF....WAVE")
    store.finish_call(call_id, outcome="completed", answers={"meal": "eaten"}, recording_path=str(path))
    when = NOW - timedelta(days=days_ago)
    calls = sa.Table("calls", sa.MetaData(), autoload_with=store.engine)
    with store.engine.begin() as conn:
        conn.execute(calls.update().where(calls.c.id == call_id).values(started_at=when, ended_at=when))
    return call_id


def test_recordings_and_transcripts_past_their_periods_go_flagged_calls_stay_until_handled(any_store, tmp_path):
    store = any_store
    folder = tmp_path / "recordings"
    old, flagged, middle, recent = (seed(store, folder, 40), seed(store, folder, 40, flag=True),
                                    seed(store, folder, 10), seed(store, folder, 2))  # fmt: skip
    elsewhere = seed(store, folder, 40, recording=tmp_path / "elsewhere" / "keep.wav")  # a path outside the folder
    retention, policy = RetentionStore(store.engine), RetentionPolicy(recording_days=30, transcript_days=7)
    erase = RecordingShelf(LocalFolderStorage(folder)).delete

    done = apply_retention(retention, policy, NOW, erase)
    assert sorted(done.recordings) == sorted([old, elsewhere]) and done.failed == []
    assert sorted(done.transcripts) == sorted([old, middle, elsewhere])
    gone = store.get_call(old)
    assert gone.recording_path is None and gone.turns == [] and gone.answers == {"meal": "eaten"}
    assert not (folder / f"{old}.wav").exists()
    assert (tmp_path / "elsewhere" / "keep.wav").exists()  # unlinked, never deleted: not the agent's file
    kept = store.get_call(flagged)
    assert kept.recording_path and Path(kept.recording_path).exists() and len(kept.turns) == 2 and kept.flags
    half = store.get_call(middle)
    assert half.recording_path and half.turns == []
    assert len(store.get_call(recent).turns) == 2
    trail = AuditLog(store.engine).for_call(old, [])
    assert [(e.username, e.action, e.detail["what"]) for e in trail] == [
        ("retention", "retention.delete", "recording"), ("retention", "retention.delete", "transcript")]

    assert apply_retention(retention, policy, NOW, erase) == type(done)()  # nothing left: nothing more audited
    store.resolve_flag(store.get_call(flagged).flags[0].id, "minjun", "따님과 통화함")
    handled = apply_retention(retention, policy, NOW, erase)
    assert (handled.recordings, handled.transcripts) == ([flagged], [flagged])
    assert store.get_call(flagged).flags[0].resolved_by == "minjun"  # the flag itself stays
    assert len(AuditLog(store.engine).recent(action="retention.delete")) == 7


def test_a_recording_the_storage_cannot_delete_stays_linked_and_is_tried_again(store, tmp_path):
    call_id = seed(store, tmp_path / "recordings", 40)

    def refuse(reference: str) -> None:
        raise RecordingStorageError("bucket unreachable")

    retention = RetentionStore(store.engine)
    result = apply_retention(retention, RetentionPolicy(recording_days=30), NOW, refuse)
    assert result.failed == [call_id] and result.recordings == []
    assert store.get_call(call_id).recording_path is not None
    assert AuditLog(store.engine).recent(action="retention.delete") == []  # rolled back with the link
    again = apply_retention(retention, RetentionPolicy(recording_days=30), NOW, RecordingShelf(LocalFolderStorage(tmp_path / "recordings")).delete)
    assert again.recordings == [call_id]
    with pytest.raises(RecordingStorageError):
        RecordingShelf(LocalFolderStorage(tmp_path)).delete("s3://bucket/x.wav")  # no storage here claims it


def test_no_period_keeps_everything_and_the_server_worker_runs_at_start(store, tmp_path):
    call_id = seed(store, tmp_path / "recordings", 4000)
    assert not RetentionPolicy(0, None).active
    assert apply_retention(RetentionStore(store.engine), RetentionPolicy(0, 0), NOW, lambda ref: None).recordings == []

    async def run_once() -> None:
        worker = RetentionWorker(RetentionStore(store.engine), RetentionPolicy(transcript_days=1),
                                 lambda ref: None, interval_s=60, clock=lambda: NOW)  # fmt: skip
        worker.start()
        for _ in range(200):
            if not store.get_call(call_id).turns:
                break
            await asyncio.sleep(0.02)
        await worker.stop()

    asyncio.run(run_once())
    assert store.get_call(call_id).turns == [] and store.get_call(call_id).recording_path


def test_the_command_line_applies_the_periods(store, tmp_path, monkeypatch):
    from agent.cli.main import app

    call_id = seed(store, tmp_path / "data" / "recordings", 3650)  # years before any clock this runs under
    monkeypatch.setenv("CARECALL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CARECALL_DATABASE_URL", str(store.engine.url))
    monkeypatch.setenv("CARECALL_RECORDING_RETENTION_DAYS", "365")
    out = CliRunner().invoke(app, ["retention", "run", "--transcript-days", "0"])
    assert out.exit_code == 0, out.output
    assert "Deleted 1 recording(s) and 0 transcript(s)." in out.output
    assert store.get_call(call_id).recording_path is None and len(store.get_call(call_id).turns) == 2
