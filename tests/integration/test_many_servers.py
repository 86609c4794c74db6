"""Many servers, one service: two call servers, the scheduler and two dialers as separate processes on the real
Redis and PostgreSQL, behind a round-robin front that sends every call's media stream to the server that did NOT
answer its webhook. A campaign of audio calls (the phone simulator as the carrier, a short scenario) must complete
every call, each recording must play from the dashboard of the server that did not host the call (S3-compatible
storage shared through moto's server), and no contact may be dialled twice.
"""

from __future__ import annotations

import io
import time
import uuid
import wave

import boto3
import httpx
import pytest
import redis
from moto.server import ThreadedMotoServer
from typer.testing import CliRunner

from agent.campaigns.service import CampaignService
from agent.cli.main import app as cli
from agent.store import CallStore, migrate
from front import RoundRobinFront, free_port
from processes import clean_env, spawn, stop_all, wait_ready

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SCENARIO = "tests/integration/short_check.yaml"  # relative to the repository root, every process's working dir
PERSONA = "tests/integration/short_persona.yaml"
CONTACTS = 4
AT_ONCE = 2
REDIS_URL = "redis://127.0.0.1:6379/0"
S3_KEYS = {"CARECALL_S3_ACCESS_KEY_ID": "test-key", "CARECALL_S3_SECRET_ACCESS_KEY": "test-secret",
           "CARECALL_S3_REGION": "us-east-1"}
OPERATOR, PASSWORD = "minjun", "안부전화-테스트-2026"


@pytest.fixture
def redis_prefix():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    prefix = f"test:many:{uuid.uuid4().hex[:10]}"
    yield prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.fixture
def s3_bucket():
    """moto's S3 server on a free port, one bucket: the recording store every server shares."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test-key",
                          aws_secret_access_key="test-secret", region_name="us-east-1")
    client.create_bucket(Bucket="carecall-recordings")
    yield endpoint, client
    server.stop()


def run_cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def login(base_url: str) -> httpx.Client:
    """An operator's dashboard session on one server (its own port, not through the front)."""
    client = httpx.Client(base_url=base_url, timeout=30)
    page = client.get("/dashboard/login")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = client.post("/dashboard/login", data={"username": OPERATOR, "password": PASSWORD, "csrf": csrf})
    assert answer.status_code == 303, answer.text
    return client


