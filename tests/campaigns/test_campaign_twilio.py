"""The Twilio placer against a local fake of Twilio's REST API (the real ``twilio`` Client, its requests sent
to a local HTTP server), with the test playing Twilio's signed callbacks into the campaign router."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from agent.campaigns.runtime import backend, run_embedded
from agent.campaigns.service import CampaignService
from agent.campaigns.twilio_placer import TwilioPlacer
from agent.campaigns.twilio_routes import make_campaign_router
from agent.campaigns.waiters import Waiters
from agent.settings import Settings
from agent.store import CallStore

ACCOUNT = "AC" + "1" * 32
TOKEN = "secret-token"
PUBLIC = "https://agent.example.org"


class FakeTwilio:
    """Enough of api.twilio.com: create, fetch, list and update Calls; every created call is handed to the test.

    ``create_faults`` makes the next creates misbehave as Twilio can: "slow" makes the call (status
    ``in-progress``) but answers after the client has given up; "503" fails before making one."""

    def __init__(self) -> None:
        self.created: queue.Queue[dict] = queue.Queue()
        self.calls: dict[str, dict] = {}
        self.create_faults: list[str] = []
        self.lists: list[dict] = []  # the query of every calls.list
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _reply(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                try:  # the timeout tests' client has gone by the time a slow reply is written
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a client that gave up waiting (the "slow" fault)

            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                path = urlsplit(self.path).path
                if path == f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json":
                    fault = fake.create_faults.pop(0) if fake.create_faults else None
                    if fault == "503":
                        return self._reply(503, {"code": 20503, "message": "Service unavailable", "status": 503})
                    sid = "CA" + uuid.uuid4().hex
                    fake.calls[sid] = {"sid": sid, "status": "in-progress" if fault else "queued",
                                       "account_sid": ACCOUNT, "to": form["To"][0], "from": form["From"][0],
                                       "start_time": format_datetime(datetime.now(UTC))}
                    fake.created.put({"sid": sid, **form})
                    if fault == "slow":
                        time.sleep(2.0)  # the client's timeout is shorter: it never learns the SID
                    return self._reply(201, fake.calls[sid])
                sid = path.rsplit("/", 1)[-1].removesuffix(".json")
                fake.calls[sid]["status"] = form["Status"][0]
                return self._reply(200, fake.calls[sid])

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    fake.lists.append(query)
                    since = datetime.fromisoformat(query["StartTime>"]).replace(tzinfo=UTC)
                    found = [c for c in fake.calls.values() if c["to"] == query["To"] and c["from"] == query["From"]
                             and parsedate_to_datetime(c["start_time"]) >= since]
                    meta = {"key": "calls", "next_page_url": None, "page": 0, "page_size": 20}
                    return self._reply(200, {"calls": found, "meta": meta})
                sid = url.path.rsplit("/", 1)[-1].removesuffix(".json")
                if sid not in fake.calls:
                    return self._reply(404, {"code": 20404, "message": "not found", "status": 404})
                return self._reply(200, fake.calls[sid])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def client(self, timeout: float | None = None) -> Client:
        base = self.url

        class Local(TwilioHttpClient):
            def request(self, method, url, *args, **kwargs):
                return super().request(method, url.replace("https://api.twilio.com", base), *args, **kwargs)

        return Client(ACCOUNT, TOKEN, http_client=Local(timeout=timeout))


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio()
    yield fake
    fake.server.shutdown()


def signed(path: str, form: dict[str, str], token: str = TOKEN) -> dict:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(PUBLIC + path, form)}


async def twilio_says(http: httpx.AsyncClient, url: str, form: dict[str, str]) -> httpx.Response:
    """POST a callback to the URL Twilio was given, signed as Twilio signs it."""
    path = url.removeprefix(PUBLIC)
    return await http.post(path, data=form, headers=signed(path, form))


async def test_twilio_campaign_amd_voicemail_retries_and_callbacks(sqlite_url, tmp_path, fake_twilio):
    service = CampaignService(sqlite_url)
    policy = {"voicemail": {"max_retries": 1, "delay_minutes": 0.001}, "no_answer": {"max_retries": 0},
              "busy": {"max_retries": 0}, "failed": {"max_retries": 0}}
    campaign = service.create("Twilio", calling_hours={"days": "daily", "start": "00:00", "end": "24:00"},
                              retry_policy=policy, max_concurrent=2)
    service.import_csv(campaign.id, "name,phone\n사람,010-2000-0001\n기계,010-2000-0002\n통화중,010-2000-0003\n")
    service.start(campaign.id)
    store = CallStore(sqlite_url)
    waiters = Waiters(None, poll_s=0.05)
    placer = TwilioPlacer(fake_twilio.client(), service, waiters, from_number="+8215880000", base_url=PUBLIC,
                          store=store, ring_timeout_s=1, max_call_s=5)
    app = FastAPI()
    app.include_router(make_campaign_router(service, auth_token=TOKEN, public_base_url=PUBLIC, waiters=waiters))
    settings = Settings(data_dir=tmp_path, database_url=sqlite_url, redis_url=None)
    back = backend(settings)
    stop = asyncio.Event()
    runner = asyncio.create_task(run_embedded(settings, service, back, placer, stop, idle_s=0.2))
    seen: list[dict] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        async def next_call() -> dict:
            call = await asyncio.to_thread(fake_twilio.created.get, True, 20)
            seen.append(call)
            return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in call.items()}

        machine_calls = 0
        for _ in range(4):  # calls come in any order (two at once): each number plays its part
            call = await next_call()
            sid, to = call["sid"], call["To"]
            base = {"CallSid": sid, "AccountSid": ACCOUNT, "To": to, "From": "+8215880000"}
            assert (await twilio_says(http, call["StatusCallback"], {**base, "CallStatus": "ringing"})).status_code == 204
            if to.endswith("0001"):  # a person: on to the agent's stream, then the call completes
                reply = await twilio_says(http, call["Url"], {**base, "CallStatus": "in-progress", "AnsweredBy": "human"})
                assert "<Redirect" in reply.text and f"{PUBLIC}/twiml?" in reply.text and "scenario=care_call" in reply.text
                assert "attempt=" not in reply.text.split("<Redirect")[1]  # only the stream's own parameters
                await twilio_says(http, call["StatusCallback"], {**base, "CallStatus": "completed"})
            elif to.endswith("0002") and machine_calls == 0:  # an answering machine: a message, then a retry
                machine_calls += 1
                reply = await twilio_says(http, call["Url"], {**base, "CallStatus": "in-progress",
                                                              "AnsweredBy": "machine_end_beep"})
                assert '<Say language="ko-KR">' in reply.text and "<Hangup" in reply.text
                await twilio_says(http, call["StatusCallback"], {**base, "CallStatus": "completed",
                                                                 "AnsweredBy": "machine_end_beep"})
            elif to.endswith("0002"):  # the retry is not answered
                await twilio_says(http, call["StatusCallback"], {**base, "CallStatus": "no-answer"})
            else:
                await twilio_says(http, call["StatusCallback"], {**base, "CallStatus": "busy"})

        # Hostile or broken callbacks: refused with the reason, nothing changes.
        any_url = "/campaigns/twilio/status"
        form = {"CallSid": seen[0]["sid"], "CallStatus": "busy"}
        assert (await http.post(any_url, data=form, headers=signed(any_url, form, "wrong"))).status_code == 403
        garbled = {"CallSid": seen[0]["sid"], "CallStatus": "exploded"}
        assert (await http.post(any_url, data=garbled, headers=signed(any_url, garbled))).status_code == 400
        unknown = {"CallSid": "CA" + "0" * 32, "CallStatus": "completed"}
        assert (await http.post(any_url, data=unknown, headers=signed(any_url, unknown))).status_code == 404

        async with asyncio.timeout(20):
            while service.get(campaign.id).status != "finished":
                await asyncio.sleep(0.05)
    stop.set()
    await runner
    await back.close()

    first = seen[0]
    assert first["MachineDetection"] == ["DetectMessageEnd"] and first["From"] == ["+8215880000"]
    assert sorted(first["StatusCallbackEvent"]) == ["answered", "completed", "initiated", "ringing"]
    assert first["Method"] == ["POST"] and "attempt=" in first["StatusCallback"][0]
    status = service.status(campaign.id)
    assert status.by_status == {"completed": 1, "no_answer": 1, "busy": 1}
    assert status.attempts == 4  # the machine got one retry, nobody got a second dial of one attempt
    assert len({c["sid"] for c in seen}) == 4


UNKNOWN_FAST = {"unknown": {"max_retries": 2, "delay_minutes": 0.001}, "no_answer": {"max_retries": 0},
                "busy": {"max_retries": 0}, "failed": {"max_retries": 0}, "voicemail": {"max_retries": 0}}


async def run_one_contact(sqlite_url, tmp_path, fake_twilio, play, policy=UNKNOWN_FAST):
    """One contact dialled through the fake Twilio (client timeout 0.5 s) until the campaign finishes; ``play``
    acts Twilio's part. Returns the contact's attempts in order."""
    service = CampaignService(sqlite_url)
    campaign = service.create("모호", calling_hours={"days": "daily", "start": "00:00", "end": "24:00"},
                              retry_policy=policy)
    service.import_csv(campaign.id, "name,phone\n김영수,010-2000-0009\n")
    service.start(campaign.id)
    waiters = Waiters(None, poll_s=0.05)
    placer = TwilioPlacer(fake_twilio.client(timeout=0.5), service, waiters, from_number="+8215880000",
                          base_url=PUBLIC, store=CallStore(sqlite_url), ring_timeout_s=1, max_call_s=5, poll_s=0.05)
    app = FastAPI()
    app.include_router(make_campaign_router(service, auth_token=TOKEN, public_base_url=PUBLIC, waiters=waiters))
    settings = Settings(data_dir=tmp_path, database_url=sqlite_url, redis_url=None)
    back = backend(settings)
    stop = asyncio.Event()
    runner = asyncio.create_task(run_embedded(settings, service, back, placer, stop, idle_s=0.2))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            await play(http, service)
            async with asyncio.timeout(30):
                while service.get(campaign.id).status != "finished":
                    await asyncio.sleep(0.05)
    finally:
        stop.set()
        await runner
        await back.close()
    return sorted(service.ledger.attempts(campaign.id), key=lambda a: a.attempt_no)


async def created_call(fake_twilio) -> dict:
    call = await asyncio.to_thread(fake_twilio.created.get, True, 20)
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in call.items()}


async def test_a_timeout_after_twilio_placed_the_call_is_unknown_and_the_contact_is_not_dialled_again(
        sqlite_url, tmp_path, fake_twilio):
    fake_twilio.create_faults = ["slow"]  # Twilio makes the call; the reply comes after the client gave up

    async def play(http, service):
        call = await created_call(fake_twilio)
        await asyncio.sleep(1.0)  # the person is on the phone meanwhile: the lookup waits for the call to end
        fake_twilio.calls[call["sid"]]["status"] = "completed"

    first, second = await run_one_contact(sqlite_url, tmp_path, fake_twilio, play)
    (sid,) = fake_twilio.calls
    assert (first.status, first.final) == ("unknown", False)
    assert "Twilio may have placed the call: ReadTimeout" in first.detail
    assert first.call_sid == sid  # found by calls.list(to, from_, start_time_after) and kept on the attempt
    assert (second.status, second.final) == ("completed", True)
    assert f"not dialled again: attempt 1's call {sid} was placed (completed)" == second.detail
    assert fake_twilio.created.empty() and len(fake_twilio.calls) == 1  # one call to this person, ever
    assert fake_twilio.lists[0]["To"] == "+821020000009" and fake_twilio.lists[0]["From"] == "+8215880000"


async def test_a_status_callback_that_arrives_meanwhile_names_the_call_to_look_up(sqlite_url, tmp_path, fake_twilio):
    fake_twilio.create_faults = ["slow"]

    async def play(http, service):
        call = await created_call(fake_twilio)
        fake_twilio.calls[call["sid"]]["status"] = "busy"
        fake_twilio.calls[call["sid"]]["to"] = "+820000000000"  # so calls.list cannot find it: only the SID can
        async with asyncio.timeout(20):  # the dialer has given up on the reply and recorded unknown
            while [a.status for a in service.ledger.attempts(service.list()[0].id)] != ["unknown", "scheduled"]:
                await asyncio.sleep(0.02)
        form = {"CallSid": call["sid"], "AccountSid": ACCOUNT, "To": call["To"], "CallStatus": "busy"}
        assert (await twilio_says(http, call["StatusCallback"], form)).status_code == 204  # long before the retry

    slow_retry = {**UNKNOWN_FAST, "unknown": {"max_retries": 2, "delay_minutes": 0.05}}  # 3 s
    first, second = await run_one_contact(sqlite_url, tmp_path, fake_twilio, play, slow_retry)
    (sid,) = fake_twilio.calls
    assert (first.status, first.call_sid) == ("unknown", sid)
    assert (second.status, second.final) == ("busy", True)  # busy has no retries left in this policy
    assert "not dialled again" in second.detail
    assert fake_twilio.created.empty() and fake_twilio.lists == []


async def test_a_5xx_that_placed_no_call_is_unknown_then_dialled_once_after_the_lookup(sqlite_url, tmp_path,
                                                                                      fake_twilio):
    fake_twilio.create_faults = ["503"]

    async def play(http, service):
        call = await created_call(fake_twilio)  # the second create: the first made no call
        base = {"CallSid": call["sid"], "AccountSid": ACCOUNT, "To": call["To"], "From": "+8215880000"}
        await twilio_says(http, call["StatusCallback"], {**base, "CallStatus": "completed"})

    first, second = await run_one_contact(sqlite_url, tmp_path, fake_twilio, play)
    assert (first.status, first.call_sid) == ("unknown", None) and "503" in first.detail
    assert len(fake_twilio.lists) == 1  # looked up, nothing found: then dialled
    assert (second.status, second.final) == ("completed", True) and second.call_sid in fake_twilio.calls
    assert len(fake_twilio.calls) == 1
