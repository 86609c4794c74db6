"""Recordings kept in S3-compatible storage (agent/recordings) against moto's S3 server: uploaded when a call
ends, played by the dashboard of another server sharing the database, kept in the spool and retried when the
upload fails, uploaded after the start-up recovery of an interrupted call; the local folder default unchanged."""

from __future__ import annotations

import asyncio
import io
import socket
import time
import wave
from functools import cache
from types import SimpleNamespace

import boto3
import pytest
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer
from pydantic import ValidationError

from agent.app import create_app
from agent.dashboard.users import UserBook
from agent.call.ownership import this_process
from agent.dashboard.audio import RangeNotSatisfiable, byte_range
from agent.recordings import LocalFolderStorage, recording_storage
from agent.settings import Settings
from agent.store import CallStore, UserStore, migrate
from dashboard_testkit import PASSWORDS, login, write_wav
from dialog import load_scenario
from telephony.routes import StreamStart

SCENARIOS = cache(load_scenario)  # parsed once for the module's calls
KEYS = {"s3_access_key_id": "test-key", "s3_secret_access_key": "test-secret", "s3_region": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    with socket.socket() as probe:  # a free port for the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, request):
    """A bucket of its own for each test (the moto server lives as long as the module)."""
    name = "rec-" + request.node.name.replace("_", "-")[:40].strip("-").lower()
    client = s3_client(s3_endpoint)
    client.create_bucket(Bucket=name)
    return name


def s3_client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=KEYS["s3_access_key_id"],
                        aws_secret_access_key=KEYS["s3_secret_access_key"], region_name="us-east-1")


def s3_settings(tmp_path, server: str, database_url: str, storage: str, endpoint: str) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / server, database_url=database_url, dashboard_secret_key="k" * 32,
                    tts_prewarm=False, recording_storage=storage, s3_endpoint_url=endpoint, **KEYS)


def server(settings: Settings, operator: bool = False):
    """A server's app on the settings' database (one operator account added when asked: hashing is slow)."""
    migrate(settings.resolved_database_url)
    store = CallStore(settings.resolved_database_url)
    if operator:
        UserBook(UserStore(store.engine)).add("minjun", PASSWORDS["minjun"], "operator")
    return create_app(settings, None, store), store


def place_call(app, seconds: float = 1.0) -> str:
    """One call through the app's CallRunner, its pipeline replaced by ``seconds`` of stereo audio reaching the
    recording: what is under test is how the call ends (record closed, recording stored)."""
    runner = app.state.runner
    runner.engines = SimpleNamespace(scenario=SCENARIOS, responder=None, synthesizer=None)
    ids = []

    async def pipeline(websocket, start, session, serializer, journal, recording, latencies):
        ids.append(journal.call_id)
        audio = b"\x01\x00\x02\x00" * int(8000 * seconds)
        await recording.processor._call_event_handler("on_audio_data", audio, 8000, 2)
        return "completed", None

    runner._run_pipeline = pipeline
    start = StreamStart("MZ1", "CA1", "AC1", {"phone": "+821012345678", "name": "김영수"})
    asyncio.run(runner(None, start))
    return ids[0]