def test_campaign_across_two_servers(postgres_url, redis_prefix, s3_bucket, tmp_path, monkeypatch):
    began = time.monotonic()
    migrate(postgres_url)
    endpoint, s3 = s3_bucket
    ports = {"server-a": free_port(), "server-b": free_port()}
    backends = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    by_url = {url: name for name, url in backends.items()}
    shared = {
        "CARECALL_DATABASE_URL": postgres_url, "CARECALL_REDIS_URL": REDIS_URL, "CARECALL_CAMPAIGN_PREFIX": redis_prefix,
        "CARECALL_SCENARIO": SCENARIO, "CARECALL_TWILIO_AUTH_TOKEN": "front-test-token",
        "CARECALL_RECORDING_STORAGE": "s3://carecall-recordings/recordings", "CARECALL_S3_ENDPOINT_URL": endpoint,
        **S3_KEYS, "CARECALL_DASHBOARD_SECRET_KEY": "s" * 32, "CARECALL_DRAIN_TIMEOUT_S": "5",
        "CARECALL_DATA_DIR": str(tmp_path / "cli"),
        # Prompts are synthesised as calls need them (and cached): prewarming the scenario's every fixed prompt on
        # two servers at once would hold /ready for ~40 s of this test's 2-core budget.
        "CARECALL_TTS_PREWARM": "false",
    }
    for key, value in shared.items():  # the CLI commands this test runs in-process read the same settings
        monkeypatch.setenv(key, value)

    # The operator's set-up through the CLI: a dashboard account, a draft campaign of four contacts.
    monkeypatch.setenv("CARECALL_USER_PASSWORD", PASSWORD)
    run_cli("user", "add", OPERATOR, "--role", "operator")
    contacts = tmp_path / "contacts.csv"
    rows = [f"어르신{i},010-7000-{i:04d},sim=answer; persona={PERSONA}" for i in range(CONTACTS)]
    contacts.write_text("name,phone,notes\n" + "\n".join(rows) + "\n", encoding="utf-8")
    run_cli("campaign", "create", "여러 서버", "--scenario", SCENARIO, "--days", "daily", "--hours", "00:00-24:00",
            "--max-concurrent", str(AT_ONCE))
    run_cli("campaign", "import", "여러 서버", str(contacts))

    logs = tmp_path / "logs"
    with RoundRobinFront(list(backends.values())) as front:
        env = clean_env(**shared, CARECALL_PUBLIC_URL=front.url)
        # Every process at once: the servers load their models while the dialers and the scheduler start.
        processes = [
            spawn(name, ["serve"], {**env, "CARECALL_PORT": str(port), "CARECALL_DATA_DIR": str(tmp_path / name)}, logs)
            for name, port in ports.items()
        ]
        processes.append(spawn("scheduler", ["campaign", "scheduler", "--idle-s", "0.5"], env, logs))
        for dialer in ("dialer-1", "dialer-2"):
            processes.append(spawn(dialer, ["campaign", "dialer", "--name", dialer, "--placer", "phone", "--url", front.url],
                                   {**env, "CARECALL_DIALER_NODE": dialer, "CARECALL_DATA_DIR": str(tmp_path / dialer)},
                                   logs))
        try:
            for url in backends.values():
                wait_ready(url, processes, timeout_s=180)
            ready = time.monotonic()
            run_cli("campaign", "start", "여러 서버")
            service = CampaignService(postgres_url)
            campaign = service.get("여러 서버")
            deadline = time.monotonic() + 150
            while service.get(campaign.id).status != "finished":
                assert time.monotonic() < deadline, f"campaign not finished: {service.status(campaign.id).by_status}"
                refused = {sid: code for sid, code in front.log.stream_close_codes.items() if code != 1000}
                assert not refused, f"streams closed abnormally (1008: token not honoured by the other server): {refused}"
                for process in processes:
                    process.check_alive()
                time.sleep(0.5)
            finished = time.monotonic()

            store = CallStore(postgres_url)
            results = service.ledger.results(campaign.id)
            calls = {call_id: store.get_call(call_id) for call_id in results.calls}
            pids = {p.name: p.pid for p in processes}

            # Every contact dialled exactly once: one attempt each, one webhook per number and per call SID.
            assert len(results.contacts) == CONTACTS
            assert sorted(a.contact_id for a in results.attempts) == sorted(c.id for c in results.contacts)
            assert all(a.attempt_no == 1 and a.final and a.status == "completed" for a in results.attempts), \
                [(a.status, a.detail) for a in results.attempts]
            assert set(front.log.dialled.values()) == {1} and len(front.log.dialled) == CONTACTS
            sids = [a.call_sid for a in results.attempts]
            assert len(set(sids)) == CONTACTS and set(front.log.twiml) == set(sids)

            # Every call completed through audio, its webhook on one server and its stream on the other.
            assert len(calls) == CONTACTS and {a.call_id for a in results.attempts} == set(calls)
            hosts = {}
            for attempt in results.attempts:
                call = calls[attempt.call_id]
                assert call.status == "ended" and call.outcome == "completed", (call.outcome, call.outcome_detail)
                assert call.answers == {"ate_today": "yes"}, call.answers
                [webhook], [stream] = front.log.twiml[attempt.call_sid], front.log.streams[attempt.call_sid]
                assert webhook != stream
                assert front.log.stream_close_codes[attempt.call_sid] == 1000  # the agent hung up; not refused (1008)
                host = by_url[stream]
                assert call.owner and call.owner.split(":")[1] == str(pids[host])  # that server ran the call
                hosts[call.id] = host
            assert set(hosts.values()) == {"server-a", "server-b"}  # both servers hosted calls

            # Every recording is in the shared bucket and plays from the other server's dashboard.
            keys = {o["Key"] for o in s3.list_objects_v2(Bucket="carecall-recordings").get("Contents", [])}
            sessions = {name: login(url) for name, url in backends.items()}
            for call_id, host in hosts.items():
                for _ in range(50):  # uploaded as the call ends; the record's reference follows
                    call = store.get_call(call_id)
                    if (call.recording_path or "").startswith("s3://"):
                        break
                    time.sleep(0.2)
                assert call.recording_path == f"s3://carecall-recordings/recordings/{call_id}.wav"
                keys |= {o["Key"] for o in s3.list_objects_v2(Bucket="carecall-recordings").get("Contents", [])}
                assert f"recordings/{call_id}.wav" in keys
                other = "server-b" if host == "server-a" else "server-a"
                audio = sessions[other].get(f"/dashboard/calls/{call_id}/audio")
                assert audio.status_code == 200, audio.text[:300]
                with wave.open(io.BytesIO(audio.content)) as wav:
                    assert wav.getnchannels() == 2 and wav.getsampwidth() == 2
                    assert wav.getnframes() / wav.getframerate() > 3.0  # greeting, question, answer, closing
            for session in sessions.values():
                session.close()
        finally:
            codes = stop_all(processes)
            for t, what, sid in front.log.timeline:  # shown when the test fails, or with -s
                print(f"{t - began:7.1f} s  {what:8} {sid}")
            print(f"the processes' logs: {logs}")
    for process in processes:
        assert codes[process.name] == 0, f"{process.name} did not stop cleanly ({codes[process.name]}):\n{process.tail()}"
    print(f"\nmany servers: ready after {ready - began:.1f} s, {CONTACTS} calls in {finished - ready:.1f} s, "
          f"total {time.monotonic() - began:.1f} s")