def test_a_call_ends_in_s3_and_the_dashboard_of_another_server_plays_it(tmp_path, s3_endpoint, bucket, sqlite_url):
    url = f"s3://{bucket}/calls"
    first, store = server(s3_settings(tmp_path, "call-1", sqlite_url, url, s3_endpoint), operator=True)
    call_id = place_call(first, seconds=1.0)

    key = f"calls/{call_id}.wav"
    assert store.get_call(call_id).recording_path == f"s3://{bucket}/{key}"
    assert not (tmp_path / "call-1" / "recordings" / f"{call_id}.wav").exists()  # the spool file is gone
    stored = s3_client(s3_endpoint).get_object(Bucket=bucket, Key=key)
    assert stored["ContentType"] == "audio/wav"
    wav_bytes = stored["Body"].read()
    with wave.open(io.BytesIO(wav_bytes)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getnframes()) == (2, 8000, 8000)

    # Another server: its own (empty) data dir, the same database, bucket and session key (the operator's
    # session from the first server is good there too).
    second, other_store = server(s3_settings(tmp_path, "call-2", sqlite_url, url, s3_endpoint))
    client = TestClient(second, base_url="http://testserver", cookies=login(first, "minjun").cookies)
    page = client.get(f"/dashboard/calls/{call_id}").text
    assert f'<audio id="recording" controls preload="metadata" src="/dashboard/calls/{call_id}/audio">' in page
    whole = client.get(f"/dashboard/calls/{call_id}/audio")
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/wav"
    assert whole.content == wav_bytes and whole.headers["accept-ranges"] == "bytes"
    total = len(wav_bytes)
    part = client.get(f"/dashboard/calls/{call_id}/audio", headers={"Range": "bytes=44-1043"})
    assert part.status_code == 206 and part.content == wav_bytes[44:1044]
    assert part.headers["content-range"] == f"bytes 44-1043/{total}"
    tail = client.get(f"/dashboard/calls/{call_id}/audio", headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == wav_bytes[-100:]
    beyond = client.get(f"/dashboard/calls/{call_id}/audio", headers={"Range": f"bytes={total}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{total}"
    assert TestClient(second).get(f"/dashboard/calls/{call_id}/audio", follow_redirects=False).status_code == 303

    s3_client(s3_endpoint).delete_object(Bucket=bucket, Key=key)  # gone from the bucket: no player, 404
    assert "녹음 파일이 없습니다." in client.get(f"/dashboard/calls/{call_id}").text
    assert client.get(f"/dashboard/calls/{call_id}/audio").status_code == 404
    store.engine.dispose()
    other_store.engine.dispose()


def test_a_failed_upload_keeps_the_spool_file_and_a_retry_stores_it(tmp_path, s3_endpoint, sqlite_url):
    missing = "rec-created-later"  # the bucket does not exist yet: every upload fails
    settings = s3_settings(tmp_path, "call-1", sqlite_url, f"s3://{missing}", s3_endpoint)
    app, store = server(settings)
    call_id = place_call(app)

    spool = settings.recordings_dir / f"{call_id}.wav"
    assert spool.is_file() and store.get_call(call_id).recording_path == str(spool)
    shelf = app.state.dashboard.recordings
    assert shelf.find(str(spool))[1] == spool.stat().st_size  # this server's dashboard still plays it
    archive = app.state.runner.recordings
    live_call = store.start_call(recording_path=str(write_wav(settings.recordings_dir / "live.wav")),
                                 owner=this_process(), call_id="live")  # fmt: skip
    assert archive.upload_spooled() == []  # still failing: nothing lost
    assert spool.is_file() and store.get_call(call_id).recording_path == str(spool)

    s3_client(s3_endpoint).create_bucket(Bucket=missing)
    assert archive.upload_spooled() == [call_id]
    assert store.get_call(call_id).recording_path == f"s3://{missing}/{call_id}.wav"
    assert not spool.exists()
    assert (settings.recordings_dir / "live.wav").is_file()  # a call in progress keeps its spool file
    assert store.get_call(live_call).recording_path == str(settings.recordings_dir / "live.wav")
    reference = store.get_call(call_id).recording_path
    storage, size = shelf.find(reference)
    assert b"".join(storage.read(reference, 0, 3)) == b"RIFF" and size > 44
    store.engine.dispose()


def test_start_up_repairs_an_interrupted_calls_recording_then_uploads_it(tmp_path, s3_endpoint, bucket, sqlite_url):
    settings = s3_settings(tmp_path, "call-1", sqlite_url, f"s3://{bucket}/calls", s3_endpoint)
    app, store = server(settings)
    dead = f"{socket.gethostname()}:1:not-the-start-of-pid-1"  # no process of this host runs the call
    cut = settings.recordings_dir / "cut-call.wav"
    cut.parent.mkdir(parents=True)
    with wave.open(str(cut), "wb") as wav:  # a header still saying 0 bytes, then a second of audio
        wav.setnchannels(2), wav.setsampwidth(2), wav.setframerate(8000)
    with open(cut, "ab") as f:
        f.write(b"\x01\x00\x02\x00" * 8000 + b"\x07")
    store.start_call(call_id="cut-call", recording_path=str(cut), owner=dead)

    with TestClient(app):  # start-up: recovery, then the spooled recordings
        for _ in range(100):
            if store.get_call("cut-call").recording_path.startswith("s3://"):
                break
            time.sleep(0.05)
    record = store.get_call("cut-call")
    assert (record.outcome, record.recording_path) == ("interrupted", f"s3://{bucket}/calls/cut-call.wav")
    body = s3_client(s3_endpoint).get_object(Bucket=bucket, Key="calls/cut-call.wav")["Body"].read()
    with wave.open(io.BytesIO(body)) as wav:
        assert wav.getnframes() == 8000  # the repaired file
    assert not cut.exists()
    store.engine.dispose()


def test_a_recording_erased_while_it_uploads_leaves_no_copy(tmp_path, s3_endpoint, bucket, sqlite_url):
    settings = s3_settings(tmp_path, "call-1", sqlite_url, f"s3://{bucket}", s3_endpoint)
    app, store = server(settings)
    spool = write_wav(settings.recordings_dir / "erased.wav", seconds=0.5)
    store.start_call(call_id="erased", recording_path=None)  # unlinked (retention, a person's deletion)
    store.finish_call("erased", outcome="completed")
    assert not app.state.runner.recordings.keep("erased", spool)
    assert s3_client(s3_endpoint).list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    assert store.get_call("erased").recording_path is None
    store.engine.dispose()


def test_the_local_folder_stays_the_default_and_nothing_moves(tmp_path, sqlite_url):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", database_url=sqlite_url,
                        dashboard_secret_key="k" * 32, tts_prewarm=False)  # fmt: skip
    assert isinstance(recording_storage(settings), LocalFolderStorage)
    app, store = server(settings)
    call_id = place_call(app)
    spool = settings.recordings_dir / f"{call_id}.wav"  # where it was recorded, linked as before
    assert store.get_call(call_id).recording_path == str(spool) and spool.is_file()
    assert app.state.runner.recordings.upload_spooled() == []
    shelf = app.state.dashboard.recordings  # what the dashboard reads through: the folder alone
    assert [type(s) for s in shelf.storages] == [LocalFolderStorage]
    assert shelf.find(str(spool))[1] == spool.stat().st_size
    store.engine.dispose()


def test_a_storage_url_that_is_not_s3_is_refused_at_start_up():
    for wrong in ("http://bucket/prefix", "s3:///no-bucket", "bucket/prefix"):
        with pytest.raises(ValidationError, match="s3://bucket/prefix"):
            Settings(_env_file=None, recording_storage=wrong)
    assert Settings(_env_file=None, recording_storage="").recording_storage is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-", (0, 999)),
        ("bytes=10-19", (10, 19)),
        ("bytes=990-5000", (990, 999)),  # past the end: up to the end
        ("bytes=-10", (990, 999)),
        ("bytes=-5000", (0, 999)),
        ("bytes=5-1", None),  # malformed: ignored, the whole recording
        ("bytes=0-1,5-9", None),  # several ranges: the whole recording
        ("items=0-1", None),
        ("bytes=1000-", RangeNotSatisfiable),
        ("bytes=-0", RangeNotSatisfiable),
    ],
)
def test_byte_ranges_asked_of_a_recording(header, expected):
    if expected is RangeNotSatisfiable:
        with pytest.raises(RangeNotSatisfiable):
            byte_range(header, 1000)
    else:
        assert byte_range(header, 1000) == expected
